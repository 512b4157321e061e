"""``evaluate_sql``: the whole evaluation with the rows left in DuckDB, PostgreSQL or Spark.

The steps of :func:`linkwork.evaluate` (scoring, checks, flow, descriptives, attrition, groups,
models, correlations, sites, trajectories) run as aggregate queries in the engine; what comes
back is counts, sums, distinct values with their counts and the models' sufficient statistics,
and the same finishing code as the in-memory pipeline turns them into the same tables, hence
the same report. Rank statistics (Friedman, Wilcoxon, Spearman) and the attrition tests are
computed in Python from the distinct values and their counts, expanded to one value per
participant (8 bytes per participant and variable): exact, and small for scores.

Validated against :func:`linkwork.evaluate` on the same data (itself validated against R):
tests/scale/test_evaluate_sql.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from linkwork.errors import ModelError
from linkwork.evaluation.models import ModelTables
from linkwork.evaluation.pipeline import (
    Progress,
    _resolve_plan,
    build_meta,
    run_analyses,
    step_names,
    stepper,
)
from linkwork.evaluation.plan import Plan
from linkwork.evaluation.result import Evaluation
from linkwork.scale.cohort_sql import SqlCohort, drop_created, prepare_sql
from linkwork.scale.engine import Executor
from linkwork.scale.evaluation_tables import attrition_sql, correlations_sql, groups_sql
from linkwork.scale.source import Relation
from linkwork.scale.tables_sql import (
    descriptives_sql,
    fit_outcome_sql,
    flow_sql,
    sites_sql,
    trajectories_sql,
)

__all__ = ["ENGINES", "evaluate_sql", "open_source"]

ENGINES = ("duckdb", "postgres", "spark")


@contextmanager
def open_source(
    engine: str,
    source: str | Path | list[str] | Any | None = None,
    *,
    table: str | None = None,
    url: str | None = None,
    schema: str | None = None,
    connection: Any = None,
    spark: Any = None,
) -> Iterator[tuple[Executor, Relation]]:
    """The engine's executor and the source relation, closed afterwards when opened here.

    * ``duckdb``: *source* a Parquet/CSV path, glob or list; or *table* on *connection*, or on
      the DuckDB database file *source* (``.duckdb``/``.db``, opened read-only).
    * ``postgres``: *table* (in *schema*) of the database at *url* (``postgresql://...``) or
      on an open psycopg *connection*.
    * ``spark``: *source* a Parquet/CSV path, glob or list, or a Spark DataFrame; or *table* in
      the session's catalog; *spark* the session (default: the active one or a new one).
    """
    if engine == "duckdb":
        import duckdb

        from linkwork.scale.duckdb_engine import DuckDBExecutor
        from linkwork.scale.source import relation

        con, own = connection, connection is None
        database = str(source) if source is not None and table is not None else None
        if database is not None and not database.lower().endswith((".duckdb", ".db")):
            raise ModelError(
                f"source {database!r} with table {table!r}: give a DuckDB database file "
                "(.duckdb or .db) with --table, or files without it"
            )
        if con is None:
            try:
                con = duckdb.connect(database or ":memory:", read_only=database is not None)
            except duckdb.Error as exc:
                raise ModelError(f"DuckDB database {database!r} cannot be opened: {exc}") from exc
            con.execute("SET enable_progress_bar = false")
        try:
            files = None if table is not None else source
            yield DuckDBExecutor(con), relation(con, files, table)
        finally:
            if own:
                con.close()
    elif engine == "postgres":
        from linkwork.scale.postgres_engine import _connect, postgres_relation

        if not table:
            raise ModelError("no table: give the PostgreSQL table to evaluate (--table)")
        if url is None and connection is None and source is not None:
            url = str(source)
        with _connect(url, connection) as ex:
            yield ex, postgres_relation(ex, table, schema)
    elif engine == "spark":
        from linkwork.scale.spark_engine import SparkExecutor, _session, spark_source

        session = _session(spark, source)
        # with a catalog table the positional source of the CLI is only a placeholder ("-")
        with spark_source(session, None if table is not None else source, table) as rel:
            yield SparkExecutor(session), rel
    else:
        raise ModelError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")


def evaluate_sql(
    source: str | Path | list[str] | Any | None = None,
    plan: Plan | str | Path | None = None,
    *,
    engine: str = "duckdb",
    table: str | None = None,
    url: str | None = None,
    schema: str | None = None,
    connection: Any = None,
    spark: Any = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate a programme's long data where it lives; the result of :func:`linkwork.evaluate`.

    Parameters
    ----------
    source, table, url, schema, connection, spark
        Where the data are, per engine (see :func:`open_source`): long data, one row per
        participant x wave, with item columns or score columns as for :func:`linkwork.read`.
    plan
        As :func:`linkwork.evaluate`.
    engine
        ``"duckdb"``, ``"postgres"`` or ``"spark"``.
    progress
        Optional callback ``progress(message, done, total)``.

    Returns
    -------
    Evaluation
        The same tables as :func:`linkwork.evaluate` on the same rows. The meta data say which
        engine ran and carry no data hash (the rows never leave the engine).

    Raises
    ------
    linkwork.ModelError, linkwork.DataFormatError, linkwork.InvalidResponse, linkwork.PlanError
        A source that cannot be read, or bad data or plan as for :func:`linkwork.evaluate`.
    """
    resolved, adapt = _resolve_plan(plan)
    with open_source(
        engine, source, table=table, url=url, schema=schema, connection=connection, spark=spark
    ) as (ex, rel):
        return _evaluate(ex, rel, resolved, adapt, engine, progress)


def _evaluate(
    ex: Executor, rel: Relation, plan: Plan, adapt: bool, engine: str, progress: Progress | None
) -> Evaluation:
    steps = step_names(plan)
    step = stepper(steps, progress)
    created: list[tuple[str, str]] = []
    try:
        step(steps[0])
        cohort, scoring, absent = prepare_sql(ex, rel, plan, adapt=adapt, created=created)
        step(steps[1])
        return run_analyses(_InEngine(cohort, engine), scoring, absent, step)
    finally:
        drop_created(ex, created)


@dataclass(frozen=True, slots=True)
class _InEngine:
    """:class:`linkwork.evaluation.pipeline.Analyses` of rows in an engine."""

    cohort: SqlCohort
    engine: str

    @property
    def plan(self) -> Plan:
        return self.cohort.plan

    @property
    def arm(self) -> str | None:
        return self.cohort.arm

    @property
    def columns(self) -> tuple[str, ...]:
        return self.cohort.columns

    def flow(self, outcomes: list[str]) -> pd.DataFrame:
        return flow_sql(self.cohort, outcomes)

    def descriptives(self, measures: list[str]) -> pd.DataFrame:
        return descriptives_sql(self.cohort, measures)

    def attrition(self, outcomes: list[str]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        return attrition_sql(self.cohort, outcomes)

    def groups(self) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        return groups_sql(self.cohort)

    def fit(
        self,
        outcome: str,
        model: str,
        tables: ModelTables,
        baseline_sd: tuple[float, int] | None,
    ) -> tuple[float, int]:
        return fit_outcome_sql(self.cohort, outcome, model, tables, baseline_sd=baseline_sd)

    def correlations(self, outcomes: list[str]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        return correlations_sql(self.cohort, outcomes)

    def sites(self) -> pd.DataFrame:
        return sites_sql(self.cohort)

    def trajectories(self, outcomes: list[str]) -> pd.DataFrame:
        return trajectories_sql(self.cohort, outcomes)

    def meta(self, outcomes: list[str]) -> dict[str, Any]:
        cohort = self.cohort
        return build_meta(
            cohort.plan,
            outcomes,
            cohort.rows.description,
            participants=cohort.participants,
            n_rows=cohort.n_rows,
            observed=cohort.observed,
            last=cohort.last,
            arm=cohort.arm,
            arms=list(cohort.arms),
            columns=cohort.columns,
            notes=cohort.notes,
            digest=(
                "",
                f"not computed: the rows stayed in the {self.engine} engine and were only "
                "aggregated there (linkwork.scale)",
            ),
            estimation=f"; the data pass of each model and every count ran in {self.engine}",
        )
