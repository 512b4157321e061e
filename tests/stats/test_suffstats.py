"""The data pass equals brute-force dense cross-products, whichever path computes it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from linkwork.stats.suffstats import nested_sufficient_statistics, sufficient_statistics


def data(seed: int = 5, n_groups: int = 15) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    n = g.size
    t = rng.integers(0, 3, n).astype(float)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), t, x])
    Z = np.column_stack([np.ones(n), t])
    y = 100.0 + rng.normal(size=n)
    return {"X": X, "Z": Z, "y": y, "g": g, "w": rng.uniform(0.5, 2.0, n)}


def brute(X, Z, y, g, w=None, intercept=0):
    """Centre, then per-group dense products, pooled by exact Z_i'Z_i."""
    w = np.ones(y.size) if w is None else w
    xc = X.mean(axis=0)
    xc[intercept] = 0.0
    Xc, yc = X - xc, y - y.mean()
    out = {"xtx": (Xc * w[:, None]).T @ Xc, "xty": Xc.T @ (w * yc), "yty": yc @ (w * yc)}
    per: dict[tuple[float, ...], dict[str, Any]] = {}
    for i in np.unique(g):
        m = g == i
        ztz = (Z[m] * w[m, None]).T @ Z[m]
        xz = (Xc[m] * w[m, None]).T @ Z[m]
        zy = Z[m].T @ (w[m] * yc[m])
        key = tuple(np.round(ztz, 12).ravel())
        acc = per.setdefault(key, {"n": 0, "ztz": ztz, "T": 0.0, "U": 0.0, "W": 0.0})
        acc["n"] += 1
        acc["T"] = acc["T"] + np.einsum("ak,bl->klab", xz, xz)
        acc["U"] = acc["U"] + np.einsum("ak,l->kla", xz, zy)
        acc["W"] = acc["W"] + np.outer(zy, zy)
    out["patterns"] = per
    return out


def check(stats, ref) -> None:
    np.testing.assert_allclose(stats.xtx, ref["xtx"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(stats.xty, ref["xty"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(stats.yty, ref["yty"], rtol=1e-12)
    # Patterns may be finer than Z_i'Z_i (the discrete path pools equal design-row multisets):
    # pooled again by Z_i'Z_i they must equal the brute-force sums.
    pats = ref["patterns"]
    ours: dict[tuple[float, ...], dict[str, Any]] = {}
    for g in range(stats.n_patterns):
        key = tuple(np.round(stats.pattern_ztz[g], 12).ravel())
        acc = ours.setdefault(key, {"n": 0, "T": 0.0, "U": 0.0, "W": 0.0})
        acc["n"] += stats.pattern_count[g]
        acc["T"] = acc["T"] + stats.pattern_xzxz[g]
        acc["U"] = acc["U"] + stats.pattern_xzzy[g]
        acc["W"] = acc["W"] + stats.pattern_zyzy[g]
    assert set(ours) == set(pats)
    for key, acc in pats.items():
        assert ours[key]["n"] == acc["n"]
        for part in ("T", "U", "W"):
            np.testing.assert_allclose(ours[key][part], acc[part], rtol=1e-11, atol=1e-9)


@pytest.mark.parametrize("path", ["rows", "distinct"])
@pytest.mark.parametrize("weighted", [False, True])
def test_single_grouping_equals_brute_force(path: str, weighted: bool) -> None:
    d = data()
    w = d["w"] if weighted else None
    if path == "rows":  # no compression: the general per-row path
        s = sufficient_statistics(d["X"], d["Z"], d["y"], d["g"], intercept=0, weights=w)
    else:  # distinct design rows + codes: the discrete path
        XZ = np.column_stack([d["X"], d["Z"]])
        rows, code = np.unique(XZ, axis=0, return_inverse=True)
        s = sufficient_statistics(
            rows[:, :3], rows[:, 3:], d["y"], d["g"], row_code=code.ravel(), intercept=0, weights=w
        )
    check(s, brute(d["X"], d["Z"], d["y"], d["g"], w))
    assert s.n_obs == d["y"].size
    assert s.n_groups == 15
    np.testing.assert_allclose(s.y_center, d["y"].mean())
    assert s.log_weights == pytest.approx(0.0 if w is None else np.log(w).sum())
    # per-group tables (for the conditional modes)
    yc = d["y"] - d["y"].mean()
    for i in (0, 7):
        m = d["g"] == i
        ww = np.ones(m.sum()) if w is None else w[m]
        np.testing.assert_allclose(s.group_zy[i], d["Z"][m].T @ (ww * yc[m]), atol=1e-10)


def test_discrete_pattern_is_the_set_of_observed_rows() -> None:
    # 3 waves, participants missing some waves: patterns = observed subsets of waves
    wave = np.array([0, 1, 2, 0, 1, 0, 2, 0, 1, 2, 0])
    g = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 4])
    X = np.array([[1.0, 0, 0], [1, 1, 0], [1, 0, 1]])
    y = np.arange(11.0)
    s = sufficient_statistics(X, np.ones((3, 1)), y, g, row_code=wave, intercept=0)
    assert sorted(s.pattern_count.tolist()) == [1.0, 1.0, 1.0, 2.0]
    assert s.pattern_xz is not None
    assert s.group_xz is None
    np.testing.assert_array_equal(s.xz_of_groups()[0], s.xz_of_groups()[3])


def test_nested_cells_equal_brute_force() -> None:
    d = data(n_groups=12)
    rng = np.random.default_rng(9)
    outer = rng.integers(0, 4, 12)
    s = nested_sufficient_statistics(d["X"], d["y"], d["g"], outer, intercept=0)
    yc = d["y"] - d["y"].mean()
    xc = d["X"].mean(axis=0)
    xc[0] = 0
    Xc = d["X"] - xc
    n_i = np.bincount(d["g"])
    for r in range(s.cell_outer.size):
        o, pat = s.cell_outer[r], s.cell_pattern[r]
        n = s.inner.pattern_ztz[pat, 0, 0]
        members = [i for i in range(12) if outer[i] == o and n_i[i] == n]
        assert s.cell_count[r] == len(members)
        rows = np.isin(d["g"], members)
        np.testing.assert_allclose(s.cell_xz[r], Xc[rows].sum(axis=0), atol=1e-10)
        np.testing.assert_allclose(s.cell_zy[r], yc[rows].sum(), atol=1e-10)
    assert s.cell_count.sum() == 12


def test_centring_removes_cancellation() -> None:
    # y = 1e8 + small noise: uncentred y'y would lose every significant digit of the noise
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(200), 3)
    y = 1e8 + rng.normal(size=600)
    X = np.ones((600, 1))
    s = sufficient_statistics(X, X, y, g, intercept=0)
    yc = y - y.mean()
    np.testing.assert_allclose(s.yty, float(yc @ yc), rtol=1e-12)


def test_sum_by_is_accurate_for_long_sums() -> None:
    import math

    from linkwork.stats.suffstats import sum_by

    rng = np.random.default_rng(0)
    n = 400_000
    values = rng.normal(size=n) + 1e6
    codes = (np.arange(n) % 2).astype(np.int8)
    exact = [math.fsum(values[codes == k]) for k in (0, 1)]
    ours = sum_by(codes, values, 2)
    np.testing.assert_allclose(ours, exact, rtol=1e-14)
    np.testing.assert_array_equal(
        sum_by(codes[:10], values[:10], 2),
        np.bincount(codes[:10], weights=values[:10], minlength=2),
    )


@pytest.mark.parametrize("n_rows", [3, 12])
def test_sorted_chunked_path_equals_unsorted(monkeypatch: pytest.MonkeyPatch, n_rows: int) -> None:
    import linkwork.stats.suffstats as S

    monkeypatch.setattr(S, "_CHUNK", 7)  # many chunks, groups straddling chunk boundaries
    rng = np.random.default_rng(4)
    g = np.sort(rng.integers(0, 40, 300))
    code = rng.integers(0, n_rows, 300)
    t = np.arange(n_rows, dtype=float)
    X = np.column_stack([np.ones(n_rows), t, (t % 2)])
    Z = np.column_stack([np.ones(n_rows), t])
    y = 50 + rng.normal(size=300)
    s_sorted = S.sufficient_statistics(X, Z, y, g, row_code=code, intercept=0)
    order = rng.permutation(300)
    s_shuffled = S.sufficient_statistics(
        X, Z, y[order], g[order], row_code=code[order], intercept=0
    )
    assert S._discrete_sorted(X, Z, y, 50.0, g, code, 40, np.ones(n_rows)) is not None
    assert S._discrete_sorted(X, Z, y, 50.0, g[order], code[order], 40, np.ones(n_rows)) is None
    np.testing.assert_allclose(s_sorted.xtx, s_shuffled.xtx, rtol=1e-12)
    np.testing.assert_allclose(s_sorted.xty, s_shuffled.xty, rtol=1e-10, atol=1e-10)
    assert s_sorted.yty == pytest.approx(s_shuffled.yty, rel=1e-12)
    np.testing.assert_allclose(s_sorted.group_zy, s_shuffled.group_zy, rtol=1e-10, atol=1e-10)
    # pattern numbering may differ between the paths: compare pooled by Z_i'Z_i
    check(s_sorted, brute(X[code], Z[code], y, g))
    check(s_shuffled, brute(X[code], Z[code], y, g))
