"""Presentation rounding: APA-style p values and correlations, estimates to two decimals."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from linkwork.report._format import fmt_ci, fmt_df, fmt_int, fmt_num, fmt_p, fmt_p_is, fmt_r


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "< .001"),
        (0.000999, "< .001"),
        (0.001, ".001"),
        (0.0494, ".049"),
        (0.05, ".050"),
        (0.5, ".500"),
        (0.999, ".999"),
        (0.9995, "> .999"),
        (1.0, "> .999"),
    ],
)
def test_p_values_follow_apa(p, text):
    assert fmt_p(p) == text


def test_p_in_running_text_uses_the_right_relation():
    assert fmt_p_is(0.0001) == "p < .001"
    assert fmt_p_is(0.04, "p (Holm)") == "p (Holm) = .040"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, math.nan])
def test_missing_values_print_as_a_dash(missing):
    for fmt in (fmt_num, fmt_p, fmt_r, fmt_int, fmt_df):
        assert fmt(missing) == "—"
    assert fmt_ci(missing, 1.0) == "—"


def test_minus_sign_and_no_negative_zero():
    assert fmt_num(-0.25) == "\u22120.25"
    assert fmt_num(-0.001) == "0.00"
    assert fmt_r(-0.5) == "\u2212.50"
    assert fmt_r(-0.999) == "\u22121.00"


def test_rounding_is_of_the_stored_binary_value():
    # Python formatting rounds the binary value: 0.125 is exact, 0.135 is slightly below.
    assert fmt_num(0.125) == "0.12"
    assert fmt_num(2.675) == "2.67"
    assert fmt_num(1234.5678, 1) == "1234.6"


def test_df_integer_or_one_decimal():
    assert fmt_df(87.0) == "87"
    assert fmt_df(87.25) == "87.2"
    assert fmt_df(87.26) == "87.3"
