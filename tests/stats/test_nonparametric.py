"""friedman / wilcoxon_signed_rank / pairwise_wilcoxon against R (stored and live random).

Tolerance: 1e-10 relative for statistics and p-values (R's method exactly). The effect-size z
is checked against the z implied by R's own ``wilcox.test(exact = FALSE, correct = FALSE)``
p-value (``-qnorm(p / 2)``), to 1e-9 relative (inverting the normal tail loses a little).
"""

import math
import secrets

import numpy as np
import pandas as pd
import pytest
from tests.reference import make_other_stats_data

from linkwork.errors import DataFormatError, ModelError, PlanError
from linkwork.stats.nonparametric import friedman, pairwise_wilcoxon, wilcoxon_signed_rank

oracle = make_other_stats_data

REF = oracle.load_reference()
WILCOXON = oracle.read_table("wilcoxon")
FRIEDMAN = oracle.read_table("friedman")
REL = 1e-10


def approx(value, rel=REL):
    return pytest.approx(value, rel=rel, abs=0)


def wide(long: pd.DataFrame, name: str) -> pd.DataFrame:
    part = long[long["set"] == name]
    waves = list(dict.fromkeys(part["wave"]))
    return part.pivot(index="id", columns="wave", values="value")[waves]


def check_wilcoxon(res, entry, context=""):
    assert res.statistic == entry["statistic"], context
    assert res.p_value == approx(entry["p_value"]), context
    assert (res.n, res.n_pairs, res.exact) == (entry["n"], entry["n_pairs"], entry["exact"]), (
        context
    )
    assert res.z == pytest.approx(entry["z"], rel=1e-9, abs=1e-12), context
    assert res.r == pytest.approx(entry["z"] / math.sqrt(entry["n"]), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("entry", REF["wilcoxon"], ids=lambda e: e["set"])
def test_wilcoxon_matches_stored_r(entry):
    rows = WILCOXON["set"] == entry["set"]
    res = wilcoxon_signed_rank(WILCOXON.loc[rows, "x"], WILCOXON.loc[rows, "y"])
    check_wilcoxon(res, entry)


def test_stored_wilcoxon_sets_cover_both_branches_and_zeros():
    exact = {e["set"]: e["exact"] for e in REF["wilcoxon"]}
    # n = 49 is the last exact size, n = 50 the first normal one; zeros or ties force normal
    assert exact["exact49"]
    assert not exact["normal50"]
    assert not exact["zeros20"]
    assert not exact["ties40"]
    rows = WILCOXON["set"] == "zeros20"
    res = wilcoxon_signed_rank(WILCOXON.loc[rows, "x"], WILCOXON.loc[rows, "y"])
    assert (res.n_zero, res.n, res.n_pairs) == (3, 17, 20)
    rows = WILCOXON["set"] == "na25"
    res = wilcoxon_signed_rank(WILCOXON.loc[rows, "x"], WILCOXON.loc[rows, "y"])
    assert (res.n_dropped, res.n_pairs) == (3, 22)


@pytest.mark.parametrize("entry", REF["friedman"], ids=lambda e: e["set"])
def test_friedman_matches_stored_r(entry):
    frame = wide(FRIEDMAN, entry["set"])
    res = friedman(frame)
    assert res.statistic == approx(entry["statistic"])
    assert res.df == entry["df"]
    assert res.p_value == approx(entry["p_value"])
    assert res.n == entry["n"]
    assert res.n_excluded == len(frame) - entry["n"]
    assert res.waves == tuple(frame.columns)
    assert list(res.tidy().columns) == ["statistic", "df", "p_value", "n", "n_excluded", "k"]


def test_pairwise_matches_stored_r():
    expected = [e for e in REF["pairwise_wilcoxon"] if e["set"] == "groups3"]
    table = pairwise_wilcoxon(wide(FRIEDMAN, "groups3"))
    assert list(table["contrast"]) == [e["contrast"] for e in expected]
    for (_, row), entry in zip(table.iterrows(), expected, strict=True):
        check_wilcoxon(row, entry, entry["contrast"])
        assert row["p_holm"] == approx(entry["p_holm"])


def test_pairwise_complete_cases_uses_the_friedman_sample():
    frame = wide(FRIEDMAN, "groups3")
    table = pairwise_wilcoxon(frame, complete_cases=True, adjust="BH")
    assert set(table["n_pairs"]) == {friedman(frame).n}
    assert "p_BH" in table.columns


def test_wilcoxon_errors():
    with pytest.raises(ModelError, match="non-zero difference"):
        wilcoxon_signed_rank([1.0, 2.0, np.nan], [1.0, 2.0, 3.0])
    with pytest.raises(DataFormatError, match="length"):
        wilcoxon_signed_rank([1.0, 2.0], [1.0])
    with pytest.raises(DataFormatError, match="not numeric"):
        wilcoxon_signed_rank(pd.Series(["1", "2"], name="T2"), [1.0, 2.0])


def test_friedman_errors():
    with pytest.raises(PlanError, match="at least 2 waves"):
        friedman(pd.DataFrame({"T1": [1.0, 2.0]}))
    with pytest.raises(ModelError, match="at least 2 participants"):
        friedman(pd.DataFrame({"T1": [1.0, np.nan], "T2": [2.0, 3.0]}))
    with pytest.raises(ModelError, match="tied"):
        friedman(pd.DataFrame({"T1": [1.0, 2.0, 3.0], "T2": [1.0, 2.0, 3.0]}))
    with pytest.raises(KeyError, match="T9"):
        friedman(pd.DataFrame({"T1": [1.0, 2.0]}), waves=["T1", "T9"])


def test_effect_size_r_is_bounded_by_one():
    # All differences positive and tied: V = n(n+1)/2 and z / sqrt(n) reaches exactly 1.
    res = wilcoxon_signed_rank([2.0] * 8, [1.0] * 8)
    assert res.r == pytest.approx(1.0, rel=1e-15, abs=0)
    res = wilcoxon_signed_rank(np.arange(1.0, 31.0), np.zeros(30))
    assert 0 < res.r < 1


@pytest.mark.r
def test_live_random_against_r(rscript, tmp_path):
    seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)
    pairs = []
    for k in range(10):
        n = int(rng.choice([5, 12, 30, 49, 50, 70]))
        y = oracle.grid(rng.normal(size=n))
        x = oracle.grid(y + rng.normal(0.3, 1.0, n))
        if k % 3 == 0:  # integer scores: ties and zeros
            x, y = np.round(x), np.round(y)
        if k % 4 == 1:
            x[rng.integers(0, n)] = np.nan
        pairs.append(pd.DataFrame({"set": f"s{k}", "x": x, "y": y}))
    long = []
    for k in range(3):
        n, waves = int(rng.integers(8, 40)), ["T1", "T2", "T3", "T4"][: int(rng.integers(2, 5))]
        for j, wave in enumerate(waves):
            v = rng.integers(0, 6, n).astype(np.float64) + j * (k == 1)
            v[rng.uniform(size=n) < 0.1] = np.nan
            long.append(
                pd.DataFrame({"set": f"f{k}", "id": np.arange(n), "wave": wave, "value": v})
            )
    pair_table = pd.concat(pairs, ignore_index=True)
    friedman_table = pd.concat(long, ignore_index=True)
    result = oracle.run_oracle(
        rscript, {"wilcoxon": pair_table, "friedman": friedman_table}, tmp_path
    )
    for entry in result["wilcoxon"]:
        rows = pair_table["set"] == entry["set"]
        x, y = pair_table.loc[rows, "x"], pair_table.loc[rows, "y"]
        if entry["n"] == 0:  # every difference zero: R returns p = NaN, we raise
            assert entry["p_value"] is None
            with pytest.raises(ModelError):
                wilcoxon_signed_rank(x, y)
            continue
        check_wilcoxon(wilcoxon_signed_rank(x, y), entry, f"seed {seed}, set {entry['set']}")
    for entry in result["friedman"]:
        res = friedman(wide(friedman_table, entry["set"]))
        context = f"seed {seed}, set {entry['set']}"
        assert res.statistic == approx(entry["statistic"]), context
        assert res.p_value == approx(entry["p_value"]), context
        assert res.n == entry["n"], context
    for name in {e["set"] for e in result["pairwise_wilcoxon"]}:
        expected = [e for e in result["pairwise_wilcoxon"] if e["set"] == name]
        table = pairwise_wilcoxon(wide(friedman_table, name))
        for (_, row), entry in zip(table.iterrows(), expected, strict=True):
            check_wilcoxon(row, entry, f"seed {seed}, {name} {entry['contrast']}")
            assert row["p_holm"] == approx(entry["p_holm"]), f"seed {seed}"
