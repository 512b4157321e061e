"""Mixed models per outcome: estimates, Type III F, marginal means, contrasts and d.

For every outcome, ``outcome ~ wave + (1 | participant_id)`` (``wave * arm`` with two or more
arms, plus the plan's covariates) is fitted by REML with :func:`linkwork.stats.lmer`, whose
results match lme4/lmerTest/emmeans. The pairwise wave contrasts are reported **later minus
earlier** (``"T2 - T1"``, as emmeans' ``revpairwise``), adjusted within each outcome and model
(and arm) by the plan's method; d = contrast / SD of the outcome at baseline with the
delta-method CI of :func:`linkwork.stats.effect_size.standardised_mean_change` (as R's
``emmeans::eff_size``). A model that cannot be estimated is reported as such, never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linkwork.errors import LinkworkError
from linkwork.evaluation.cohort import ID, WAVE, Cohort
from linkwork.evaluation.plan import Plan
from linkwork.stats.effect_size import standardised_mean_change
from linkwork.stats.multiplicity import p_adjust

__all__ = [
    "ALL_DATA",
    "COMPLETERS",
    "ModelTables",
    "estimable",
    "fit_outcome",
    "model_failed",
    "model_formula",
    "record_exclusion",
    "record_model",
]

ALL_DATA = "all available"
COMPLETERS = "completers"
MODELS_COLUMNS = [
    "outcome",
    "model",
    "term",
    "estimate",
    "std_error",
    "df",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
]
ANOVA_COLUMNS = ["outcome", "model", "term", "num_df", "den_df", "F", "p_value"]
EMMEANS_COLUMNS = ["outcome", "model", "wave", "emmean", "std_error", "df", "conf_low", "conf_high"]
CONTRASTS_COLUMNS = [
    "outcome",
    "model",
    "contrast",
    "estimate",
    "std_error",
    "df",
    "statistic",
    "p_value",
    "p_adjusted",
    "d",
    "d_conf_low",
    "d_conf_high",
]
ESTIMABILITY_COLUMNS = ["outcome", "model", "status", "reason"]


@dataclass(slots=True)
class ModelTables:
    """Rows accumulated over outcomes and models (turned into the evaluation's tables)."""

    models: list[pd.DataFrame] = field(default_factory=list)
    anova: list[pd.DataFrame] = field(default_factory=list)
    emmeans: list[pd.DataFrame] = field(default_factory=list)
    contrasts: list[pd.DataFrame] = field(default_factory=list)
    estimability: list[dict[str, Any]] = field(default_factory=list)
    exclusions: list[dict[str, Any]] = field(default_factory=list)

    def frames(self, arm: bool) -> dict[str, pd.DataFrame]:
        """The tables: models, anova, emmeans, contrasts, estimability."""
        emm_columns = (
            [*EMMEANS_COLUMNS[:3], "arm", *EMMEANS_COLUMNS[3:]] if arm else EMMEANS_COLUMNS
        )
        con_columns = (
            [*CONTRASTS_COLUMNS[:3], "arm", *CONTRASTS_COLUMNS[3:]] if arm else CONTRASTS_COLUMNS
        )

        def stack(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
            parts = [p for p in parts if len(p)]
            if not parts:
                return pd.DataFrame(columns=columns)
            return pd.concat(parts, ignore_index=True)[columns]

        return {
            "models": stack(self.models, MODELS_COLUMNS),
            "anova": stack(self.anova, ANOVA_COLUMNS),
            "emmeans": stack(self.emmeans, emm_columns),
            "contrasts": stack(self.contrasts, con_columns),
            "estimability": pd.DataFrame(self.estimability, columns=ESTIMABILITY_COLUMNS),
        }


def model_formula(outcome: str, arm: str | None, covariates: tuple[str, ...]) -> str:
    """The lme4 formula of an outcome's model.

    Examples
    --------
    >>> model_formula("uls8", "arm", ("age",))
    'uls8 ~ wave * arm + age + (1 | participant_id)'
    """
    fixed = "wave" + (f" * {arm}" if arm else "")
    extra = "".join(f" + {c}" for c in covariates)
    return f"{outcome} ~ {fixed}{extra} + (1 | {ID})"


def _baseline_sd(cohort: Cohort, outcome: str, rows: pd.DataFrame) -> tuple[float, int]:
    values = rows.loc[rows[WAVE] == cohort.plan.baseline, outcome].astype("float64")
    n = int(values.notna().sum())
    return (float(values.std(ddof=1)) if n >= 2 else math.nan), n


def _flip(rows: dict[str, dict[Any, Any]], label: str) -> dict[str, Any]:
    """A pairwise row "A - B" turned into "B - A" (later minus earlier)."""
    if label not in rows:
        raise RuntimeError(f"contrast {label!r} not found in {list(rows)}")
    r = rows[label]
    return {
        "estimate": -float(r["estimate"]),
        "std_error": float(r["std_error"]),
        "df": float(r["df"]),
        "statistic": -float(r["statistic"]),
        "p_value": float(r["p_value"]),
    }


def _by_label(table: pd.DataFrame) -> dict[str, dict[Any, Any]]:
    return {str(r["contrast"]): r for r in table.to_dict("records")}


def _later_minus_earlier(waves: list[str]) -> list[tuple[str, str]]:
    """Pairs (later, earlier) in emmeans' revpairwise order: T2-T1, T3-T1, T3-T2, T4-T1..."""
    return [(waves[i], waves[j]) for i in range(1, len(waves)) for j in range(i)]


def _contrasts(fit: Any, waves: list[str], arms: list[str] | None, adjust: str) -> pd.DataFrame:
    rows = []
    if arms is None:
        table = _by_label(fit.contrasts("wave", method="pairwise", adjust="none"))
        family = [
            {"contrast": f"{late} - {early}"} | _flip(table, f"{early} - {late}")
            for late, early in _later_minus_earlier(waves)
        ]
        p = p_adjust(np.array([f["p_value"] for f in family]), adjust)
        rows += [f | {"p_adjusted": float(q)} for f, q in zip(family, p, strict=True)]
    else:
        table = _by_label(fit.contrasts(["wave", "arm"], method="pairwise", adjust="none"))
        for arm in arms:
            family = [
                {"contrast": f"{late} - {early}", "arm": arm}
                | _flip(table, f"{early} {arm} - {late} {arm}")
                for late, early in _later_minus_earlier(waves)
            ]
            p = p_adjust(np.array([f["p_value"] for f in family]), adjust)
            rows += [f | {"p_adjusted": float(q)} for f, q in zip(family, p, strict=True)]
    return pd.DataFrame(rows)


def _add_d(contrasts: pd.DataFrame, sd: float, n: int, enabled: bool) -> pd.DataFrame:
    d = np.full(len(contrasts), np.nan)
    low, high = d.copy(), d.copy()
    if enabled and n >= 2 and sd > 0:
        for i, r in enumerate(contrasts.to_dict("records")):
            try:
                res = standardised_mean_change(
                    float(r["estimate"]), float(r["std_error"]), float(r["df"]), sd, n
                )
            except LinkworkError:
                continue
            d[i], low[i], high[i] = res.d, res.conf_low, res.conf_high
    return contrasts.assign(d=d, d_conf_low=low, d_conf_high=high)


def _not_estimable(tables: ModelTables, outcome: str, model: str, reason: str) -> None:
    tables.estimability.append(
        {"outcome": outcome, "model": model, "status": "not estimable", "reason": reason}
    )


def fit_outcome(
    cohort: Cohort,
    outcome: str,
    model: str,
    tables: ModelTables,
    *,
    baseline_sd: tuple[float, int] | None = None,
) -> tuple[float, int]:
    """Fit one outcome's model (``model`` = "all available" or "completers") into *tables*.

    Returns the baseline SD and its n used for d (computed from the all-available rows and
    passed back in for the completers model, so both models standardise by the same SD).
    """
    from linkwork.stats import lmer

    plan = cohort.plan
    data = cohort.data
    arm = cohort.arm
    used = [ID, WAVE, outcome, *([arm] if arm else []), *plan.covariates]
    rows = data[used]
    scored = rows[outcome].notna()
    if model == COMPLETERS:
        completers = rows.loc[scored & (rows[WAVE] == cohort.last), ID].unique().tolist()
        keep = rows[ID].isin(completers)
        record_exclusion(tables, outcome, model, "completers", int((~keep & scored).sum()), cohort)
        rows = rows[keep]
        scored = scored[keep]
    record_exclusion(tables, outcome, model, "unscored", int((~scored).sum()), cohort)
    rows = rows[scored]
    design = used[3:]
    incomplete = rows[design].isna().any(axis=1) if design else pd.Series(False, rows.index)
    record_exclusion(tables, outcome, model, "design", int(incomplete.sum()), cohort)
    rows = rows[~incomplete]
    if baseline_sd is None:
        baseline_sd = _baseline_sd(cohort, outcome, rows)
    waves = [w for w in plan.waves if (rows[WAVE] == w).any()]
    if not estimable(tables, outcome, model, waves, int(rows[ID].nunique()), len(rows)):
        return baseline_sd
    frame = rows.copy()
    frame[WAVE] = pd.Categorical(frame[WAVE].astype(str), categories=waves, ordered=True)
    arms: list[str] | None = None
    if arm:
        arms = sorted(str(a) for a in frame[arm].unique())
        frame = frame.rename(columns={arm: "arm"}) if arm != "arm" else frame
        frame["arm"] = pd.Categorical(frame["arm"].astype(str), categories=arms)
    record_model(
        tables,
        cohort.plan,
        outcome,
        model,
        lambda formula: lmer(formula, frame, REML=True),
        waves,
        arms,
        baseline_sd,
    )
    return baseline_sd


def record_exclusion(
    tables: ModelTables, outcome: str, model: str, kind: str, n: int, cohort: Any
) -> None:
    """Add an exclusion row of a model when *n* rows were left out (*kind*: ``"completers"``,
    ``"unscored"`` or ``"design"``); *cohort* gives the last wave and the design columns."""
    if not n and kind != "completers":
        return
    if kind == "completers":
        reason = f"rows of participants without a score at the last wave ({cohort.last})"
    elif kind == "unscored":
        reason = "rows without a score"
    else:
        design = [*([cohort.arm] if cohort.arm else []), *cohort.plan.covariates]
        reason = f"rows with a missing {' or '.join(design)}"
    tables.exclusions.append(
        {"table": "models", "reason": f"{outcome} ({model}): {reason}", "n": n}
    )


def estimable(
    tables: ModelTables,
    outcome: str,
    model: str,
    waves: list[str],
    n_participants: int | None,
    n_rows: int,
) -> bool:
    """Whether the selected rows can show change within people; else a row saying why.

    With ``n_participants=None`` only the waves are checked (the SQL engines count the
    participants with the model's data pass, after this check).
    """
    if not waves:
        _not_estimable(tables, outcome, model, "no scores to analyse")
        return False
    if len(waves) == 1:
        _not_estimable(
            tables, outcome, model, f"scores at one wave only ({waves[0]}): no follow-up data"
        )
        return False
    if n_participants is not None and n_participants >= n_rows:
        _not_estimable(
            tables,
            outcome,
            model,
            "no participant has scores at two or more waves: change within people cannot be "
            "separated from differences between people",
        )
        return False
    return True


def model_failed(tables: ModelTables, outcome: str, model: str, error: LinkworkError) -> None:
    """The estimability row of a model whose fit (or data pass) raised *error*."""
    _not_estimable(tables, outcome, model, f"model not estimable: {error}")


def record_model(
    tables: ModelTables,
    plan: Plan,
    outcome: str,
    model: str,
    fit_model: Callable[[str], Any],
    waves: list[str],
    arms: list[str] | None,
    baseline_sd: tuple[float, int],
) -> None:
    """Fit with ``fit_model(formula)`` (in memory or in an engine) and add its tables.

    The data behind *fit_model* have ``wave`` with levels *waves* (in order), ``arm`` with
    levels *arms* when there are arms, and the plan's covariates.
    """
    formula = model_formula(outcome, "arm" if arms is not None else None, plan.covariates)
    try:
        fit = fit_model(formula)
        contrasts = _contrasts(fit, waves, arms, plan.adjust)
        emm = fit.emmeans(["wave", "arm"] if arms is not None else "wave")
        anova = fit.anova()
        tidy = fit.tidy()
    except LinkworkError as error:  # ModelError: aliased columns, too few data, ...
        model_failed(tables, outcome, model, error)
        return
    label = {"outcome": outcome, "model": model}
    tables.models.append(tidy.assign(**label))
    tables.anova.append(anova.assign(**label))
    emm = emm.assign(**label)
    emm["wave"] = emm["wave"].astype(str)
    if arms is not None:
        emm["arm"] = emm["arm"].astype(str)
    tables.emmeans.append(emm)
    sd, n = baseline_sd
    tables.contrasts.append(
        _add_d(contrasts.assign(**label), sd, n, plan.effect_size == "baseline-sd")
    )
    notes = []
    if getattr(fit, "singular", False):
        notes.append("singular fit: the between-participant variance is estimated as zero")
    if not getattr(fit, "converged", True):
        notes.append("the optimiser reported a convergence problem")
    if plan.effect_size == "baseline-sd" and not (n >= 2 and sd > 0):
        notes.append(f"d not computed: fewer than 2 scores (or no spread) at {plan.baseline}")
    tables.estimability.append(
        {"outcome": outcome, "model": model, "status": "estimated", "reason": "; ".join(notes)}
    )
