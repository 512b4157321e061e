"""The comparisons of a linkwork mixed-model fit with a stored lme4 / lmerTest / emmeans record.

Each function adds its checks to a :class:`lmm_compare.Comparison` (tolerances are defined
and explained there). Used by ``tests/stats/test_lmer_vs_r.py`` and
``tests/stats/test_lmer_live_r.py``, which load this file by path (``tests/reference`` is not a
package); it re-exports everything from ``lmm_compare.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd


def _sibling(name: str) -> ModuleType:
    """Import ``<name>.py`` from this folder (not a package, not on sys.path)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {name}.py next to {__file__}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_core = _sibling("lmm_compare")
CRITERION: float = _core.CRITERION
DF: float = _core.DF
FIXED: float = _core.FIXED
P: Any = _core.P
P_TUKEY: Any = _core.P_TUKEY
REFERENCE: Path = _core.REFERENCE
SAME_THETA: float = _core.SAME_THETA
STAT: float = _core.STAT
VARCOMP: float = _core.VARCOMP
Comparison: Any = _core.Comparison
Tol: Any = _core.Tol
data_md5 = _core.data_md5
default_slack = _core.default_slack
load_manifest = _core.load_manifest
load_result = _core.load_result
read_design_data = _core.read_design_data

__all__ = [
    "CRITERION",
    "FIXED",
    "REFERENCE",
    "Comparison",
    "Tol",
    "compare_criterion",
    "compare_criterion_at",
    "compare_emmeans",
    "compare_fit",
    "compare_lrt",
    "compare_varcomp",
    "data_md5",
    "default_slack",
    "engine_criterion",
    "load_manifest",
    "load_result",
    "read_design_data",
]


def _col(frame: pd.DataFrame, name: str) -> list[Any]:
    return list(frame[name]) if name in frame.columns else [None] * len(frame)


def compare_fit(cmp: Any, fit: Any, rec: dict[str, Any]) -> None:
    """Everything about one stored fit (*rec*: 'tight' or 'default') except emmeans."""
    names = rec["fixef"]["names"]
    se = np.asarray(rec["std_error"], dtype=float)
    fixed, lik = Tol(FIXED), Tol(FIXED)

    for what, ours, theirs in (
        ("nobs", int(fit.nobs), rec["nobs"]),
        ("n_excluded", int(fit.n_excluded), rec["n_excluded"]),
        ("ngroups", dict(fit.ngroups), rec["ngroups"]),
        ("singular", bool(fit.singular), rec["singular"]),
        ("fixef names", list(fit.fixef.index), names),
    ):
        cmp.equal(what, "", ours, theirs)
    if rec["converged"]:
        cmp.equal("converged", "", bool(fit.converged), True)

    if list(fit.fixef.index) == names:
        cmp.close_all("fixef", names, fit.fixef, rec["fixef"]["values"], fixed, FIXED * se)
        ours_v = fit.vcov.loc[names, names].to_numpy(dtype=float)
        theirs_v = np.asarray(rec["vcov"], dtype=float)
        scale = np.sqrt(np.outer(np.diag(theirs_v), np.diag(theirs_v)))
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                tol = Tol(FIXED, FIXED * scale[i, j])
                cmp.close("vcov", f"{a}, {b}", ours_v[i, j], theirs_v[i, j], tol)

    compare_varcomp(cmp, fit, rec)

    for what in ("loglik", "aic", "bic", "deviance") + (("reml_criterion",) if rec["reml"] else ()):
        cmp.close(what, "", getattr(fit, what), rec[what], lik)

    # glance(): the one-row model table carries the same numbers.
    glance = fit.glance()
    cmp.equal("glance rows", "", len(glance), 1)
    for what in ("sigma", "loglik", "aic", "bic", "deviance", "nobs", "singular"):
        ours_g = glance[what].iloc[0] if what in glance.columns else None
        tol = Tol(VARCOMP) if what == "sigma" else lik
        cmp.close(f"glance {what}", "", ours_g, rec[what], tol)

    # summary(lmerTest fit)$coefficients with Satterthwaite df and 95% limits.
    tidy = fit.tidy()
    cmp.equal("tidy term", "", list(tidy["term"]), rec["coefficients"]["term"])
    if list(tidy["term"]) == names:
        spec = {
            "estimate": (fixed, FIXED * se),
            "std_error": (fixed, 0.0),
            "df": (Tol(DF), 0.0),
            "statistic": (fixed, FIXED),
            "p_value": (P, 0.0),
            "conf_low": (fixed, STAT * se),
            "conf_high": (fixed, STAT * se),
        }
        cmp.columns("tidy", names, tidy, rec["coefficients"], spec)

    compare_anova(cmp, fit.anova(), rec["anova_type3"], "anova type 3")
    _compare_ranef(cmp, fit, rec)

    vc_tol = Tol(VARCOMP)
    n_fit = len(rec["fitted"]["values"])
    rows = list(range(n_fit))
    floor = VARCOMP * rec["sigma"]
    cmp.equal("fitted length", "", len(fit.fitted()), rec["fitted"]["n"])
    ours_f = np.asarray(fit.fitted())[:n_fit]
    cmp.close_all("fitted", rows, ours_f, rec["fitted"]["values"], vc_tol, floor)
    ours_r = np.asarray(fit.residuals())[:n_fit]
    cmp.close_all("residuals", rows, ours_r, rec["residuals"]["values"], vc_tol, floor)


def _compare_ranef(cmp: Any, fit: Any, rec: dict[str, Any]) -> None:
    """Conditional modes; absolute floor 1e-5 of the random effect's SD."""
    r_vc = rec["varcorr"]
    sds = {
        (g, v1): s
        for g, v1, v2, s in zip(r_vc["grp"], r_vc["var1"], r_vc["var2"], r_vc["sdcor"], strict=True)
        if v2 is None
    }
    ranef = fit.ranef
    cmp.equal("ranef groups", "", sorted(ranef), sorted(rec["ranef"]))
    for group, r_tab in rec["ranef"].items():
        if group not in ranef:
            continue
        ours = ranef[group]
        levels = r_tab["levels"]
        cmp.equal(f"ranef {group} n_levels", "", len(ours), r_tab["n_levels"])
        cmp.equal(f"ranef {group} columns", "", list(ours.columns), r_tab["columns"])
        ours_levels = [str(v) for v in ours.index[: len(levels)]]
        cmp.equal(f"ranef {group} levels", "", ours_levels, levels)
        for column in r_tab["columns"]:
            if column not in ours.columns:
                continue
            # lme4 names a double-bar term's second block "id.1": match it to group "id".
            sd = max(
                (s for (g, v1), s in sds.items() if v1 == column and g.split(".")[0] == group),
                default=1.0,
            )
            floor = VARCOMP * max(sd, rec["sigma"] * 1e-3)
            values = ours[column].to_numpy()[: len(levels)]
            what = f"ranef {group} {column}"
            cmp.close_all(what, levels, values, r_tab["values"][column], Tol(VARCOMP), floor)


def compare_varcomp(cmp: Any, fit: Any, rec: dict[str, Any], *, slack: float = 0.0) -> None:
    """theta, sigma and as.data.frame(VarCorr()) rows: relative 1e-5 (+ *slack*)."""
    rtol = VARCOMP + slack
    r_theta = np.asarray(rec["theta"]["values"], dtype=float)
    theta_scale = float(np.max(np.abs(r_theta))) if r_theta.size else 1.0
    ours_theta = np.asarray(fit.theta, dtype=float)
    cmp.close_all(
        "theta", rec["theta"]["names"], ours_theta, r_theta, Tol(rtol), rtol * theta_scale
    )
    cmp.close("sigma", "", fit.sigma, rec["sigma"], Tol(rtol))
    vc, r_vc = fit.varcorr, rec["varcorr"]
    labels = [f"{g} {v1} {v2 or ''}".strip() for g, v1, v2 in zip(*_vc_keys(r_vc), strict=True)]
    for column in ("grp", "var1", "var2"):
        cmp.equal(f"varcorr {column}", "", _col(vc, column), r_vc[column])
    # Absolute floors: 1e-3 of the total variance for a variance (a singular component is 0),
    # the product of the two SDs for a covariance. The sdcor column is checked as squared SDs
    # against the same tolerance as the variances (an SD is not Lipschitz at a boundary
    # variance of 0: R's optimiser stops at sd ~1e-7 where the exact optimum is 0), and as
    # correlations with relative and absolute tolerance 1e-5.
    total = sum(v for v, v2 in zip(r_vc["vcov"], r_vc["var2"], strict=True) if v2 is None)
    sd_of = {
        (g, v1): s
        for g, v1, v2, s in zip(*_vc_keys(r_vc), r_vc["sdcor"], strict=True)
        if v2 is None
    }
    floors = [
        rtol * 1e-3 * total if v2 is None else rtol * sd_of[(g, v1)] * sd_of[(g, v2)]
        for g, v1, v2 in zip(*_vc_keys(r_vc), strict=True)
    ]
    cmp.columns("varcorr", labels, vc, r_vc, {"vcov": (Tol(rtol), floors)})
    ours_sd = _col(vc, "sdcor")
    for i, v2 in enumerate(r_vc["var2"]):
        ours_i, theirs_i = ours_sd[i] if i < len(ours_sd) else None, r_vc["sdcor"][i]
        if v2 is None:
            squared = None if ours_i is None else float(ours_i) ** 2
            cmp.close("varcorr sdcor^2", labels[i], squared, theirs_i**2, Tol(rtol, floors[i]))
        else:
            cmp.close("varcorr sdcor (correlation)", labels[i], ours_i, theirs_i, Tol(rtol, rtol))


def _vc_keys(r_vc: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """The grp, var1, var2 columns of a stored as.data.frame(VarCorr()) table."""
    return r_vc["grp"], r_vc["var1"], r_vc["var2"]


def compare_anova(cmp: Any, ours: pd.DataFrame, rec: dict[str, Any], what: str) -> None:
    """lmerTest's anova table: terms and NumDF exact, DenDF 1e-4, F and SS 1e-4, p."""
    terms = rec["term"]
    cmp.equal(f"{what} terms", "", list(ours["term"]), terms)
    if list(ours["term"]) != terms:
        return
    ours_ndf = [float(v) for v in ours["num_df"]]
    cmp.equal(f"{what} num_df", "", ours_ndf, [float(v) for v in rec["num_df"]])
    stat = (Tol(STAT), 0.0)
    spec = {
        "den_df": (Tol(DF), 0.0),
        "F": stat,
        "sum_sq": stat,
        "mean_sq": stat,
        "p_value": (P, 0.0),
    }
    cmp.columns(what, terms, ours, rec, spec)


def compare_emmeans(cmp: Any, fit: Any, emm: dict[str, Any]) -> None:
    """emmeans(fit, spec) and its contrasts (all stored adjustments), for one stored spec."""
    spec = emm["spec"]
    key = spec[0] if len(spec) == 1 else list(spec)
    what = f"emmeans {'*'.join(spec)}"
    ours = fit.emmeans(key)
    rec = emm["table"]
    for factor in spec:
        cmp.equal(f"{what} {factor} levels", "", [str(v) for v in _col(ours, factor)], rec[factor])
    cells = [" ".join(str(rec[f][i]) for f in spec) for i in range(len(rec["emmean"]))]
    if len(ours) != len(cells):
        cmp.equal(f"{what} rows", "", len(ours), len(cells))
        return
    cmp.columns(what, cells, ours, rec, _mean_spec(np.asarray(rec["std_error"], dtype=float)))

    for run in emm["contrasts"]:
        method, adjust, tab = run["method"], run["adjust"], run["table"]
        label = f"{what} {method} adjust={adjust}"
        ours_c = fit.contrasts(key, method=method, adjust=adjust)
        names = tab["contrast"]
        cmp.equal(f"{label} contrast", "", list(ours_c["contrast"]), names)
        if list(ours_c["contrast"]) != names:
            continue
        p_tol = P_TUKEY if adjust == "tukey" else P
        spec_c = _mean_spec(np.asarray(tab["std_error"], dtype=float), "estimate")
        spec_c |= {"statistic": (Tol(FIXED), FIXED), "p_value": (P, 0.0)}
        spec_c |= {"p_adjusted": (p_tol, 0.0)}
        cmp.columns(label, names, ours_c, tab, spec_c)
        # The contract's defaults: pairwise -> "tukey" (as emmeans' pairs()); trt.vs.ctrl ->
        # "holm" (emmeans' "dunnettx" is not implemented).
        if (method, adjust) in {("pairwise", "tukey"), ("trt.vs.ctrl", "holm")}:
            default = fit.contrasts(key, method=method)
            spec_d = {"p_adjusted": (p_tol, 0.0)}
            cmp.columns(f"{label} (default adjust)", names, default, tab, spec_d)


def _mean_spec(se: np.ndarray, estimate: str = "emmean") -> dict[str, Any]:
    fixed = Tol(FIXED)
    return {
        estimate: (fixed, FIXED * se),
        "std_error": (fixed, 0.0),
        "df": (Tol(DF), 0.0),
        "conf_low": (fixed, STAT * se),
        "conf_high": (fixed, STAT * se),
    }


def compare_criterion(cmp: Any, fit: Any, result: dict[str, Any]) -> None:
    """The engine's criterion at its optimum against lme4's deviance function at its optimum.

    The criterion is flat at the optimum, so both optima give the same value to ~1e-12
    whatever the optimisers' tolerances in theta; the engine must also be no worse than
    lme4's default fit.
    """
    points = {p["label"]: p for p in result["devfun"]}
    ours = fit.reml_criterion if result["reml"] else fit.deviance
    best = points["tight"]["value"] if "tight" in points else points["default"]["value"]
    cmp.close(
        "criterion at optimum vs lme4 devfun at tight optimum", "", ours, best, Tol(CRITERION)
    )
    default = points["default"]["value"]
    # One-sided: linkwork's optimum may be better than lme4's default, never worse.
    worse_by = max(0.0, ours - default - CRITERION * abs(default))
    cmp.close("criterion excess over lme4's default fit", "", worse_by, 0.0, Tol(0.0))


def engine_criterion(fit: Any, theta: Sequence[float]) -> float:
    """linkwork's REML (or ML) criterion at an arbitrary *theta* (the public hook)."""
    return fit.criterion_at(theta)


def compare_criterion_at(cmp: Any, fit: Any, result: dict[str, Any]) -> None:
    """The criterion at every theta where lme4's deviance function was evaluated."""
    for point in result["devfun"]:
        ours = engine_criterion(fit, point["theta"])
        term = f"{point['label']} theta={[float(f'{v:.6g}') for v in point['theta']]}"
        cmp.close("criterion at the same theta", term, ours, point["value"], Tol(SAME_THETA))


def compare_lrt(cmp: Any, table: pd.DataFrame, rec: dict[str, Any], what: str) -> None:
    """LRT table (ML refits) against R's anova(m0, m1); rows matched in npar order."""
    ours = table.sort_values("npar", kind="stable").reset_index(drop=True)
    rows = ["m0", "m1"]
    cmp.equal(f"{what} npar", "", [int(v) for v in ours["npar"]], rec["npar"])
    lik = (Tol(FIXED), 0.0)
    chisq_floor = 2 * CRITERION * max(abs(v) for v in rec["deviance"])
    spec = {"aic": lik, "bic": lik, "loglik": lik, "deviance": lik}
    spec |= {"chisq": (Tol(FIXED), chisq_floor), "df": (Tol(0.0), 0.0), "p_value": (P, 0.0)}
    cmp.columns(what, rows, ours, rec, spec)
