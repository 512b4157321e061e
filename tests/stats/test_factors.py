"""Factors and grouping factors as R and lme4 make them (level order, labels, codes).

Expected orders and labels are R 4.2.2's ``levels(factor(x))`` and lme4 1.1-31's ``ranef``
row names for ``(1 | site/id)`` (``"1:a"``), checked by hand with Rscript.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkwork.stats.design import build_design
from linkwork.stats.factors import compact, factorize, is_factor, r_label
from linkwork.stats.formula import parse_formula


def design(text: str, data: pd.DataFrame):
    return build_design(parse_formula(text), data)


def test_grouping_levels_sorted_as_r_factor() -> None:
    df = pd.DataFrame({"id": [10, 2, 1, 10, 2, 1], "y": np.arange(6.0)})
    fac = design("y ~ 1 + (1 | id)", df).factors["id"]
    assert fac.labels() == ["1", "2", "10"]
    np.testing.assert_array_equal(fac.codes, [2, 1, 0, 2, 1, 0])
    df["id"] = ["p10", "p2", "p1"] * 2
    assert design("y ~ 1 + (1 | id)", df).factors["id"].labels() == ["p1", "p10", "p2"]


def test_interaction_grouping_labels_as_lme4() -> None:
    df = pd.DataFrame(
        {
            "site": list("bbaabbaa"),
            "id": [1, 1, 1, 1, 2, 2, 2, 2],
            "y": np.arange(8.0),
        }
    )
    d = design("y ~ 1 + (1 | site/id)", df)
    assert d.factors["id:site"].labels() == ["1:a", "1:b", "2:a", "2:b"]
    assert d.factors["site"].labels() == ["a", "b"]
    np.testing.assert_array_equal(d.factors["id:site"].codes, [1, 1, 0, 0, 3, 3, 2, 2])


def test_factorize_kinds() -> None:
    codes, levels = factorize(pd.Series([3.5, 1.25, 3.5]))
    assert codes.tolist() == [1, 0, 1]
    assert [r_label(v) for v in levels] == ["1.25", "3.5"]
    codes, levels = factorize(pd.Series([True, False, True]))
    assert codes.tolist() == [1, 0, 1]
    assert [r_label(v) for v in levels] == ["FALSE", "TRUE"]
    codes, levels = factorize(pd.Series(["b", "a", None, "b"]).dropna())
    assert codes.tolist() == [1, 0, 1]
    # very sparse integer ids: hashing instead of a lookup table
    codes, levels = factorize(pd.Series([10**12, 5, 10**12]))
    assert codes.tolist() == [1, 0, 1]
    assert [r_label(v) for v in levels] == ["5", "1000000000000"]
    cat = pd.Series(pd.Categorical(["x", "z"], categories=["z", "y", "x"]))
    codes, levels = factorize(cat)
    assert codes.tolist() == [1, 0]
    assert list(levels) == ["z", "x"]


def test_is_factor_and_compact() -> None:
    assert is_factor(pd.Series(["a"]))
    assert is_factor(pd.Series(pd.Categorical([1, 2])))
    assert not is_factor(pd.Series([1, 2]))
    assert compact(np.arange(200), 200).dtype == np.int16
    assert compact(np.arange(5), 70_000).dtype == np.int32


def test_r_label() -> None:
    assert [r_label(v) for v in (3.0, 2.5, np.int64(7), False, 1 / 3)] == [
        "3",
        "2.5",
        "7",
        "FALSE",
        "0.333333333333333",
    ]
