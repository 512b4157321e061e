"""``lmer_duckdb``: the mixed-model data pass as SQL, run by DuckDB where the data live.

DuckDB reads Parquet or CSV files (a path, glob or list) or a table of a DuckDB database; the
two scans of :mod:`linkwork.scale.engine` run there in DuckDB's dialect (compensated ``fsum``
for the long sums) and only small aggregates come back to Python.

Validated against :func:`linkwork.stats.lmer` on the same data (itself validated against
lme4/lmerTest/emmeans) to 1e-8 relative: tests/scale/test_duckdb_engine.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from linkwork.errors import ModelError
from linkwork.scale.dialect import DUCKDB, Dialect
from linkwork.scale.engine import MAX_CELLS, check_formula, sql_statistics
from linkwork.scale.source import ident, parquet_categories, relation
from linkwork.stats.design import Design
from linkwork.stats.formula import parse_formula
from linkwork.stats.prefit import fit_statistics
from linkwork.stats.result import MixedModelResult
from linkwork.stats.suffstats import SufficientStats

__all__ = ["MAX_CELLS", "DuckDBExecutor", "duckdb_statistics", "lmer_duckdb"]


class DuckDBExecutor:
    """Runs the generated SQL on a DuckDB connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    @property
    def dialect(self) -> Dialect:
        """DuckDB's spellings."""
        return DUCKDB

    def query(self, sql: str, where: str) -> pd.DataFrame:
        """The result of *sql*; ModelError naming *where* when DuckDB refuses it."""
        try:
            return self.connection.execute(sql).df()
        except duckdb.Error as exc:
            raise ModelError(f"{where}: the SQL pass failed: {exc}") from exc

    def execute(self, sql: str, where: str) -> None:
        """Run a statement without a result (DDL); ModelError naming *where* on failure."""
        try:
            self.connection.execute(sql)
        except duckdb.Error as exc:
            raise ModelError(f"{where}: the SQL statement failed: {exc}") from exc

    def materialize(self, name: str, select_sql: str, where: str) -> None:
        """``CREATE OR REPLACE TEMP TABLE name AS select_sql`` (replaces only a temp table)."""
        self.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS {select_sql}", where)

    def release(self, name: str, kind: str, where: str) -> None:
        """Drop a temporary view (*kind* ``"view"``) or a table made by :meth:`materialize`."""
        what = "TABLE" if kind == "table" else "VIEW"
        self.execute(f"DROP {what} IF EXISTS {ident(name)}", where)


def duckdb_statistics(
    formula: str,
    source: str | Path | list[str] | None = None,
    *,
    table: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Design, SufficientStats]:
    """The design of the distinct rows and the sufficient statistics, computed by DuckDB.

    Parameters and errors as :func:`lmer_duckdb`. The statistics have no per-group arrays
    (``group_zy`` and ``group_pattern`` are empty): only aggregates leave DuckDB.
    """
    parsed = parse_formula(formula)
    _, fixed = check_formula(parsed)
    con = connection
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
    rel = relation(con, source, table)
    stored = parquet_categories(rel, [v for v in fixed if v not in (levels or {})])
    return sql_statistics(DuckDBExecutor(con), rel, formula, levels, stored)


def lmer_duckdb(
    formula: str,
    source: str | Path | list[str] | None = None,
    *,
    table: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    REML: bool = True,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> MixedModelResult:
    """Fit ``y ~ fixed + (1 | g)`` with the data pass run by DuckDB.

    Parameters
    ----------
    formula
        lme4 formula with one random intercept of one grouping column and categorical (or
        few-valued numeric) fixed effects, e.g. ``"score ~ wave * arm + (1 | participant_id)"``.
    source
        Parquet or CSV file(s): a path, a glob (``"dir/*.parquet"``) or a list of paths.
    table
        Instead of *source*: a table or view on *connection* (a DuckDB database).
    connection
        DuckDB connection to use (default: a new in-memory one).
    REML
        REML (default, as lme4) or ML.
    levels
        Optional level order of factor columns, e.g. ``{"arm": ["usual care", "social
        prescribing"]}`` (the first is the reference level). Without it a text column's levels
        are sorted (R's ``factor()``), except that Parquet files written from a pandas
        Categorical keep its category order, as ``pandas.read_parquet`` and :func:`lmer` do.

    Returns
    -------
    MixedModelResult
        As :func:`linkwork.stats.lmer` returns for the same data (fixed effects, covariance,
        variance components, log-likelihood, Satterthwaite tests, anova, emmeans,
        contrasts). Conditional modes (``ranef``), ``fitted`` and ``residuals`` need
        per-participant data and are not available: fit in memory for them.

    Raises
    ------
    ModelError
        Out-of-scope formulas, unknown columns, a non-numeric response, infinite values, no
        complete rows, too many distinct fixed-effect rows, or a model lmer would refuse.

    Examples
    --------
    >>> import duckdb, numpy as np
    >>> con = duckdb.connect()
    >>> _ = con.execute(
    ...     "CREATE TABLE d AS SELECT i // 3 AS id, 'T' || (i % 3 + 1) AS wave, "
    ...     "hash(i) % 1000 / 100.0 + (i % 3) + (i // 3) % 7 AS y FROM range(300) t(i)")
    >>> fit = lmer_duckdb("y ~ wave + (1 | id)", table="d", connection=con)
    >>> list(fit.fixef.index), fit.nobs, fit.ngroups
    (['(Intercept)', 'waveT2', 'waveT3'], 300, {'id': 100})
    """
    if not isinstance(REML, bool | np.bool_):
        raise ModelError(f"REML must be True or False, got {REML!r}")
    design, stats = duckdb_statistics(
        formula, source, table=table, connection=connection, levels=levels
    )
    return fit_statistics(design, stats, bool(REML))
