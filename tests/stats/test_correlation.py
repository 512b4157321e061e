"""correlate / correlation_table against R's cor.test (stored results and a live random run).

Tolerance: 1e-10 relative for r, the statistic, the p-value and the CI (same method as R).
R gives no CI for Spearman; the reference script computes the documented Fisher-z formula.
"""

import math
import secrets

import numpy as np
import pandas as pd
import pytest
from tests.reference import make_other_stats_data

from linkwork.errors import DataFormatError, ModelError, PlanError
from linkwork.stats.correlation import correlate, correlation_table
from linkwork.stats.multiplicity import p_adjust

oracle = make_other_stats_data

REF = oracle.load_reference()
DATA = oracle.read_table("correlation")
REL = 1e-10


#: Absolute floor for r and its t statistic: when the exact r is 0 (integer scores can make the
#: centred cross-product exactly zero), R and we both return rounding noise (~1e-20) that no
#: relative tolerance can compare; |r| <= 1 and |t| <= |r| sqrt(n), so the floor is a few
#: hundred ulps, far below any real difference.
ABS_R = 1e-14


def check_against_r(res, entry, context=""):
    assert res.n == entry["n"], context
    for ours, theirs, floor in [
        (res.r, entry["r"], ABS_R),
        (res.statistic, entry["statistic"], ABS_R * math.sqrt(max(res.n, 1))),
        (res.p_value, entry["p_value"], 0),
        (res.conf_low, entry["conf_low"], 0),
        (res.conf_high, entry["conf_high"], 0),
    ]:
        if math.isinf(theirs):
            assert ours == theirs, context
        else:
            assert ours == pytest.approx(theirs, rel=REL, abs=floor), context
    if entry["method"] == "pearson":
        assert res.df == entry["df"], context
    else:
        assert math.isnan(res.df), context


@pytest.mark.parametrize("entry", REF["correlation"], ids=lambda e: f"{e['set']}-{e['method']}")
def test_matches_stored_r(entry):
    rows = DATA["set"] == entry["set"]
    res = correlate(DATA.loc[rows, "x"], DATA.loc[rows, "y"], entry["method"])
    check_against_r(res, entry)


@pytest.mark.parametrize(
    ("name", "p_method"),
    [
        ("n5", "exact"),
        ("n9_neg", "exact"),
        ("reversed9", "exact"),
        ("n10", "edgeworth"),
        ("n1290", "edgeworth"),
        ("n1300", "t-approximation"),
        ("ties40", "t-approximation"),
    ],
)
def test_spearman_p_method_follows_rs_rule(name, p_method):
    """R's cor.test: prho (enumeration n <= 9, Edgeworth above) up to n = 1290 without ties.

    The stored comparison above already pins each branch: the sets sit on both sides of each
    boundary, and the wrong branch gives a p-value far outside the tolerance.
    """
    rows = DATA["set"] == name
    res = correlate(DATA.loc[rows, "x"], DATA.loc[rows, "y"], "spearman")
    assert res.p_method == p_method


def test_pairs_with_missing_values_are_dropped_and_counted():
    rows = DATA["set"] == "n30_na"
    res = correlate(DATA.loc[rows, "x"], DATA.loc[rows, "y"])
    assert (res.n, res.n_dropped) == (30, 4)
    tidy = res.tidy()
    assert list(tidy.columns) == [
        "method",
        "n",
        "n_dropped",
        "r",
        "conf_low",
        "conf_high",
        "statistic",
        "df",
        "p_value",
        "p_method",
    ]
    assert tidy.loc[0, "r"] == res.r


def test_nullable_float_series_is_accepted():
    x = pd.Series([1.0, 2.0, None, 4.0, 5.0, 7.0], dtype="Float64")
    y = pd.Series([2.0, 1.0, 3.0, 5.0, 4.0, 8.0])
    res = correlate(x, y)
    ref = correlate(np.array([1.0, 2, 4, 5, 7]), np.array([2.0, 1, 5, 4, 8]))
    assert (res.n, res.n_dropped, res.r) == (5, 1, ref.r)


def test_too_few_pairs_and_constant_input_raise():
    with pytest.raises(ModelError, match="at least 4 complete pairs"):
        correlate([1.0, 2.0, 3.0, np.nan], [1.0, 3.0, 2.0, 4.0])
    with pytest.raises(ModelError, match="constant"):
        correlate([1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 3.0, 2.0, 4.0, 5.0], "spearman")


def test_bad_input_raises_typed_errors():
    with pytest.raises(DataFormatError, match="length"):
        correlate([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    with pytest.raises(DataFormatError, match="not numeric"):
        correlate(pd.Series(["a", "b", "c", "d"], name="lw"), [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(DataFormatError, match="infinite"):
        correlate([1.0, 2.0, np.inf, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    with pytest.raises(DataFormatError, match="different indexes"):
        correlate(pd.Series([1.0, 2, 3, 4]), pd.Series([1.0, 2, 3, 4], index=[1, 2, 3, 4]))
    with pytest.raises(PlanError, match="unknown correlation method"):
        correlate([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], "kendall")


def _table_frame():
    rows = DATA["set"] == "n30_na"
    x = DATA.loc[rows, "x"].to_numpy()
    y = DATA.loc[rows, "y"].to_numpy()
    return pd.DataFrame({"lw_t1": x, "lw_t2": np.sqrt(np.abs(x)), "out": y, "chg": y - x})


def test_table_layout_and_whole_table_family():
    frame = _table_frame()
    table = correlation_table(frame, ["lw_t1", "lw_t2"], ["out", "chg"])
    assert list(table.columns) == [
        "predictor",
        "outcome",
        "method",
        "n",
        "n_dropped",
        "r",
        "conf_low",
        "conf_high",
        "statistic",
        "p_value",
        "p_method",
        "p_holm",
        "p_fdr",
    ]
    assert len(table) == 8
    assert list(table["method"][:2]) == ["pearson", "spearman"]
    first = correlate(frame["lw_t2"], frame["chg"], "spearman")
    row = table[(table.predictor == "lw_t2") & (table.outcome == "chg")].iloc[1]
    assert (row["r"], row["p_value"], row["n"]) == (first.r, first.p_value, first.n)
    np.testing.assert_array_equal(table["p_holm"], p_adjust(table["p_value"].to_numpy(), "holm"))
    np.testing.assert_array_equal(table["p_fdr"], p_adjust(table["p_value"].to_numpy(), "BH"))


def test_table_family_per_method():
    frame = _table_frame()
    table = correlation_table(
        frame, ["lw_t1"], ["out", "chg"], adjust=["bonferroni"], family="method"
    )
    for method in ("pearson", "spearman"):
        part = table[table["method"] == method]
        expected = np.minimum(1.0, 2 * part["p_value"].to_numpy())
        np.testing.assert_allclose(part["p_bonferroni"], expected, rtol=1e-15)


def test_table_errors_name_the_pair():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [1.0, np.nan, np.nan, 2, 3]})
    with pytest.raises(ModelError, match="'a' with 'b'"):
        correlation_table(frame, ["a"], ["b"])
    with pytest.raises(KeyError, match="nope"):
        correlation_table(frame, ["a"], ["nope"])
    with pytest.raises(PlanError):
        correlation_table(frame, ["a"], ["a"], adjust=["sidak"])


@pytest.mark.r
def test_live_random_against_r(rscript, tmp_path):
    seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(10):
        n = int(rng.choice([4, 5, 7, 9, 10, 12, 30, 80]))
        x = oracle.grid(rng.normal(size=n))
        y = oracle.grid(rng.uniform(-1, 1) * x + rng.normal(size=n))
        if k % 3 == 0:  # integer scores: ties
            x, y = np.round(x * 2), np.round(y * 2)
        if k % 4 == 1 and n > 6:
            x[rng.integers(0, n)] = np.nan
        frames.append(pd.DataFrame({"set": f"s{k}", "x": x, "y": y}))
    table = pd.concat(frames, ignore_index=True)
    result = oracle.run_oracle(rscript, {"correlation": table}, tmp_path)
    for entry in result["correlation"]:
        rows = table["set"] == entry["set"]
        x, y = table.loc[rows, "x"], table.loc[rows, "y"]
        context = f"seed {seed}, set {entry['set']}, {entry['method']}"
        if entry["n"] < 4 or np.nanstd(x) == 0 or np.nanstd(y) == 0:
            with pytest.raises(ModelError):
                correlate(x, y, entry["method"])
            continue
        check_against_r(correlate(x, y, entry["method"]), entry, context)


def test_exactly_uncorrelated_integer_scores():
    """Found by the live R comparison (seed 2103830478): these scores have a centred
    cross-product of exactly 0, so r = 0, t = 0 and p = 1 exactly (up to rounding)."""
    x = [-2.0, 1.0, -1.0, -2.0, 4.0, -1.0, 1.0, 0.0, 3.0]
    y = [-2.0, -2.0, -1.0, -1.0, -2.0, 2.0, 0.0, -1.0, 1.0]
    res = correlate(x, y, "pearson")
    assert abs(res.r) < 1e-15
    assert abs(res.statistic) < 1e-14
    assert res.p_value == pytest.approx(1.0, abs=1e-14)
