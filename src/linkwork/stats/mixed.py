"""``lmer()``: fit a linear mixed model by REML or ML, as lme4/lmerTest do.

The steps are separate modules: :mod:`~linkwork.stats.formula` (lme4 syntax),
:mod:`~linkwork.stats.design` (model frame, X, Z, grouping factors),
:mod:`~linkwork.stats.suffstats` (the single pass over the data),
:mod:`~linkwork.stats.lmm` (profiled criterion from the small tables),
:mod:`~linkwork.stats.fit` (optimiser, estimates, Satterthwaite ingredients); the result is a
:class:`~linkwork.stats.result.MixedModelResult`.

Validated against lme4 1.1-31, lmerTest 3.1-3 and emmeans 1.8.4 on R 4.2.2
(tests/stats/test_lmer_vs_r.py, tests/stats/test_mixed.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.errors import ModelError
from linkwork.stats.design import Design, build_design
from linkwork.stats.fit import (
    Estimates,
    Structure,
    criterion,
    estimate,
    random_structure,
    sufficient,
)
from linkwork.stats.formula import parse_formula
from linkwork.stats.lmm import Criterion, NestedCriterion, SingleCriterion, profiled_deviance
from linkwork.stats.optimiser import Optimum, optimise
from linkwork.stats.result import MixedModelResult
from linkwork.stats.suffstats import NestedSufficientStats, SufficientStats

__all__ = ["Model", "lmer"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Model:
    """Internal state behind a result: design, statistics, criterion and estimates."""

    design: Design
    structure: Structure
    stats: SufficientStats | NestedSufficientStats
    crit: Criterion
    optimum: Optimum
    est: Estimates
    reml: bool

    def refit(self, reml: bool) -> Model:
        """The same model fitted by the other criterion, from the same statistics."""
        opt = optimise(self.crit, reml)
        s = self.stats.inner if isinstance(self.stats, NestedSufficientStats) else self.stats
        est = estimate(self.crit, opt.theta, reml, s.x_center, s.y_center, self.design.intercept)
        return Model(self.design, self.structure, self.stats, self.crit, opt, est, reml)

    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes of the random effects per grouping factor (lme4's ``ranef``)."""
        est = self.est
        if isinstance(self.crit, SingleCriterion):
            st = self.crit.stats
            resid = st.group_zy - np.einsum("gak,a->gk", st.xz_of_groups(), est.beta_centred)
            B = self.crit.weights(est.theta)[0]
            modes = np.einsum("gkl,gl->gk", B[st.group_pattern], resid)
            group = self.structure.blocks[0].group
            names = [n for b in self.structure.blocks for n in b.names]
            labels = self.design.factors[group].labels()
            return {group: pd.DataFrame(modes, index=pd.Index(labels), columns=names)}
        assert isinstance(self.crit, NestedCriterion)
        ns = self.crit.stats
        st = ns.inner
        t1, t2 = self.crit._split(est.theta)
        g1, g2 = t1 * t1, t2 * t2
        n_i = st.pattern_ztz[st.group_pattern, 0, 0]
        tres = st.group_zy[:, 0] - st.xz_of_groups()[:, :, 0] @ est.beta_centred
        v = 1.0 / (1.0 + n_i * g1)
        m = np.bincount(ns.inner_outer, weights=n_i * v, minlength=ns.n_outer)
        e = np.bincount(ns.inner_outer, weights=tres * v, minlength=ns.n_outer)
        outer_mode = g2 * e / (1.0 + g2 * m)
        gam = g2 / (1.0 + g2 * m)
        inner_mode = g1 * v * (tres - gam[ns.inner_outer] * e[ns.inner_outer] * n_i)
        out = {}
        for block in self.structure.blocks:
            name = block.group
            modes = inner_mode if name == self.structure.inner else outer_mode
            labels = self.design.factors[name].labels()
            out[name] = pd.DataFrame({"(Intercept)": modes}, index=pd.Index(labels))
        return out

    def fitted(self) -> FloatArray:
        """Fitted values ``X beta + Z b`` for the rows used, in data order."""
        d = self.design
        fixed = (d.X @ self.est.beta)[d.row_code]
        modes = self.ranef()
        total = fixed
        for block in self.structure.blocks:
            fac = d.factors[block.group]
            values = modes[block.group][list(block.names)].to_numpy()
            zb = np.einsum("uk,uk->u", d.Z[d.row_code][:, list(block.columns)], values[fac.codes])
            total = total + zb
        return total


def _varcorr(structure: Structure, theta: FloatArray, sigma: float) -> pd.DataFrame:
    """as.data.frame(VarCorr(fit)) of lme4."""
    rows: list[tuple[str, str | None, str | None, float, float]] = []
    seen: dict[str, int] = {}
    offset = 0
    lam_full = np.zeros((len(structure.z_order),) * 2)
    lam_full[list(structure.rows), list(structure.cols)] = theta
    for block in structure.blocks:
        q = len(block.columns)
        count = seen.get(block.group, 0)
        seen[block.group] = count + 1
        grp = block.group if count == 0 else f"{block.group}.{count}"
        lam = lam_full[offset : offset + q, offset : offset + q]
        offset += q
        cov = sigma**2 * (lam @ lam.T)
        sd = np.sqrt(np.diag(cov))
        for i, name in enumerate(block.names):
            rows.append((grp, name, None, float(cov[i, i]), float(sd[i])))
        for i in range(q):
            for j in range(i + 1, q):
                denom = sd[i] * sd[j]
                corr = float(cov[i, j] / denom) if denom > 0 else math.nan
                rows.append((grp, block.names[i], block.names[j], float(cov[i, j]), corr))
    rows.append(("Residual", None, None, sigma**2, sigma))
    return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])


def _singular(crit: Criterion, theta: FloatArray, tol: float = 1e-4) -> bool:
    return bool(np.any(theta[crit.lower == 0] < tol))


def fit_model(design: Design, reml: bool) -> Model:
    """Fit a built design (used by :func:`lmer` and refits)."""
    structure = random_structure(design)
    _check_identifiable(design, structure)
    stats = sufficient(design, structure)
    crit = criterion(stats, structure)
    opt = optimise(crit, reml)
    s = stats.inner if isinstance(stats, NestedSufficientStats) else stats
    _check_residual(design, s, crit, opt.theta, reml)
    est = estimate(crit, opt.theta, reml, s.x_center, s.y_center, design.intercept)
    return Model(design, structure, stats, crit, opt, est, reml)


def _check_residual(
    design: Design, stats: SufficientStats, crit: Criterion, theta: FloatArray, reml: bool
) -> None:
    """A model needs residual variation: constant or exactly fitted responses are errors."""
    value, _, _, r2 = profiled_deviance(crit.pieces(theta), crit.n_obs, reml)
    if not (math.isfinite(value) and r2 > 1e-14 * stats.yty):
        raise ModelError(
            f"formula {design.formula.text!r}: the response {design.formula.response!r} has no "
            "residual variation (it is constant, or the fixed effects fit it exactly); a mixed "
            "model cannot be fitted"
        )


def _check_identifiable(design: Design, structure: Structure) -> None:
    for block in structure.blocks:
        n_re = design.factors[block.group].n_levels * len(block.columns)
        if design.nobs <= n_re:
            raise ModelError(
                f"number of observations ({design.nobs}) <= number of random effects "
                f"({n_re}) for term ({' + '.join(block.names)} | {block.group}); the "
                "random-effects parameters and the residual variance are probably "
                "unidentifiable (lme4 stops here too)"
            )


def result_from_model(model: Model) -> MixedModelResult:
    """Wrap a fitted :class:`Model` in the public result object."""
    d, est, opt = model.design, model.est, model.optimum
    names = list(d.x_names)
    crit_value = est.reml_criterion if model.reml else est.ml_deviance
    loglik = -crit_value / 2.0
    npar = len(names) + len(est.theta) + 1
    ngroups: dict[str, int] = {}
    for block in model.structure.blocks:
        ngroups.setdefault(block.group, d.factors[block.group].n_levels)
    return MixedModelResult(
        formula=d.formula.text,
        reml=model.reml,
        fixef=pd.Series(est.beta, index=pd.Index(names), name="estimate"),
        vcov=pd.DataFrame(est.vcov, index=pd.Index(names), columns=pd.Index(names)),
        sigma=est.sigma,
        theta=est.theta.copy(),
        varcorr=_varcorr(model.structure, est.theta, est.sigma),
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * npar,
        bic=-2.0 * loglik + npar * math.log(d.nobs),
        deviance=crit_value,
        reml_criterion=est.reml_criterion,
        converged=opt.converged,
        singular=_singular(model.crit, est.theta),
        nobs=d.nobs,
        ngroups=ngroups,
        n_excluded=d.n_excluded,
        excluded=dict(d.excluded),
        model=model,
    )


def lmer(
    formula: str, data: pd.DataFrame, *, REML: bool = True, weights: object = None
) -> MixedModelResult:
    """Fit a linear mixed model given in lme4 syntax.

    Parameters
    ----------
    formula
        lme4 formula, e.g. ``"y ~ wave + (1 | id)"``, ``"y ~ wave * arm + age + (1 | id)"``,
        ``"Reaction ~ Days + (Days | Subject)"``, ``"y ~ t + (t || id)"`` or
        ``"y ~ wave + (1 | site/id)"``.
    data
        Long data, one row per observation. Rows with a missing value in any used column
        are excluded and counted (``n_excluded``, ``excluded``).
    REML
        Restricted maximum likelihood (default, as lme4) or maximum likelihood.
    weights
        Optional prior weights (lme4's ``weights``): a column name or one value per row;
        observation ``j`` has residual variance ``sigma^2 / weights[j]``.

    Returns
    -------
    MixedModelResult
        Estimates, variance components, Satterthwaite tests, emmeans and contrasts.

    Raises
    ------
    ModelError
        Unknown columns, no data, rank-deficient fixed effects (naming the aliased columns),
        crossed random effects, or an unidentifiable model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(30), 3), "wave": ["T1", "T2", "T3"] * 30})
    >>> df["y"] = rng.normal(size=90) + np.repeat(rng.normal(size=30), 3) + (df.wave == "T3")
    >>> fit = lmer("y ~ wave + (1 | id)", df)
    >>> list(fit.fixef.index)
    ['(Intercept)', 'waveT2', 'waveT3']
    >>> fit.anova()[["term", "num_df"]].to_dict("records")
    [{'term': 'wave', 'num_df': 2}]
    """
    if not isinstance(REML, bool | np.bool_):
        raise ModelError(f"REML must be True or False, got {REML!r}")
    parsed = parse_formula(formula)
    design = build_design(parsed, data, weights)
    return result_from_model(fit_model(design, bool(REML)))
