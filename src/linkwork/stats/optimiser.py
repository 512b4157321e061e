"""Minimising the profiled REML/ML criterion over theta with lme4's bounds.

lme4 minimises over ``theta`` with diagonal elements of the relative covariance factor bounded
below by 0 and off-diagonal elements free, starting from 1 on the diagonal and 0 elsewhere
(Bates et al. 2015, JSS 67(1), section 3.6), using BOBYQA, which stops within about 1e-7
(random intercepts) to 1e-4 (random slopes) of the optimum. Here the criterion's gradient is
analytic (:mod:`linkwork.stats.lmm`) and theta has a handful of elements, so a projected,
modified Newton method (Hessian by central differences of the gradient, eigenvalues replaced
by their absolute values, backtracking line search) converges to machine precision in a few
iterations. A diagonal element that ends at its bound 0 is a stationary point by symmetry
(the criterion depends on its square); the search is restarted from inside once and the better
optimum kept, and the result is checked for convergence by the size of the last Newton step.

Validated on the R reference designs: the criterion at our optimum is never worse than lme4's
(``tests/stats/test_lmer_vs_r.py::test_criterion_matches_lme4_devfun``) and matches an
independent one-dimensional optimiser (tests/stats/test_optimiser.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkwork.stats.lmm import Criterion, profiled_deviance

__all__ = ["Optimum", "fd_hessian", "minimise", "optimise"]

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]


@dataclass(frozen=True, slots=True)
class Optimum:
    """The optimiser's result: theta, criterion value, convergence and effort."""

    theta: FloatArray
    value: float
    converged: bool
    message: str
    n_evaluations: int


def fd_hessian(
    grad: Callable[[FloatArray], FloatArray],
    x: FloatArray,
    rel: float = 1e-3,
    richardson: bool = True,
) -> FloatArray:
    """Hessian by central differences of a gradient (Richardson-extrapolated), symmetrised.

    >>> H = fd_hessian(lambda x: np.array([2 * x[0] + x[1], x[0] + 6 * x[1]]), np.ones(2))
    >>> np.round(H, 10).tolist()
    [[2.0, 1.0], [1.0, 6.0]]
    """
    k = x.shape[0]
    H = np.empty((k, k))
    for j in range(k):
        h = rel * max(abs(float(x[j])), 0.1)
        e = np.zeros(k)
        e[j] = 1.0

        def diff(step: float, e: FloatArray = e) -> FloatArray:
            return (grad(x + step * e) - grad(x - step * e)) / (2.0 * step)

        H[:, j] = (4.0 * diff(h / 2.0) - diff(h)) / 3.0 if richardson else diff(h)
    return (H + H.T) / 2.0


def minimise(
    fun: Objective,
    x0: FloatArray,
    lower: FloatArray,
    max_iter: int = 200,
    flips: dict[int, npt.NDArray[np.bool_]] | None = None,
) -> tuple[FloatArray, float, bool, str]:
    """Projected modified Newton minimisation with bounds ``x >= lower`` (``-inf`` = free).

    Each iteration takes the Newton step on the coordinates not held at a bound (Hessian by
    central differences of the gradient, eigenvalues replaced by their absolute values, the
    step capped at the size of ``x``), and searches along it without leaving the feasible set:
    the first trial stops where a coordinate reaches its bound, then the step is halved.

    *flips* declares symmetries ``f(x) = f(x')`` where ``x'`` negates the coordinates in
    ``flips[j]`` (for lme4's theta: the column of Lambda of diagonal element ``j``). A
    coordinate held at its bound because its gradient points outwards is released when the
    flipped point's gradient points inwards; without this, a diagonal element reaching 0 with
    a non-zero off-diagonal below it can trap the search.

    Returns
    -------
    x, value, converged, message

    Examples
    --------
    >>> def f(x):
    ...     return float((x[0] - 2) ** 2 + (x[1] + 1) ** 2), 2 * (x - np.array([2.0, -1.0]))
    >>> x, v, ok, _ = minimise(f, np.array([1.0, 1.0]), np.array([0.0, 0.0]))
    >>> np.round(x, 8).tolist(), ok
    ([2.0, 0.0], True)
    """
    bounded = np.isfinite(lower)
    flips = flips or {}

    def project(x: FloatArray) -> FloatArray:
        return np.where(bounded, np.maximum(x, lower), x)

    def grad(x: FloatArray) -> FloatArray:
        return fun(x)[1]

    x = project(np.asarray(x0, dtype=np.float64))
    f, g = fun(x)
    if not math.isfinite(f):
        return x, f, False, "criterion not finite at the start"
    for _ in range(max_iter):
        noise = 1e-13 * max(1.0, abs(f))
        held = bounded & (x <= lower) & (g >= 0)
        for j in np.flatnonzero(held):
            mask = flips.get(int(j))
            if mask is None or not np.any(x[mask] != 0):
                continue
            flipped = np.where(mask, -x, x)
            f2, g2 = fun(flipped)
            if f2 <= f + noise and g2[j] < 0:
                x, f, g = flipped, f2, g2
                held = bounded & (x <= lower) & (g >= 0)
        free = ~held
        if not free.any():
            return x, f, True, "all parameters at their bounds"
        H_all = fd_hessian(grad, x, rel=1e-4, richardson=False)
        if not np.all(np.isfinite(H_all)):
            return x, f, False, "Hessian not finite"
        for _ in range(x.shape[0]):
            H = H_all[np.ix_(free, free)]
            w, V = np.linalg.eigh(H)
            floor = 1e-10 * max(1.0, float(np.max(np.abs(w))))
            step = np.zeros_like(x)
            step[free] = V @ ((V.T @ g[free]) / np.maximum(np.abs(w), floor))
            # a coordinate at its bound that the step would push outwards is held too
            out = free & bounded & (x <= lower) & (step > 0)
            if not out.any():
                break
            free = free & ~out
            if not free.any():
                return x, f, True, "all parameters at their bounds"
        scale = max(1.0, float(np.max(np.abs(x))))
        size = float(np.max(np.abs(step))) / scale
        if size < 1e-10 and np.all(w > 0):
            return x, f, True, "Newton step below 1e-10"
        if size > 1.0:
            step = step / size  # cap: no coordinate moves by more than max(1, |x|)
        slope = float(g @ step)
        moving = bounded & (step > 0)
        t_max = float(np.min((x[moving] - lower[moving]) / step[moving])) if moving.any() else 1.0
        t = min(1.0, t_max) if t_max > 0 else 1.0
        accepted = False
        while t > 1e-12:
            trial = project(x - t * step)
            ft, gt = fun(trial)
            if math.isfinite(ft) and ft <= f - 1e-4 * t * max(slope, 0.0):
                accepted = True
                break
            # At the optimum f is flat to rounding: accept a full step that does not raise f
            # beyond its rounding error and shrinks the gradient (converging on grad = 0).
            if (
                t == 1.0
                and math.isfinite(ft)
                and ft <= f + noise
                and np.max(np.abs(gt[free])) < np.max(np.abs(g[free]))
            ):
                accepted = True
                break
            t /= 2.0
        if not accepted:
            ok = size < 1e-6 and bool(np.all(w > 0))
            return x, f, ok, "no further decrease along the Newton direction"
        moved = float(np.max(np.abs(trial - x))) / scale
        x, f, g = trial, ft, gt
        if moved < 1e-12 and np.all(w > 0):
            return x, f, True, "converged"
    return x, f, False, f"no convergence in {max_iter} iterations"


def optimise(crit: Criterion, reml: bool) -> Optimum:
    """Minimise the profiled criterion of *crit* over theta from lme4's start."""
    n_eval = 0
    n_obs = crit.n_obs

    def fun(theta: FloatArray) -> tuple[float, FloatArray]:
        nonlocal n_eval
        n_eval += 1
        value, grad, _, _ = profiled_deviance(crit.pieces(theta, True), n_obs, reml)
        if grad is None or not math.isfinite(value):
            return math.inf, np.full_like(theta, np.nan)
        return value, grad

    lower = crit.lower
    flips = crit.flips()
    x0 = np.where(lower == 0, 1.0, 0.0)
    x, f, ok, message = minimise(fun, x0, lower, flips=flips)
    at_bound = (lower == 0) & (x <= 0)
    if at_bound.any():
        inside = x.copy()
        inside[at_bound] = 0.1 * max(1.0, float(np.max(np.abs(x))))
        x2, f2, ok2, message2 = minimise(fun, inside, lower, flips=flips)
        if f2 < f:
            x, f, ok, message = x2, f2, ok2, message2
    return Optimum(x, f, ok, message, n_eval)
