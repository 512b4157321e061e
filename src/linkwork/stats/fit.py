"""Fitting: random-effects structure, optimisation of the profiled criterion, estimates.

* :func:`random_structure` orders random-effect terms as lme4's ``mkReTrms`` (decreasing
  number of levels, ``rev(order(nl))``), lays out ``theta`` as lme4 does (per term, the lower
  triangle of its relative factor column by column) and decides between one grouping factor
  and two nested levels of random intercepts. Crossed grouping factors (a level of one
  meeting several levels of the other in both directions) are out of scope: ModelError.
* :func:`sufficient` runs the data pass and :func:`criterion` wraps its tables; the
  optimiser is :func:`linkwork.stats.optimiser.optimise`.
* :func:`estimate` turns the optimum into fixed effects, their covariance, sigma and the
  Satterthwaite ingredients (Hessian of the non-profiled deviance in ``(theta, sigma)``).

Validated against lme4 1.1-31 and lmerTest 3.1-3 (tests/stats/test_lmer_vs_r.py and
tests/stats/test_fit.py): our criterion at the optimum is never worse than lme4's.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkwork.errors import ModelError
from linkwork.stats.design import Design, RandomBlock
from linkwork.stats.lmm import (
    Criterion,
    NestedCriterion,
    Pieces,
    SingleCriterion,
    profiled_deviance,
)
from linkwork.stats.optimiser import fd_hessian
from linkwork.stats.satterthwaite import Satterthwaite
from linkwork.stats.suffstats import (
    NestedSufficientStats,
    SufficientStats,
    nested_sufficient_statistics,
    sufficient_statistics,
)

__all__ = ["Estimates", "Structure", "criterion", "estimate", "random_structure", "sufficient"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Structure:
    """Random-effects layout: blocks in lme4's order and where each theta goes."""

    kind: str  # "single" or "nested"
    blocks: tuple[RandomBlock, ...]
    z_order: tuple[int, ...]
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    inner: str = ""
    outer: str = ""

    @property
    def n_theta(self) -> int:
        return len(self.rows)


def _nested_map(
    inner: npt.NDArray[np.integer], outer: npt.NDArray[np.integer], n_inner: int
) -> npt.NDArray[np.intp] | None:
    """Outer level of each inner level, or None when some inner level meets two outer ones."""
    out = np.full(n_inner, -1, dtype=np.intp)
    out[inner] = outer
    if np.array_equal(out[inner], outer):
        return out
    return None


def random_structure(design: Design) -> Structure:
    """The random-effects structure of a design, as lme4 lays it out.

    Raises
    ------
    ModelError
        For crossed grouping factors, more than two grouping factors, or random slopes
        combined with two grouping factors.
    """
    blocks = list(design.blocks)
    nl = [design.factors[b.group].n_levels for b in blocks]
    order = list(range(len(blocks)))
    if any(b > a for a, b in itertools.pairwise(nl)):
        # R: rev(order(nl)); order() is stable, rev() reverses ties
        order = sorted(range(len(blocks)), key=lambda i: nl[i])[::-1]
    blocks = [blocks[i] for i in order]
    z_order: list[int] = []
    rows: list[int] = []
    cols: list[int] = []
    for block in blocks:
        offset = len(z_order)
        z_order.extend(block.columns)
        width = len(block.columns)
        for j in range(width):
            for i in range(j, width):
                rows.append(offset + i)
                cols.append(offset + j)
    groups = list(dict.fromkeys(b.group for b in blocks))
    if len(groups) == 1:
        return Structure("single", tuple(blocks), tuple(z_order), tuple(rows), tuple(cols))
    text = design.formula.text
    if len(groups) > 2:
        raise ModelError(
            f"formula {text!r}: {len(groups)} grouping factors {groups}; at most two nested "
            "levels (e.g. (1 | site/id)) are supported"
        )
    a, b = (design.factors[g] for g in groups)
    inner, outer = (a, b) if a.n_levels >= b.n_levels else (b, a)
    if _nested_map(inner.codes, outer.codes, inner.n_levels) is None:
        raise ModelError(
            f"formula {text!r}: grouping factors {inner.name!r} and {outer.name!r} are crossed "
            f"(a level of {inner.name!r} occurs with several levels of {outer.name!r}); crossed "
            "random effects are out of scope because their likelihood does not reduce to "
            "sufficient statistics. Nest them, e.g. (1 | site/id)."
        )
    if len(blocks) != 2 or any(bl.names != ("(Intercept)",) for bl in blocks):
        raise ModelError(
            f"formula {text!r}: with two nested grouping factors only random intercepts "
            "(1 | outer/inner) are supported"
        )
    return Structure(
        "nested", tuple(blocks), tuple(z_order), tuple(rows), tuple(cols), inner.name, outer.name
    )


def sufficient(design: Design, structure: Structure) -> SufficientStats | NestedSufficientStats:
    """Run the data pass for the structure."""
    if structure.kind == "single":
        fac = design.factors[structure.blocks[0].group]
        Z = design.Z[:, list(structure.z_order)]
        return sufficient_statistics(
            design.X,
            Z,
            design.y,
            fac.codes,
            row_code=design.row_code,
            n_groups=fac.n_levels,
            intercept=design.intercept,
            weights=design.weights,
        )
    inner, outer = design.factors[structure.inner], design.factors[structure.outer]
    outer_of_inner = _nested_map(inner.codes, outer.codes, inner.n_levels)
    assert outer_of_inner is not None  # checked in random_structure
    return nested_sufficient_statistics(
        design.X,
        design.y,
        inner.codes,
        outer_of_inner,
        row_code=design.row_code,
        n_inner=inner.n_levels,
        n_outer=outer.n_levels,
        intercept=design.intercept,
        weights=design.weights,
    )


def criterion(stats: SufficientStats | NestedSufficientStats, structure: Structure) -> Criterion:
    """The criterion object for the statistics."""
    if isinstance(stats, NestedSufficientStats):
        return NestedCriterion(stats, inner_first=structure.blocks[0].group == structure.inner)
    return SingleCriterion(stats, structure.rows, structure.cols)


@dataclass(frozen=True, slots=True)
class Estimates:
    """Estimates at the optimum, on the original (uncentred) scale of X and y."""

    theta: FloatArray
    beta: FloatArray
    beta_centred: FloatArray
    vcov: FloatArray
    sigma: float
    r2: float
    criterion: float
    reml_criterion: float
    ml_deviance: float
    transform: FloatArray
    satterthwaite: Satterthwaite


def _transform(x_center: FloatArray, intercept: int | None) -> FloatArray:
    """T with beta = T (beta_centred + y_center e_intercept): X_centred = X T."""
    p = x_center.shape[0]
    T = np.eye(p)
    if intercept is not None:
        T[intercept, :] -= x_center
    return T


def _criteria(crit: Criterion, pieces: Pieces, reml: bool) -> tuple[float, float]:
    """(REML criterion, ML deviance) at the same theta."""
    return (
        profiled_deviance(pieces, crit.n_obs, True)[0],
        profiled_deviance(pieces, crit.n_obs, False)[0],
    )


def estimate(
    crit: Criterion,
    theta: FloatArray,
    reml: bool,
    x_center: FloatArray,
    y_center: float,
    intercept: int | None,
) -> Estimates:
    """Fixed effects, covariance, sigma and Satterthwaite ingredients at *theta*."""
    n, p = crit.n_obs, crit.p
    pieces = crit.pieces(theta, True)
    value, _, beta_c, r2 = profiled_deviance(pieces, n, reml)
    reml_crit, ml_dev = _criteria(crit, pieces, reml)
    nu = n - p if reml else n
    sigma2 = r2 / nu
    sigma = math.sqrt(sigma2)
    T = _transform(x_center, intercept)
    shifted = beta_c.copy()
    if intercept is not None:
        shifted[intercept] += y_center
    beta = T @ shifted
    Ainv = np.linalg.inv(pieces.A) if p else np.zeros((0, 0))
    Ainv = (Ainv + Ainv.T) / 2.0
    vcov = sigma2 * (T @ Ainv @ T.T)

    def grad_theta(th: FloatArray) -> FloatArray:
        pc = crit.pieces(th, True)
        assert pc.dA is not None
        assert pc.db is not None
        assert pc.dc is not None
        assert pc.dlogdet is not None
        Ai = np.linalg.inv(pc.A) if p else np.zeros((0, 0))
        b = Ai @ pc.b
        r2t = pc.c - float(pc.b @ b)
        dr2 = pc.dc - 2.0 * pc.db @ b + np.einsum("a,kab,b->k", b, pc.dA, b)
        g = pc.dlogdet + dr2 / sigma2
        if reml and p:
            g = g + np.einsum("ab,kba->k", Ai, pc.dA)
        del r2t
        return np.asarray(g, dtype=np.float64)

    k = theta.shape[0]
    H = np.empty((k + 1, k + 1))
    H[:k, :k] = fd_hessian(grad_theta, theta)
    assert pieces.dA is not None
    assert pieces.db is not None
    assert pieces.dc is not None
    dr2 = pieces.dc - 2.0 * pieces.db @ beta_c + np.einsum("a,kab,b->k", beta_c, pieces.dA, beta_c)
    H[:k, k] = H[k, :k] = -2.0 * dr2 / sigma**3
    H[k, k] = 6.0 * r2 / sigma2**2 - 2.0 * nu / sigma2
    evals, evecs = np.linalg.eigh(H)
    pos = evals > 1e-8
    vcov_varpar = 2.0 * (evecs[:, pos] / evals[pos]) @ evecs[:, pos].T
    jac = np.empty((k + 1, p, p))
    for j in range(k):
        jac[j] = -sigma2 * (T @ Ainv @ pieces.dA[j] @ Ainv @ T.T)
    jac[k] = 2.0 * sigma * (T @ Ainv @ T.T)
    sat = Satterthwaite(beta, vcov, vcov_varpar, jac, sigma)
    return Estimates(
        theta=np.asarray(theta, dtype=np.float64),
        beta=beta,
        beta_centred=beta_c,
        vcov=vcov,
        sigma=sigma,
        r2=r2,
        criterion=value,
        reml_criterion=reml_crit,
        ml_deviance=ml_dev,
        transform=T,
        satterthwaite=sat,
    )
