"""``evaluate``: the study's whole evaluation of a programme's long data, as tidy tables.

Steps: score the plan's measures (from items when present), resolve waves, participant flow,
descriptives, completers vs non-completers at baseline, the meaningful-groups analysis, the
mixed model of every outcome (all available data, and completers only as a sensitivity
analysis), relationship correlations, estimability, exclusions, the per-site table with
disclosure control, and the meta data needed to reproduce it.

Validation: every number in the tables is recomputed in R from the same scored data by
``tests/reference/evaluation_check.R`` (lme4 1.1-31, lmerTest 3.1-3, emmeans 1.8.4 with
``lmer.df = "satterthwaite"``, ``cor.test``, ``friedman.test``, ``wilcox.test``, ``t.test``,
``fisher.test``, ``p.adjust``) and compared in ``tests/evaluation/test_against_r.py`` on the
demo cohort, a larger simulated cohort and a two-arm cohort.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from linkwork.evaluation.attrition import attrition_table
from linkwork.evaluation.cohort import (
    Cohort,
    data_hash,
    flow_table,
    prepare,
    sites_table,
    trajectories_table,
)
from linkwork.evaluation.groups import groups_analysis
from linkwork.evaluation.models import ALL_DATA, COMPLETERS, ModelTables, fit_outcome, model_formula
from linkwork.evaluation.plan import Plan, default_plan, load_plan
from linkwork.evaluation.relationships import correlations
from linkwork.evaluation.result import Evaluation
from linkwork.evaluation.scores import score_measures
from linkwork.stats.descriptives import describe_by_wave

__all__ = [
    "Analyses",
    "Progress",
    "analysis_data",
    "build_meta",
    "evaluate",
    "run_analyses",
    "step_names",
    "stepper",
]

#: ``progress(message, done, total)``: called before each step; ``done`` counts finished steps.
Progress = Callable[[str, int, int], None]

EXCLUSION_COLUMNS = ["table", "reason", "n"]
DEPENDENCIES = ("numpy", "scipy", "pandas", "formulaic")

D_FORMULA = (
    "d = (EMM at the later wave - EMM at the earlier wave) / SD of the outcome at {baseline} "
    "(observed {baseline} scores of the all-available-data sample, n - 1 denominator); "
    "95% CI d +/- t(df) x SE(d), df the contrast's Satterthwaite df and "
    "SE(d) = sqrt(SE^2 / SD^2 + d^2 / (2 (n - 1))) (the delta-method SE of emmeans::eff_size "
    "with sigma = SD and edf = n - 1)"
)
DF_METHOD = (
    "Satterthwaite degrees of freedom for t tests, F tests (Type III, lmerTest) and marginal "
    'means and contrasts (emmeans with lmer.df = "satterthwaite")'
)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("linkwork", *DEPENDENCIES):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            module = sys.modules.get(name)
            found[name] = str(getattr(module, "__version__", "unknown"))
    from linkwork import __version__

    found["linkwork"] = __version__
    return found


def _load(data: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, str]:
    if isinstance(data, pd.DataFrame):
        return data, "data frame"
    from linkwork import read

    return read(data), Path(data).name


def _meta(cohort: Cohort, outcomes: list[str], source: str, raw: pd.DataFrame) -> dict[str, Any]:
    data = cohort.data
    arms = sorted(str(a) for a in data[cohort.arm].dropna().unique()) if cohort.arm else []
    return build_meta(
        cohort.plan,
        outcomes,
        source,
        participants=cohort.participants,
        n_rows=len(data),
        observed=cohort.observed,
        last=cohort.last,
        arm=cohort.arm,
        arms=arms,
        columns=tuple(data.columns),
        notes=cohort.notes,
        digest=(
            data_hash(raw),
            "sha256 of the long input data as CSV, rows sorted by participant and wave, columns "
            "by name",
        ),
    )


def build_meta(
    plan: Plan,
    outcomes: list[str],
    source: str,
    *,
    participants: int,
    n_rows: int,
    observed: tuple[str, ...],
    last: str,
    arm: str | None,
    arms: list[str],
    columns: tuple[str, ...],
    notes: tuple[str, ...],
    digest: tuple[str, str],
    estimation: str = "",
) -> dict[str, Any]:
    """The evaluation's meta data (shared by the in-memory and SQL-engine pipelines)."""
    info = {m.name: m for m in plan.measures()}
    return {
        "title": "Link worker social prescribing: evaluation",
        "linkwork_version": _versions()["linkwork"],
        "versions": _versions(),
        "data_hash": digest[0],
        "data_hash_method": digest[1],
        "data_source": source,
        "plan_source": plan.source,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_participants": participants,
        "n_rows": n_rows,
        "waves": list(plan.waves),
        "wave_labels": {w: plan.label(w) for w in plan.waves},
        "observed_waves": list(observed),
        "baseline": plan.baseline,
        "last_wave": last,
        "alpha": plan.alpha,
        "adjust": plan.adjust,
        "arm": arm,
        "arms": arms,
        "covariates": list(plan.covariates),
        "outcomes": {
            name: {
                "title": info[name].title,
                "direction": info[name].direction,
                "higher_is_better": info[name].direction == "higher is better",
                "instrument": info[name].instrument,
                "formula": model_formula(name, arm, plan.covariates),
            }
            for name in outcomes
        },
        "predictors": {
            p.name: {"title": p.title, "direction": p.direction, "waves": list(p.waves)}
            for p in plan.predictors
            if p.name in columns
        },
        "groups": plan.groups.name if plan.groups and plan.groups.name in columns else None,
        "estimation": "linear mixed model with a random intercept per participant, REML "
        "(linkwork.stats.lmer, validated against lme4/lmerTest/emmeans)" + estimation,
        "df_method": DF_METHOD,
        "contrast_sign": "later minus earlier wave (e.g. T2 - T1), as emmeans revpairwise; "
        f"adjusted within each outcome and model by the {plan.adjust} method",
        "d_formula": D_FORMULA.format(baseline=plan.baseline)
        if plan.effect_size != "none"
        else "not computed",
        "change_definition": f"change = score at {last} - score at {plan.baseline}, "
        "whatever the outcome's direction (read it with the outcome's direction)",
        "completers_definition": f"participants with the outcome scored at the last wave "
        f"({last}); in the attrition table, participants observed at {last}",
        "correlation_adjustment": "Holm and FDR (Benjamini-Hochberg) within each method "
        "(Pearson, Spearman) over the whole correlations table",
        "wilcoxon": f"pairs of waves on {plan.group_pairs} cases, later minus earlier; "
        f"r = z / sqrt(n non-zero differences); p adjusted by {plan.adjust}",
        "suppression": {
            "suppress": plan.disclosure.suppress,
            "threshold": plan.disclosure.threshold,
            "rounding": plan.disclosure.rounding,
            "text": plan.disclosure.describe(),
            "applies_to": ["sites"],
        },
        "notes": list(notes),
    }


def _resolve_plan(plan: Plan | str | Path | None) -> tuple[Plan, bool]:
    if plan is None:
        return default_plan(), True
    if isinstance(plan, Plan):
        return plan, False
    return load_plan(plan), False


def analysis_data(
    data: pd.DataFrame | str | Path, plan: Plan | str | Path | None = None
) -> pd.DataFrame:
    """The scored long data exactly as :func:`evaluate` analyses it.

    One row per participant x wave, sorted: participant_id, wave (ordered categorical in the
    plan's wave order), the design columns present (arm, site, covariates, attrition
    variables) and one float column per scored measure. It holds participant identifiers: it
    is for checking and further analysis, and is never written by :meth:`Evaluation.write`.
    """
    resolved, adapt = _resolve_plan(plan)
    frame, _ = _load(data)
    scored = score_measures(frame, resolved.measures())
    return prepare(frame, resolved, scored.scores, adapt=adapt).data


def evaluate(
    data: pd.DataFrame | str | Path,
    plan: Plan | str | Path | None = None,
    *,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate a programme's long data with the analysis plan.

    Parameters
    ----------
    data
        Long data (one row per participant x wave, see :func:`linkwork.read`) or a path to any
        file :func:`linkwork.read` takes.
    plan
        A :class:`Plan`, a path to a plan TOML file, or ``None`` for the default plan (the
        study's design; its waves adapt to the data's when the data use other wave labels).
    progress
        Optional callback ``progress(message, done, total)`` called before each step.

    Returns
    -------
    Evaluation
        Tidy tables (see :class:`Evaluation`), the resolved plan, meta data, trajectories.

    Raises
    ------
    linkwork.PlanError, linkwork.DataFormatError, linkwork.InvalidResponse
        For a bad plan or bad data; an outcome that cannot be modelled is reported in the
        ``estimability`` table instead.
    """
    plan, adapt = _resolve_plan(plan)
    frame, source = _load(data)
    steps = step_names(plan)
    step = stepper(steps, progress)
    step(steps[0])
    scored = score_measures(frame, plan.measures())
    step(steps[1])
    cohort = prepare(frame, plan, scored.scores, adapt=adapt)
    return run_analyses(_InMemory(cohort, source, frame), scored.scoring, scored.absent, step)


class Analyses(Protocol):
    """Prepared data and how each of the evaluation's tables is computed from them.

    Implemented in memory (a :class:`Cohort`) here and in SQL engines by
    :mod:`linkwork.scale.evaluate`; :func:`run_analyses` runs either through the same steps.
    """

    @property
    def plan(self) -> Plan:
        """The plan with its waves resolved against the data."""
        ...

    @property
    def arm(self) -> str | None:
        """The arm column when the data have two or more arms."""
        ...

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of the prepared data (design columns and scored measures)."""
        ...

    def flow(self, outcomes: list[str]) -> pd.DataFrame:
        """The flow table."""
        ...

    def descriptives(self, measures: list[str]) -> pd.DataFrame:
        """Descriptives per measure and wave (wave as text)."""
        ...

    def attrition(self, outcomes: list[str]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """The attrition table and its exclusions."""
        ...

    def groups(self) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """The meaningful-groups table and its exclusions."""
        ...

    def fit(
        self,
        outcome: str,
        model: str,
        tables: ModelTables,
        baseline_sd: tuple[float, int] | None,
    ) -> tuple[float, int]:
        """Fit one outcome's model into *tables*; the baseline SD and its n."""
        ...

    def correlations(self, outcomes: list[str]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """The correlations table and its exclusions."""
        ...

    def sites(self) -> pd.DataFrame:
        """Participants per site and wave, suppressed."""
        ...

    def trajectories(self, outcomes: list[str]) -> pd.DataFrame:
        """Anonymous individual trajectories."""
        ...

    def meta(self, outcomes: list[str]) -> dict[str, Any]:
        """The meta data (see :func:`build_meta`)."""
        ...


@dataclass(frozen=True, slots=True)
class _InMemory:
    """:class:`Analyses` of an in-memory :class:`Cohort`."""

    cohort: Cohort
    source: str
    frame: pd.DataFrame

    @property
    def plan(self) -> Plan:
        return self.cohort.plan

    @property
    def arm(self) -> str | None:
        return self.cohort.arm

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.cohort.data.columns)

    def flow(self, outcomes: list[str]) -> pd.DataFrame:
        return flow_table(self.cohort, outcomes)

    def descriptives(self, measures: list[str]) -> pd.DataFrame:
        table = describe_by_wave(self.cohort.data, measures)
        table["wave"] = table["wave"].astype(str)
        return table

    def attrition(self, outcomes: list[str]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        return attrition_table(self.cohort, outcomes)

    def groups(self) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        return groups_analysis(self.cohort)

    def fit(
        self,
        outcome: str,
        model: str,
        tables: ModelTables,
        baseline_sd: tuple[float, int] | None,
    ) -> tuple[float, int]:
        return fit_outcome(self.cohort, outcome, model, tables, baseline_sd=baseline_sd)

    def correlations(self, outcomes: list[str]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        return correlations(self.cohort, outcomes)

    def sites(self) -> pd.DataFrame:
        return sites_table(self.cohort)

    def trajectories(self, outcomes: list[str]) -> pd.DataFrame:
        return trajectories_table(self.cohort, outcomes)

    def meta(self, outcomes: list[str]) -> dict[str, Any]:
        return _meta(self.cohort, outcomes, self.source, self.frame)


def run_analyses(
    analyses: Analyses,
    scoring: pd.DataFrame,
    absent: tuple[str, ...],
    step: Callable[[str], None],
) -> Evaluation:
    """Every table after scoring and preparation, in the evaluation's order of steps, and the
    :class:`Evaluation` (shared by the in-memory pipeline and the SQL engines)."""
    plan = analyses.plan
    steps = step_names(plan)
    outcomes = [o.name for o in plan.outcomes if o.name in analyses.columns]
    exclusions = _scoring_exclusions(scoring)
    flow = analyses.flow(outcomes)
    step(steps[2])
    descriptives = analyses.descriptives(
        [m.name for m in plan.measures() if m.name in analyses.columns]
    )
    step(steps[3])
    attrition, attrition_exclusions = analyses.attrition(outcomes)
    exclusions += attrition_exclusions
    step(steps[4])
    groups, group_exclusions = analyses.groups()
    exclusions += group_exclusions
    tables = ModelTables()
    for measure in plan.outcomes:
        step(f"Mixed model: {measure.name}")
        if measure.name not in analyses.columns:
            _not_in_data(tables, plan, measure.name)
            continue
        sd = analyses.fit(measure.name, ALL_DATA, tables, None)
        if plan.completers:
            analyses.fit(measure.name, COMPLETERS, tables, sd)
    step(steps[-2])
    correlation, correlation_exclusions = analyses.correlations(outcomes)
    step(steps[-1])
    model_frames = tables.frames(arm=analyses.arm is not None)
    result_tables = {
        "flow": flow,
        "descriptives": descriptives,
        "attrition": attrition,
        "groups": groups,
        **{k: model_frames[k] for k in ("models", "anova", "emmeans", "contrasts")},
        "correlations": correlation,
        "estimability": model_frames["estimability"],
        "exclusions": pd.DataFrame(
            exclusions + tables.exclusions + correlation_exclusions, columns=EXCLUSION_COLUMNS
        ),
        "scoring": scoring,
        "sites": analyses.sites(),
    }
    meta = analyses.meta([o.name for o in plan.outcomes])
    if absent:
        meta["notes"].append("not in the data (skipped): " + ", ".join(absent))
    return Evaluation(result_tables, plan, meta, analyses.trajectories(outcomes))


def step_names(plan: Plan) -> list[str]:
    """The progress steps of an evaluation with *plan*."""
    steps = [
        "Scoring instruments",
        "Checking waves and flow",
        "Describing waves",
        "Attrition",
        "Meaningful groups",
    ]
    steps += [f"Mixed model: {o.name}" for o in plan.outcomes]
    return [*steps, "Relationships", "Assembling results"]


def stepper(steps: list[str], progress: Progress | None) -> Callable[[str], None]:
    """A function reporting each step to *progress* (which may be ``None``)."""
    done = 0

    def step(message: str) -> None:
        nonlocal done
        if progress is not None:
            progress(message, done, len(steps))
        done += 1

    return step


def _scoring_exclusions(scoring: pd.DataFrame) -> list[dict[str, Any]]:
    """Exclusion rows for rows left without a score, from the ``scoring`` table."""
    return [
        {
            "table": "scoring",
            "reason": f"{row['instrument']}: rows without a score (items "
            "missing beyond the missing-item rule, or not asked at that wave)",
            "n": int(row["n_missing"]),
        }
        for row in scoring.to_dict("records")
        if row["n_missing"]
    ]


def _not_in_data(tables: ModelTables, plan: Plan, outcome: str) -> None:
    """Estimability rows for an outcome that is not in the data."""
    for model in (ALL_DATA, *([COMPLETERS] if plan.completers else [])):
        tables.estimability.append(
            {
                "outcome": outcome,
                "model": model,
                "status": "not estimable",
                "reason": "not in the data: neither its item columns nor a score column",
            }
        )
