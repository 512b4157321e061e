"""Estimated marginal means and their contrasts, as R's emmeans computes them for lmer fits.

Following emmeans 1.8.4 defaults: the reference grid crosses the levels of every factor of
the fixed part with each numeric covariate at its mean over the rows used; a marginal mean
averages the grid's predictions over the other factors with equal weights. Standard errors
come from the fixed effects' covariance and degrees of freedom from Satterthwaite's method
exactly as ``lmer.df = "satterthwaite"`` (which calls lmerTest's ``calcSatterth``, i.e. our
:meth:`~linkwork.stats.satterthwaite.Satterthwaite.test1`).

Contrasts: ``"pairwise"`` gives ``a - b`` for every pair in grid order (emmeans' ``pairs()``),
``"trt.vs.ctrl"`` gives ``level - first level``. p-value adjustments: ``"tukey"`` (the
studentized range with the number of means, via ``scipy.stats.studentized_range``),
``"sidak"``, and R's ``p.adjust`` methods (``"holm"``, ``"bonferroni"``, ``"BH"``/``"fdr"``,
``"hochberg"``, ``"hommel"``, ``"BY"``, ``"none"``). emmeans' default for ``trt.vs.ctrl`` is
``"dunnettx"``, which is not implemented: our default there is ``"holm"``.

Validated against emmeans 1.8.4 ``emmeans()``, ``pairs()`` and ``contrast(..., "trt.vs.ctrl")``
(tests/stats/test_lmer_vs_r.py, tests/stats/test_emmeans.py).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.errors import ModelError
from linkwork.stats._distributions import t_ppf, tukey_sf
from linkwork.stats.design import Design
from linkwork.stats.multiplicity import P_ADJUST_METHODS, p_adjust
from linkwork.stats.satterthwaite import Satterthwaite

__all__ = ["contrast_table", "emmeans_table", "marginal_rows"]

FloatArray = npt.NDArray[np.float64]


def _spec_list(design: Design, spec: str | list[str] | tuple[str, ...]) -> list[str]:
    names = [spec] if isinstance(spec, str) else list(spec)
    fixed_factors = {f for fs in design.term_factors.values() for f in fs if f in design.levels}
    bad = [n for n in names if n not in fixed_factors]
    if not names or bad:
        raise ModelError(
            f"emmeans spec {spec!r}: {bad or 'empty'} is not a factor of the fixed part; "
            f"factors are {sorted(fixed_factors)}"
        )
    return names


def marginal_rows(design: Design, spec: list[str]) -> tuple[pd.DataFrame, FloatArray]:
    """The spec's level combinations and the matching rows of averaged design (L matrix)."""
    factors = [
        v
        for v in dict.fromkeys(f for fs in design.term_factors.values() for f in fs)
        if v in design.levels
    ]
    grid_levels = [design.levels[f] for f in factors]
    combos = list(itertools.product(*[range(len(lv)) for lv in reversed(grid_levels)]))
    codes = np.array(combos, dtype=np.intp)[:, ::-1] if combos else np.zeros((1, 0), np.intp)
    grid = pd.DataFrame(index=pd.RangeIndex(codes.shape[0]))
    for j, f in enumerate(factors):
        grid[f] = pd.Categorical.from_codes(
            codes[:, j], categories=pd.Index(design.levels[f], dtype=object)
        )
    for v in design.numeric:
        mean = float(design.counts @ design.frame[v].to_numpy(dtype=np.float64)) / design.nobs
        grid[v] = mean
    Xg = np.asarray(design.model_spec.get_model_matrix(grid), dtype=np.float64)
    spec_idx = [factors.index(s) for s in spec]
    spec_levels = [design.levels[s] for s in spec]
    out_combos = list(itertools.product(*[range(len(lv)) for lv in reversed(spec_levels)]))
    rows = []
    L = np.empty((len(out_combos), Xg.shape[1]))
    for i, combo in enumerate(out_combos):
        combo = combo[::-1]
        mask = np.all(codes[:, spec_idx] == np.array(combo), axis=1)
        L[i] = Xg[mask].mean(axis=0)
        rows.append(
            {s: spec_levels[k][c] for k, (s, c) in enumerate(zip(spec, combo, strict=True))}
        )
    return pd.DataFrame(rows, columns=spec), L


def emmeans_table(
    design: Design, sat: Satterthwaite, spec: str | list[str] | tuple[str, ...]
) -> pd.DataFrame:
    """Marginal means with SE, Satterthwaite df and 95% limits (see the module docstring)."""
    names = _spec_list(design, spec)
    table, L = marginal_rows(design, names)
    tests = [sat.test1(row) for row in L]
    est = np.array([t.estimate for t in tests])
    se = np.array([t.std_error for t in tests])
    df = np.array([t.df for t in tests])
    half = t_ppf(0.975, df) * se
    out = table.copy()
    out["emmean"] = est
    out["std_error"] = se
    out["df"] = df
    out["conf_low"] = est - half
    out["conf_high"] = est + half
    return out


def _tukey(t: FloatArray, df: FloatArray, k: int) -> FloatArray:
    out = np.empty_like(t)
    for i, (ti, di) in enumerate(zip(t, df, strict=True)):
        q = abs(float(ti)) * math.sqrt(2.0)
        d = float(di)
        # R's ptukey treats df > 25000 as infinite (its constant dlarg); so do we
        out[i] = tukey_sf(q, k, d if d <= 25_000 else np.inf)
    return np.minimum(out, 1.0)


def contrast_table(
    design: Design,
    sat: Satterthwaite,
    spec: str | list[str] | tuple[str, ...],
    method: str = "pairwise",
    adjust: str | None = None,
) -> pd.DataFrame:
    """Contrasts of marginal means with unadjusted and adjusted p and unadjusted 95% limits."""
    names = _spec_list(design, spec)
    table, L = marginal_rows(design, names)
    labels = [" ".join(str(table[s].iloc[i]) for s in names) for i in range(len(table))]
    k = len(labels)
    if method == "pairwise":
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        adjust = "tukey" if adjust is None else adjust
    elif method == "trt.vs.ctrl":
        pairs = [(j, 0) for j in range(1, k)]
        adjust = "holm" if adjust is None else adjust
    else:
        raise ModelError(f"contrast method {method!r}: expected 'pairwise' or 'trt.vs.ctrl'")
    if adjust == "tukey" and method != "pairwise":
        adjust = "sidak"  # as emmeans, which replaces Tukey outside pairwise comparisons
    allowed = ("tukey", "sidak", *P_ADJUST_METHODS)
    if adjust not in allowed:
        raise ModelError(f"p-value adjustment {adjust!r}: expected one of {list(allowed)}")
    tests = [sat.test1(L[i] - L[j]) for i, j in pairs]
    est = np.array([t.estimate for t in tests])
    se = np.array([t.std_error for t in tests])
    df = np.array([t.df for t in tests])
    stat = np.array([t.statistic for t in tests])
    p = np.array([t.p_value for t in tests])
    if adjust == "tukey":
        p_adj = _tukey(stat, df, k)
    elif adjust == "sidak":
        p_adj = 1.0 - (1.0 - p) ** len(p)
    else:
        p_adj = np.asarray(p_adjust(p, adjust), dtype=np.float64)
    half = t_ppf(0.975, df) * se
    return pd.DataFrame(
        {
            "contrast": [f"{labels[i]} - {labels[j]}" for i, j in pairs],
            "estimate": est,
            "std_error": se,
            "df": df,
            "statistic": stat,
            "p_value": p,
            "p_adjusted": p_adj,
            "conf_low": est - half,
            "conf_high": est + half,
        }
    )
