"""The evaluation's flow, sites, descriptives, models and trajectories computed in an engine.

Each function is the SQL counterpart of the in-memory one named in its docstring and ends in
the same finishing code (:mod:`linkwork.evaluation`), so the tables are the same: counts come
from ``GROUP BY`` queries, the models from the sufficient-statistics pass of
:mod:`linkwork.scale.engine` on a view of each model's rows, the trajectories from at most
:data:`~linkwork.evaluation.cohort.MAX_TRAJECTORIES` people per outcome.

Validated against the in-memory pipeline on the same data: tests/scale/test_evaluate_sql.py.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence

import pandas as pd

from linkwork.errors import LinkworkError
from linkwork.evaluation.cohort import (
    MAX_TRAJECTORIES,
    TRAJECTORY_COLUMNS,
    flow_from_counts,
    sites_from_counts,
    trajectories_from_rows,
)
from linkwork.evaluation.models import (
    COMPLETERS,
    ModelTables,
    estimable,
    model_failed,
    model_formula,
    record_exclusion,
    record_model,
)
from linkwork.scale.cohort_sql import ID, WAVE, SqlCohort, at_wave, count_of, temp_view
from linkwork.scale.descriptives import describe_sql
from linkwork.scale.engine import sql_statistics
from linkwork.scale.source import Relation, ident
from linkwork.stats.prefit import fit_statistics

__all__ = [
    "descriptives_sql",
    "fit_outcome_sql",
    "flow_sql",
    "sites_sql",
    "trajectories_sql",
]


def flow_sql(cohort: SqlCohort, outcomes: Sequence[str]) -> pd.DataFrame:
    """:func:`linkwork.evaluation.cohort.flow_table` from the wave patterns counted by
    :func:`~linkwork.scale.cohort_sql.prepare_sql` and one query of participants scored."""
    ex, rows = cohort.executor, cohort.rows
    found = dict(cohort.wave_masks)
    analysed: dict[str, int] = {}
    if outcomes:
        parts = ", ".join(
            f"count(DISTINCT CASE WHEN {ident(o)} IS NOT NULL THEN {ident(ID)} END) AS a{k}"
            for k, o in enumerate(outcomes)
        )
        got = ex.query(f"SELECT {parts} FROM {rows.sql}", rows.description).iloc[0]
        analysed = {o: count_of(got[f"a{k}"]) for k, o in enumerate(outcomes)}
    return flow_from_counts(cohort.plan.waves, dict(sorted(found.items())), analysed)


def sites_sql(cohort: SqlCohort) -> pd.DataFrame:
    """:func:`linkwork.evaluation.cohort.sites_table`: participants per site and wave."""
    plan = cohort.plan
    if not plan.site or plan.site not in cohort.columns:
        return sites_from_counts(plan, pd.DataFrame(columns=["site", "wave", "n"]))
    d = cohort.executor.dialect
    s = ident(plan.site)
    counts = cohort.executor.query(
        f"SELECT {d.to_text(s)} AS site, {ident(WAVE)} AS wave, "
        f"count(DISTINCT {ident(ID)}) AS n FROM {cohort.rows.sql} WHERE {s} IS NOT NULL "
        "GROUP BY 1, 2",
        cohort.rows.description,
    )
    return sites_from_counts(plan, counts)


def descriptives_sql(cohort: SqlCohort, measures: Sequence[str]) -> pd.DataFrame:
    """:func:`linkwork.stats.describe_by_wave` per measure over every wave of the plan."""
    return describe_sql(cohort.executor, cohort.rows, measures, WAVE, cohort.plan.waves)


def fit_outcome_sql(
    cohort: SqlCohort,
    outcome: str,
    model: str,
    tables: ModelTables,
    *,
    baseline_sd: tuple[float, int] | None = None,
) -> tuple[float, int]:
    """:func:`linkwork.evaluation.models.fit_outcome` with the rows selected and the model's
    data pass run in the engine (same exclusions, estimability checks and tables)."""
    ex, rows, plan = cohort.executor, cohort.rows, cohort.plan
    d = ex.dialect
    i, w, y = ident(ID), ident(WAVE), ident(outcome)
    design = [*([cohort.arm] if cohort.arm else []), *plan.covariates]
    if model == COMPLETERS:
        # the completers' identifiers, once: every query of this model joins to them
        pid = f"lw_completers_{uuid.uuid4().hex[:12]}"
        cohort.created.append(("table", pid))
        ex.materialize(
            pid,
            f"SELECT DISTINCT {i} AS lw_pid FROM {rows.sql} WHERE {y} IS NOT NULL "
            f"AND {at_wave(cohort.last)}",
            rows.description,
        )
        join = f"LEFT JOIN {ident(pid)} c ON v.{i} = c.lw_pid"
        kept = "c.lw_pid IS NOT NULL"
    else:
        join, kept = "", "1 = 1"
    incomplete = " OR ".join(f"v.{ident(c)} IS NULL" for c in design) or "1 = 0"
    counts = ex.query(
        f"SELECT sum(CASE WHEN v.{y} IS NOT NULL AND NOT ({kept}) THEN 1 ELSE 0 END) AS out_, "
        f"sum(CASE WHEN ({kept}) AND v.{y} IS NULL THEN 1 ELSE 0 END) AS unscored, "
        f"sum(CASE WHEN ({kept}) AND v.{y} IS NOT NULL AND ({incomplete}) THEN 1 ELSE 0 END) "
        f"AS design FROM {rows.sql} v {join}",
        rows.description,
    ).iloc[0]
    if model == COMPLETERS:
        record_exclusion(tables, outcome, model, "completers", count_of(counts["out_"]), cohort)
    record_exclusion(tables, outcome, model, "unscored", count_of(counts["unscored"]), cohort)
    record_exclusion(tables, outcome, model, "design", count_of(counts["design"]), cohort)
    columns = [f"v.{i} AS {i}", f"v.{w} AS {w}", f"v.{y} AS {y}"]
    types = {ID: d.text, WAVE: d.text, outcome: d.double}
    if cohort.arm:
        columns.append(f"{d.to_text('v.' + ident(cohort.arm))} AS {ident('arm')}")
        types["arm"] = d.text
    for c in plan.covariates:
        columns.append(f"v.{ident(c)} AS {ident(c)}")
        types[c] = rows.types[c]
    view = temp_view(
        ex,
        cohort.created,
        "lw_model",
        f"SELECT {', '.join(columns)} FROM {rows.sql} v {join} "
        f"WHERE ({kept}) AND v.{y} IS NOT NULL AND NOT ({incomplete})",
        rows.description,
    )
    selected = Relation(view.sql, rows.description, types)
    if baseline_sd is None:
        got = ex.query(
            f"SELECT count(*) AS n, stddev_samp({y}) AS sd FROM {selected.sql} "
            f"WHERE {at_wave(plan.baseline)}",
            rows.description,
        ).iloc[0]
        n = count_of(got["n"])
        baseline_sd = (float(got["sd"]) if n >= 2 else math.nan), n
    arm = f", {ident('arm')} AS arm" if cohort.arm else ""
    cells = ex.query(
        f"SELECT {w} AS wave{arm}, count(*) AS n FROM {selected.sql} GROUP BY "
        + ("1, 2" if cohort.arm else "1"),
        rows.description,
    )
    present = {str(x) for x in cells["wave"]}
    waves = [x for x in plan.waves if x in present]
    if not estimable(tables, outcome, model, waves, None, 0):
        return baseline_sd
    levels: dict[str, list[str]] = {"wave": waves}
    arms: list[str] | None = None
    if cohort.arm:
        arms = sorted({str(a) for a in cells["arm"]})
        levels["arm"] = arms
    formula = model_formula(outcome, "arm" if arms is not None else None, plan.covariates)
    try:
        design_, stats = sql_statistics(ex, selected, formula, levels, {})
    except LinkworkError as error:
        model_failed(tables, outcome, model, error)
        return baseline_sd
    if not estimable(tables, outcome, model, waves, stats.n_groups, stats.n_obs):
        return baseline_sd
    record_model(
        tables,
        plan,
        outcome,
        model,
        lambda _formula: fit_statistics(design_, stats, True),
        waves,
        arms,
        baseline_sd,
    )
    return baseline_sd


def trajectories_sql(cohort: SqlCohort, outcomes: Sequence[str]) -> pd.DataFrame:
    """:func:`linkwork.evaluation.cohort.trajectories_table`: the same people (smallest MD5
    of the identifier), numbered alike; only their rows of each outcome leave the engine."""
    ex, rows = cohort.executor, cohort.rows
    d = ex.dialect
    i, w = ident(ID), ident(WAVE)
    parts = []
    for outcome in outcomes:
        y = ident(outcome)
        got = ex.query(
            f"SELECT s.k AS k, v.{w} AS wave, v.{y} AS value FROM {rows.sql} v JOIN "
            f"(SELECT {i} AS lw_pid, {d.md5(i)} AS k FROM {rows.sql} WHERE {y} IS NOT NULL "
            f"GROUP BY {i} HAVING count(*) >= 2 ORDER BY 2 LIMIT {MAX_TRAJECTORIES}) s "
            f"ON v.{i} = s.lw_pid WHERE v.{y} IS NOT NULL",
            rows.description,
        )
        if got.empty:
            continue
        keys = sorted(set(got["k"]))
        number = pd.Series(got["k"].map({k: n for n, k in enumerate(keys, start=1)}))
        frame = pd.DataFrame(
            {
                WAVE: pd.Categorical(
                    got["wave"].astype(str), categories=list(cohort.plan.waves), ordered=True
                ),
                "value": got["value"].astype("float64"),
            }
        )
        parts.append(trajectories_from_rows(outcome, number, frame, "value"))
    if not parts:
        return pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    return pd.concat(parts, ignore_index=True)
