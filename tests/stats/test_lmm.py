"""The profiled criterion from sufficient statistics equals the dense textbook formula.

The reference is the REML/ML deviance written with the full N x N covariance
(Bates et al. 2015, JSS 67(1), eqs. 34 and 41, with sigma profiled out):
``log|H| + log|X'H^-1X| + (N-p)(1 + log(2 pi r2/(N-p)))`` for REML and
``log|H| + N(1 + log(2 pi r2/N))`` for ML, ``r2 = y'H^-1 y - b'A^-1 b``.
"""

from __future__ import annotations

import numpy as np
import pytest

from linkwork.stats.lmm import NestedCriterion, SingleCriterion, profiled_deviance
from linkwork.stats.suffstats import nested_sufficient_statistics, sufficient_statistics


def dense_criterion(X, y, H, reml, w=None):
    if w is not None:  # V = sigma^2 (W^-1 + Z G Z'): H here is the unweighted part
        H = H + np.diag(1.0 / w) - np.eye(y.size)
    Hi = np.linalg.inv(H)
    A = X.T @ Hi @ X
    b = X.T @ Hi @ y
    r2 = y @ Hi @ y - b @ np.linalg.solve(A, b)
    n, p = X.shape
    nu = n - p if reml else n
    value = np.linalg.slogdet(H)[1] + nu * (1 + np.log(2 * np.pi * r2 / nu))
    if reml:
        value += np.linalg.slogdet(A)[1]
    return value, np.linalg.solve(A, b)


def slope_data(seed: int = 4):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, 14)
    g = np.repeat(np.arange(14), sizes)
    n = g.size
    t = rng.integers(0, 4, n).astype(float)
    X = np.column_stack([np.ones(n), t, rng.normal(size=n)])
    Z = np.column_stack([np.ones(n), t])
    y = 50 + 2 * t + rng.normal(size=n) + rng.normal(size=14)[g]
    return X, Z, y, g, rng.uniform(0.5, 2, n)


def dense_h(Z, g, lam):
    H = np.eye(g.size)
    for i in np.unique(g):
        m = g == i
        H[np.ix_(m, m)] += Z[m] @ lam @ lam.T @ Z[m].T
    return H


ROWS, COLS = [0, 1, 1], [0, 0, 1]


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("theta", [[0.8, 0.3, 0.5], [1.5, -0.4, 0.0], [0.0, 0.0, 0.2]])
def test_single_criterion_equals_dense(reml: bool, weighted: bool, theta: list[float]) -> None:
    X, Z, y, g, w = slope_data()
    wts = w if weighted else None
    s = sufficient_statistics(X, Z, y, g, intercept=0, weights=wts)
    crit = SingleCriterion(s, ROWS, COLS)
    th = np.array(theta)
    value, _, beta_c, _ = profiled_deviance(crit.pieces(th), y.size, reml)
    lam = np.zeros((2, 2))
    lam[ROWS, COLS] = th
    ref, beta = dense_criterion(X, y, dense_h(Z, g, lam), reml, wts)
    assert value == pytest.approx(ref, rel=1e-12)
    # centred fixed effects map back: slopes equal, intercept shifted
    np.testing.assert_allclose(beta_c[1:], beta[1:], rtol=1e-9)


@pytest.mark.parametrize("reml", [True, False])
def test_gradient_equals_finite_differences(reml: bool) -> None:
    X, Z, y, g, _ = slope_data(7)
    crit = SingleCriterion(sufficient_statistics(X, Z, y, g, intercept=0), ROWS, COLS)
    th = np.array([0.9, 0.2, 0.4])
    _, grad, _, _ = profiled_deviance(crit.pieces(th, True), y.size, reml)
    h = 1e-6
    fd = [
        (
            profiled_deviance(crit.pieces(th + h * e), y.size, reml)[0]
            - profiled_deviance(crit.pieces(th - h * e), y.size, reml)[0]
        )
        / (2 * h)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


def nested_data(seed: int = 11):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, 16)
    g = np.repeat(np.arange(16), sizes)
    site = rng.integers(0, 4, 16)
    n = g.size
    X = np.column_stack([np.ones(n), rng.integers(0, 2, n)])
    y = rng.normal(size=n) + rng.normal(size=16)[g] + 2 * rng.normal(size=4)[site[g]]
    return X, y, g, site


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("theta", [[0.7, 1.4], [0.0, 0.9], [1.1, 0.0]])
def test_nested_criterion_equals_dense(reml: bool, theta: list[float]) -> None:
    X, y, g, site = nested_data()
    crit = NestedCriterion(nested_sufficient_statistics(X, y, g, site, intercept=0))
    t1, t2 = theta
    H = (
        np.eye(y.size)
        + t1**2 * (g[:, None] == g[None, :])
        + t2**2 * (site[g][:, None] == site[g][None, :])
    )
    value = profiled_deviance(crit.pieces(np.array(theta)), y.size, reml)[0]
    assert value == pytest.approx(dense_criterion(X, y, H, reml)[0], rel=1e-12)
    # theta order (outer, inner) when lme4 puts the outer term first
    swapped = NestedCriterion(crit.stats, inner_first=False)
    other = profiled_deviance(swapped.pieces(np.array([t2, t1])), y.size, reml)[0]
    assert other == pytest.approx(value, rel=1e-14)


def test_nested_gradient_equals_finite_differences() -> None:
    X, y, g, site = nested_data(12)
    crit = NestedCriterion(nested_sufficient_statistics(X, y, g, site, intercept=0))
    th = np.array([0.6, 1.2])
    _, grad, _, _ = profiled_deviance(crit.pieces(th, True), y.size, True)
    h = 1e-6
    fd = [
        (
            profiled_deviance(crit.pieces(th + h * e), y.size, True)[0]
            - profiled_deviance(crit.pieces(th - h * e), y.size, True)[0]
        )
        / (2 * h)
        for e in np.eye(2)
    ]
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


def test_derivative_pieces_match_finite_differences() -> None:
    X, Z, y, g, _ = slope_data(3)
    crit = SingleCriterion(sufficient_statistics(X, Z, y, g, intercept=0), ROWS, COLS)
    th = np.array([0.5, 0.1, 0.7])
    pc = crit.pieces(th, True)
    assert pc.dA is not None
    h = 1e-6
    for k, e in enumerate(np.eye(3)):
        up, down = crit.pieces(th + h * e), crit.pieces(th - h * e)
        np.testing.assert_allclose(pc.dA[k], (up.A - down.A) / (2 * h), rtol=1e-6, atol=1e-6)
        assert pc.dc is not None
        assert pc.dc[k] == pytest.approx((up.c - down.c) / (2 * h), rel=1e-6, abs=1e-6)
        assert pc.dlogdet is not None
        assert pc.dlogdet[k] == pytest.approx((up.logdet - down.logdet) / (2 * h), rel=1e-6)


def test_singular_pieces_give_infinite_criterion() -> None:
    X, Z, y, g, _ = slope_data()
    X = np.column_stack([X, X[:, 1]])  # aliased column: A is singular
    crit = SingleCriterion(sufficient_statistics(X, Z, y, g), ROWS, COLS)
    value, grad, _, _ = profiled_deviance(crit.pieces(np.array([1.0, 0.0, 1.0]), True), 40, True)
    assert value == np.inf
    assert grad is None
