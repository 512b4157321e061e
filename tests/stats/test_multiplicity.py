"""p_adjust against R's p.adjust (stored results and a live randomised run).

Tolerance: 1e-10 relative throughout; R and linkwork use the same arithmetic.
"""

import secrets

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reference import make_other_stats_data

from linkwork.errors import DataFormatError, PlanError
from linkwork.stats.multiplicity import P_ADJUST_METHODS, p_adjust

oracle = make_other_stats_data

REF = oracle.load_reference()
P_VALUES = oracle.read_table("p_values")


def _as_float(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def assert_same(ours: np.ndarray, r: np.ndarray, message: str = "") -> None:
    assert np.array_equal(np.isnan(ours), np.isnan(r)), message
    ok = ~np.isnan(r)
    np.testing.assert_allclose(ours[ok], r[ok], rtol=1e-10, atol=0, err_msg=message)


@pytest.mark.parametrize("entry", REF["p_adjust"], ids=lambda e: f"{e['set']}-{e['method']}")
def test_matches_stored_r(entry):
    p = P_VALUES.loc[P_VALUES["set"] == entry["set"], "p"].to_numpy(dtype=np.float64)
    assert_same(p_adjust(p, entry["method"]), _as_float(entry["adjusted"]))


def test_stored_reference_covers_every_method_and_edge():
    methods = {e["method"] for e in REF["p_adjust"]}
    assert methods == set(P_ADJUST_METHODS)
    sizes = {e["set"]: len(e["adjusted"]) for e in REF["p_adjust"]}
    # one and two p-values (hommel -> hochberg), NaN and ties (mixed12), many (many60)
    assert (sizes["one"], sizes["two"], sizes["many60"]) == (1, 2, 60)
    assert P_VALUES.loc[P_VALUES["set"] == "mixed12", "p"].isna().sum() == 2


def test_reference_data_is_reproducible(tmp_path):
    """The committed CSVs are exactly what the seeded generator writes."""
    oracle.write_tables(oracle.build_all(oracle.SEED), tmp_path)
    for path in sorted(oracle.OUT.glob("*.csv")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_nan_is_kept_and_not_counted():
    # R: p.adjust(c(0.01, NA, 0.02), "bonferroni") is 0.02, NA, 0.04 (n = 2, not 3)
    out = p_adjust([0.01, np.nan, 0.02], "bonferroni")
    assert np.isnan(out[1])
    assert out[0] == pytest.approx(0.02, rel=1e-15, abs=0)
    assert out[2] == pytest.approx(0.04, rel=1e-15, abs=0)


def test_series_keeps_index_and_name():
    p = pd.Series([0.04, 0.01, 0.03], index=["a", "b", "c"], name="p")
    out = p_adjust(p, "holm")
    assert isinstance(out, pd.Series)
    assert list(out.index) == ["a", "b", "c"]
    assert out.name == "p"
    # Holm by hand: sorted 0.01, 0.03, 0.04 -> 3*0.01, 2*0.03, max(0.06, 0.04)
    np.testing.assert_allclose(out.to_numpy(), [0.06, 0.03, 0.06], rtol=1e-15)


def test_fdr_is_bh_and_none_is_identity():
    p = np.array([0.2, 0.01, 0.04, 0.03])
    np.testing.assert_array_equal(p_adjust(p, "fdr"), p_adjust(p, "BH"))
    np.testing.assert_array_equal(p_adjust(p, "none"), p)


def test_unknown_method_and_bad_values_raise():
    with pytest.raises(PlanError, match="unknown p-value adjustment"):
        p_adjust([0.1], "sidak")
    with pytest.raises(DataFormatError, match="outside"):
        p_adjust([0.1, 1.5], "holm")
    with pytest.raises(DataFormatError, match="outside"):
        p_adjust([0.1, np.inf], "holm")
    with pytest.raises(DataFormatError, match="one-dimensional"):
        p_adjust(np.ones((2, 2)) / 2, "holm")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30),
    st.sampled_from(P_ADJUST_METHODS),
)
def test_adjusted_never_below_raw_nor_above_one(p, method):
    raw = np.array(p)
    out = p_adjust(raw, method)
    assert np.all(out >= raw - 1e-15)
    assert np.all(out <= 1.0)
    # the adjustment keeps the order of the p-values (ties may merge)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(out[order]) >= -1e-15)


@pytest.mark.r
def test_live_random_against_r(rscript, tmp_path):
    seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(8):
        n = int(rng.integers(1, 40))
        p = oracle.grid(rng.beta(0.4, 1.5, n), 2.0**-16)
        p[rng.uniform(size=n) < 0.1] = np.nan
        frames.append(pd.DataFrame({"set": f"s{k}", "p": p}))
    table = pd.concat(frames, ignore_index=True)
    result = oracle.run_oracle(rscript, {"p_values": table}, tmp_path)
    for entry in result["p_adjust"]:
        p = table.loc[table["set"] == entry["set"], "p"].to_numpy(dtype=np.float64)
        assert_same(
            p_adjust(p, entry["method"]),
            _as_float(entry["adjusted"]),
            f"seed {seed}, set {entry['set']}, method {entry['method']}",
        )
