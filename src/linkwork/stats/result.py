"""The result of :func:`linkwork.stats.lmer`: estimates, tests and their tables.

Attribute names and table columns follow the project's mixed-model contract; each mirrors
an R function on the lme4/lmerTest/emmeans fit (given in the attribute's description).
Nothing is rounded; :meth:`MixedModelResult.summary` and ``_repr_html_`` round for display.

Validated against lme4 1.1-31, lmerTest 3.1-3 and emmeans 1.8.4 (tests/stats/test_lmer_vs_r.py).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.errors import ModelError
from linkwork.stats._distributions import t_ppf
from linkwork.stats.anova import lrt_table, type3_contrasts
from linkwork.stats.emmeans import contrast_table, emmeans_table

if TYPE_CHECKING:
    from linkwork.stats.mixed import Model

__all__ = ["MixedModelResult"]


@dataclass(frozen=True, slots=True)
class MixedModelResult:
    """A fitted linear mixed model (full precision).

    Attributes
    ----------
    formula
        The lme4 formula fitted.
    reml
        True for REML, False for ML.
    fixef
        Fixed effects indexed by R's coefficient names (``fixef(fit)``).
    vcov
        Their covariance matrix (``vcov(fit)``).
    sigma
        Residual standard deviation (``sigma(fit)``).
    theta
        Relative covariance factor parameters in lme4's order (``getME(fit, "theta")``).
    varcorr
        ``as.data.frame(VarCorr(fit))``: grp, var1, var2, vcov, sdcor.
    loglik, aic, bic
        ``logLik``, ``AIC``, ``BIC`` (REML fits use the REML log-likelihood, as lme4).
    deviance
        ``deviance(fit)``: the ML deviance of an ML fit; for a REML fit lme4 returns the REML
        criterion (with a deprecation warning), and so do we.
    reml_criterion
        ``REMLcrit(fit)`` (for an ML fit, the REML criterion at the ML estimates).
    converged, singular
        Optimiser convergence; ``isSingular(fit, tol = 1e-4)``.
    nobs, ngroups
        Rows used; levels per grouping factor (``ngrps``), names as lme4 (``"id:site"``).
    n_excluded, excluded
        Rows dropped for missing values, and per used column the number of rows missing it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from linkwork.stats import lmer
    >>> rng = np.random.default_rng(7)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "wave": ["T1", "T2", "T3"] * 40})
    >>> u = np.repeat(rng.normal(size=40), 3)
    >>> df["y"] = 10 - 2 * (df.wave != "T1") + u + rng.normal(size=120)
    >>> fit = lmer("y ~ wave + (1 | id)", df)
    >>> list(fit.fixef.index)
    ['(Intercept)', 'waveT2', 'waveT3']
    >>> fit.tidy()["df"][1:].round(6).tolist()  # balanced design: (40 - 1) x (3 - 1)
    [78.0, 78.0]
    >>> list(fit.contrasts("wave", adjust="holm")["contrast"])
    ['T1 - T2', 'T1 - T3', 'T2 - T3']
    >>> fit.ngroups, fit.nobs
    ({'id': 40}, 120)
    """

    formula: str
    reml: bool
    fixef: pd.Series
    vcov: pd.DataFrame
    sigma: float
    theta: npt.NDArray[np.float64]
    varcorr: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    deviance: float
    reml_criterion: float
    converged: bool
    singular: bool
    nobs: int
    ngroups: dict[str, int]
    n_excluded: int
    excluded: dict[str, int]
    model: Model = field(repr=False, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- random effects and predictions ----------------------------------------------------
    @property
    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes per grouping factor (``ranef(fit)``), indexed by level label."""
        if "ranef" not in self._cache:
            self._cache["ranef"] = self.model.ranef()
        return {k: v.copy() for k, v in self._cache["ranef"].items()}

    def fitted(self) -> npt.NDArray[np.float64]:
        """Fitted values ``X beta + Z b`` of the rows used, in data order (``fitted(fit)``)."""
        if "fitted" not in self._cache:
            self._cache["fitted"] = self.model.fitted()
        return np.array(self._cache["fitted"])

    def residuals(self) -> npt.NDArray[np.float64]:
        """Response minus fitted values (``residuals(fit)``)."""
        return self.model.design.y - self.fitted()

    def criterion_at(self, theta: npt.ArrayLike) -> float:
        """The fit's profiled criterion (REML or ML deviance) at *theta*.

        The same function as lme4's ``lmer(..., devFunOnly = TRUE)`` evaluated at *theta*
        (validated to ~1e-13 relative, tests/stats/test_lmer_vs_r.py); at ``self.theta`` it
        equals ``reml_criterion`` (REML) or ``deviance`` (ML).
        """
        from linkwork.stats.lmm import profiled_deviance

        crit = self.model.crit
        th = np.asarray(theta, dtype=np.float64).reshape(-1)
        if th.shape[0] != crit.n_theta:
            raise ModelError(f"theta must have {crit.n_theta} elements, got {th.shape[0]}")
        return float(profiled_deviance(crit.pieces(th), crit.n_obs, self.reml)[0])

    # -- tables ------------------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """Coefficient table as ``summary(fit)$coefficients`` of lmerTest, plus 95% limits.

        Columns term, estimate, std_error, df (Satterthwaite), statistic (t), p_value,
        conf_low, conf_high (estimate +- qt(0.975, df) SE).
        """
        sat = self.model.est.satterthwaite
        p = len(self.fixef)
        tests = [sat.test1(np.eye(p)[j]) for j in range(p)]
        est = np.array([t.estimate for t in tests])
        se = np.array([t.std_error for t in tests])
        df = np.array([t.df for t in tests])
        half = t_ppf(0.975, df) * se
        return pd.DataFrame(
            {
                "term": list(self.fixef.index),
                "estimate": est,
                "std_error": se,
                "df": df,
                "statistic": np.array([t.statistic for t in tests]),
                "p_value": np.array([t.p_value for t in tests]),
                "conf_low": est - half,
                "conf_high": est + half,
            }
        )

    def glance(self) -> pd.DataFrame:
        """One-row model summary: nobs, ngroups per factor, sigma, fit criteria, flags."""
        row: dict[str, Any] = {"nobs": self.nobs}
        for name, n in self.ngroups.items():
            row[f"ngroups_{name}"] = n
        row.update(
            sigma=self.sigma,
            loglik=self.loglik,
            aic=self.aic,
            bic=self.bic,
            deviance=self.deviance,
            reml_criterion=self.reml_criterion,
            converged=self.converged,
            singular=self.singular,
        )
        return pd.DataFrame([row])

    def anova(self, other: MixedModelResult | None = None) -> pd.DataFrame:
        """Type III F tests with Satterthwaite df, or a likelihood-ratio test against *other*.

        Without *other*: lmerTest's ``anova(fit, type = 3, ddf = "Satterthwaite")`` with
        columns term, sum_sq, mean_sq, num_df, den_df, F, p_value. With *other*: lme4's
        ``anova(other, fit)`` (both refitted by ML if fitted by REML), columns model, npar,
        aic, bic, loglik, deviance, chisq, df, p_value, models sorted by npar.
        """
        if other is not None:
            return self._lrt(other)
        if "anova" not in self._cache:
            sat = self.model.est.satterthwaite
            rows = []
            for term, L in type3_contrasts(self.model.design).items():
                if L.shape[0] == 0:
                    continue
                t = sat.test(L)
                rows.append((term, t.sum_sq, t.mean_sq, t.num_df, t.den_df, t.F, t.p_value))
            cols = ["term", "sum_sq", "mean_sq", "num_df", "den_df", "F", "p_value"]
            self._cache["anova"] = pd.DataFrame(rows, columns=cols)
        return self._cache["anova"].copy()

    def _lrt(self, other: MixedModelResult) -> pd.DataFrame:
        if not isinstance(other, MixedModelResult):
            raise ModelError(f"anova(other): expected a MixedModelResult, got {type(other)}")
        if other.nobs != self.nobs:
            raise ModelError(
                f"models were not all fitted to the same size of dataset ({other.nobs} and "
                f"{self.nobs} observations)"
            )
        labels, npar, loglik, nobs = [], [], [], []
        for res in (other, self):
            model = res.model if not res.reml else res.model.refit(reml=False)
            labels.append(res.formula)
            npar.append(len(res.fixef) + len(res.theta) + 1)
            loglik.append(-model.est.ml_deviance / 2.0)
            nobs.append(res.nobs)
        return lrt_table(labels, npar, loglik, nobs)

    def emmeans(self, spec: str | list[str] | tuple[str, ...]) -> pd.DataFrame:
        """Estimated marginal means as ``emmeans(fit, spec)`` with Satterthwaite df.

        Columns: one per factor in *spec*, then emmean, std_error, df, conf_low, conf_high.
        Other factors are averaged with equal weights, covariates held at their means.
        """
        return emmeans_table(self.model.design, self.model.est.satterthwaite, spec)

    def contrasts(
        self,
        spec: str | list[str] | tuple[str, ...],
        method: str = "pairwise",
        adjust: str | None = None,
    ) -> pd.DataFrame:
        """Contrasts of marginal means as emmeans' ``pairs()`` / ``contrast(, "trt.vs.ctrl")``.

        *adjust* defaults to ``"tukey"`` for pairwise comparisons (as emmeans) and to
        ``"holm"`` for ``"trt.vs.ctrl"`` (emmeans' default ``"dunnettx"`` is not
        implemented). Columns: contrast, estimate, std_error, df, statistic, p_value
        (unadjusted), p_adjusted, conf_low, conf_high (unadjusted 95%).
        """
        sat = self.model.est.satterthwaite
        return contrast_table(self.model.design, sat, spec, method, adjust)

    # -- display ---------------------------------------------------------------------------
    def summary(self) -> str:
        """A text summary in the layout of lmerTest's ``summary(fit)``."""
        method = "REML" if self.reml else "maximum likelihood"
        crit = "REML criterion at convergence" if self.reml else "deviance"
        lines = [
            f"Linear mixed model fit by {method}; t-tests use Satterthwaite's method",
            f"Formula: {self.formula}",
            "",
            f"{crit}: {self.deviance:.1f}",
            f"AIC {self.aic:.1f}  BIC {self.bic:.1f}  logLik {self.loglik:.1f}",
            "",
            "Random effects:",
        ]
        vc = self.varcorr
        lines.append(f" {'Groups':<12} {'Name':<14} {'Variance':>12} {'Std.Dev.':>10}")
        for r in vc.to_dict("records"):
            if isinstance(r["var2"], str):
                pair = f"{r['var1']} ~ {r['var2']}"
                lines.append(f" {r['grp']:<12} {pair:<27} corr {r['sdcor']:>7.3f}")
            else:
                name = r["var1"] if isinstance(r["var1"], str) else ""
                lines.append(f" {r['grp']:<12} {name:<14} {r['vcov']:>12.4g} {r['sdcor']:>10.4g}")
        groups = ", ".join(f"{k}, {v}" for k, v in self.ngroups.items())
        lines += [f"Number of obs: {self.nobs}, groups:  {groups}", "", "Fixed effects:"]
        t = self.tidy()
        lines.append(
            f"{'':<16}{'Estimate':>12}{'Std. Error':>12}{'df':>10}{'t value':>10}{'Pr(>|t|)':>11}"
        )
        for row in t.to_dict("records"):
            lines.append(
                f"{row['term']!s:<16}{row['estimate']:>12.4g}{row['std_error']:>12.4g}"
                f"{row['df']:>10.2f}{row['statistic']:>10.3f}{row['p_value']:>11.3g}"
            )
        notes = []
        if self.singular:
            notes.append("boundary (singular) fit: see isSingular")
        if not self.converged:
            notes.append("the optimiser did not report convergence")
        if self.n_excluded:
            notes.append(f"{self.n_excluded} row(s) excluded for missing values {self.excluded}")
        if notes:
            lines += ["", *notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        t = self.tidy()
        head = "".join(
            f"<th>{html.escape(c)}</th>"
            for c in ("term", "estimate", "std. error", "df", "t", "p", "95% CI")
        )
        body = "".join(
            "<tr>"
            f"<td>{html.escape(str(r['term']))}</td><td>{r['estimate']:.4g}</td>"
            f"<td>{r['std_error']:.4g}</td><td>{r['df']:.1f}</td><td>{r['statistic']:.3f}</td>"
            f"<td>{_p(float(r['p_value']))}</td>"
            f"<td>[{r['conf_low']:.4g}, {r['conf_high']:.4g}]</td>"
            "</tr>"
            for r in t.to_dict("records")
        )
        vc = "".join(
            f"<tr><td>{html.escape(str(r.grp))}</td>"
            f"<td>{html.escape(r.var1 if isinstance(r.var1, str) else '')}</td>"
            f"<td>{r.vcov:.4g}</td><td>{r.sdcor:.4g}</td></tr>"
            for r in self.varcorr[self.varcorr["var2"].isna()].itertuples()
        )
        method = "REML" if self.reml else "ML"
        return (
            f"<div><p><strong>Linear mixed model ({method})</strong>: "
            f"<code>{html.escape(self.formula)}</code>; {self.nobs} observations</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            "<table><thead><tr><th>group</th><th>effect</th><th>variance</th><th>SD</th>"
            f"</tr></thead><tbody>{vc}</tbody></table></div>"
        )


def _p(p: float) -> str:
    if math.isnan(p):
        return ""
    return "&lt;0.001" if p < 0.001 else f"{p:.3f}"
