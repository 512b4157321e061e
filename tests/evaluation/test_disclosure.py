"""Small-number suppression: the NHS England / OpenSAFELY rule for sub-national tables.

The rule (field.md): counts of 1-7 are suppressed, the others rounded to the nearest 5; zero is
not a small number. The expected values below are written out by hand from that rule.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from linkwork.errors import PlanError
from linkwork.evaluation.disclosure import Disclosure, suppress_counts

HAND = {  # count -> published value under "suppress 1-7, round to the nearest 5"
    0: 0,
    1: None,
    2: None,
    5: None,
    7: None,
    8: 10,
    9: 10,
    10: 10,
    11: 10,
    12: 10,
    13: 15,
    14: 15,
    17: 15,
    18: 20,
    22: 20,
    23: 25,
    64: 65,
    101: 100,
}


def _apply(counts, rule=None):
    table = pd.DataFrame({"site": [f"S{i}" for i in range(len(counts))], "n": counts})
    return suppress_counts(table, ["n"], rule)


def test_default_rule_suppresses_one_to_seven_and_rounds_to_five():
    out = _apply(list(HAND))
    for count, shown, flag in zip(HAND, out["n"], out["suppressed"], strict=True):
        expected = HAND[count]
        if expected is None:
            assert math.isnan(shown), count
            assert flag, count
        else:
            assert shown == expected, count
            assert not flag, count


def test_threshold_and_rounding_are_configurable():
    out = _apply([3, 9, 10, 11, 14, 15, 16], Disclosure(threshold=10, rounding=10))
    assert out["suppressed"].tolist() == [True, True, True, False, False, False, False]
    assert out["n"].tolist()[3:] == [10.0, 10.0, 20.0, 20.0]
    # rounding = 1 suppresses without rounding; threshold = 0 rounds without suppressing
    assert _apply([4, 9], Disclosure(rounding=1))["n"].tolist()[1] == 9.0
    assert _apply([4, 9], Disclosure(threshold=0))["n"].tolist() == [5.0, 10.0]


def test_switched_off_for_internal_use():
    out = _apply([0, 1, 7, 8, 12], Disclosure(suppress=False))
    assert out["n"].tolist() == [0, 1, 7, 8, 12]
    assert not out["suppressed"].any()


def test_other_columns_and_the_input_are_untouched():
    table = pd.DataFrame({"site": ["A", "B"], "wave": ["T1", "T1"], "n": [3, 30], "x": [1, 2]})
    out = suppress_counts(table, ["n"])
    assert table["n"].tolist() == [3, 30]
    assert out[["site", "wave", "x"]].equals(table[["site", "wave", "x"]])
    assert list(out.columns) == ["site", "wave", "n", "x", "suppressed"]


@pytest.mark.parametrize(
    "settings",
    [{"threshold": -1}, {"rounding": 0}, {"threshold": 2.5}, {"suppress": "yes"}],
)
def test_impossible_settings(settings):
    with pytest.raises(PlanError):
        Disclosure(**settings)


def test_describe():
    assert (
        Disclosure().describe() == "counts of 1-7 suppressed, other counts rounded to the nearest 5"
    )
    assert "internal" in Disclosure(suppress=False).describe()
