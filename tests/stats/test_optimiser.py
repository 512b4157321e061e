"""The optimiser (bounded modified Newton) and the optimum it finds, checked independently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from linkwork.stats import lmer
from linkwork.stats.optimiser import fd_hessian, minimise


def long(n_id: int = 30, seed: int = 1, id_sd: float = 1.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n_id), 4)
    t = np.tile([0.0, 1.0, 2.0, 3.0], n_id)
    df = pd.DataFrame({"id": ids, "t": t})
    df["y"] = (
        1.0
        + 0.5 * t
        + id_sd * rng.normal(size=n_id)[ids]
        + 0.3 * rng.normal(size=n_id)[ids] * t
        + rng.normal(size=ids.size)
    )
    return df


def test_minimise_bounded_rosenbrock() -> None:
    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = x
        value = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        grad = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        return float(value), grad

    x, _, ok, _ = minimise(f, np.array([-1.2, 1.0]), np.array([-np.inf, -np.inf]))
    assert ok
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-8)
    # with the bound a >= 1.5 the optimum is on the bound, b = a^2
    x, _, ok, _ = minimise(f, np.array([2.0, 1.0]), np.array([1.5, -np.inf]))
    assert ok
    np.testing.assert_allclose(x, [1.5, 2.25], atol=1e-8)


def test_fd_hessian_of_a_quadratic() -> None:
    A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    H = fd_hessian(lambda x: A @ x, np.array([0.3, -2.0, 5.0]))
    np.testing.assert_allclose(H, A, rtol=1e-10, atol=1e-10)


def dense_reml(df: pd.DataFrame, theta: float) -> float:
    X = np.column_stack([np.ones(len(df)), df["t"]])
    y = df["y"].to_numpy()
    g = df["id"].to_numpy()
    H = np.eye(len(df)) + theta**2 * (g[:, None] == g[None, :])
    Hi = np.linalg.inv(H)
    A = X.T @ Hi @ X
    b = X.T @ Hi @ y
    r2 = y @ Hi @ y - b @ np.linalg.solve(A, b)
    nu = len(df) - 2
    return float(
        np.linalg.slogdet(H)[1] + np.linalg.slogdet(A)[1] + nu * (1 + np.log(2 * np.pi * r2 / nu))
    )


def test_optimum_matches_an_independent_optimiser() -> None:
    df = long(20)
    fit = lmer("y ~ t + (1 | id)", df)
    ref = optimize.minimize_scalar(
        lambda th: dense_reml(df, th),
        bounds=(0.0, 10.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert fit.theta[0] == pytest.approx(ref.x, rel=1e-6)
    assert fit.reml_criterion == pytest.approx(ref.fun, rel=1e-12)
    assert fit.reml_criterion <= ref.fun + 1e-9
    assert fit.converged
    assert not fit.singular


def test_singular_fit_is_detected() -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "t": np.tile([0.0, 1, 2], 40)})
    # negative within-id correlation: the REML estimate of the id variance is 0
    df["y"] = rng.normal(size=120) - 0.8 * np.repeat(rng.normal(size=40), 3) * np.tile(
        [1, -1, 0], 40
    )
    fit = lmer("y ~ t + (1 | id)", df)
    assert fit.theta[0] == 0.0
    assert fit.singular
    assert fit.converged
    # the boundary optimum is a true minimum: moving inside increases the criterion
    assert dense_reml(df, 0.05) > fit.reml_criterion


def test_random_slopes_optimum_is_stationary() -> None:
    df = long(40, seed=3)
    fit = lmer("y ~ t + (1 + t | id)", df)
    crit = fit.model.crit
    from linkwork.stats.lmm import profiled_deviance

    _, grad, _, _ = profiled_deviance(crit.pieces(fit.theta, True), crit.n_obs, True)
    assert grad is not None
    assert np.max(np.abs(grad)) < 1e-5
    assert fit.converged
