"""``lmer_postgres``: the mixed-model data pass run by PostgreSQL on a table where it lives.

The same two scans as :func:`linkwork.scale.lmer_duckdb` (generated once by
:mod:`linkwork.scale.engine`, spelled for PostgreSQL by :data:`linkwork.scale.dialect.POSTGRES`)
run through psycopg 3 on a table of the programme app's database or a warehouse; only small
aggregates come back. psycopg is the optional ``linkwork[web]`` dependency.

Validated against :func:`linkwork.stats.lmer` on the same data to 1e-8 relative, on a
throwaway PostgreSQL server: tests/scale/test_postgres_engine.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from linkwork.errors import ModelError
from linkwork.scale.dialect import POSTGRES, Dialect
from linkwork.scale.engine import sql_statistics
from linkwork.scale.source import Relation, ident
from linkwork.stats.design import Design
from linkwork.stats.prefit import fit_statistics
from linkwork.stats.result import MixedModelResult
from linkwork.stats.suffstats import SufficientStats

__all__ = ["PostgresExecutor", "lmer_postgres", "postgres_relation", "postgres_statistics"]


class PostgresExecutor:
    """Runs the generated SQL on a psycopg 3 connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @property
    def dialect(self) -> Dialect:
        """PostgreSQL's spellings."""
        return POSTGRES

    def query(self, sql: str, where: str) -> pd.DataFrame:
        """The result of *sql*; ModelError naming *where* when PostgreSQL refuses it."""
        import psycopg

        try:
            # a transaction (or a savepoint inside the caller's): nothing is left open
            with self.connection.transaction(), self.connection.cursor() as cur:
                cur.execute(sql)
                names = [c.name for c in cur.description]
                rows = cur.fetchall()
        except psycopg.Error as exc:
            raise ModelError(f"{where}: the SQL pass failed: {exc}") from exc
        return pd.DataFrame.from_records(rows, columns=names, coerce_float=True)

    def execute(self, sql: str, where: str) -> None:
        """Run a statement without a result (DDL); ModelError naming *where* on failure."""
        self._statements([sql], where)

    def materialize(self, name: str, select_sql: str, where: str) -> None:
        """A temporary table *name* holding *select_sql*'s rows, analysed for the planner.

        An existing temporary table of that name is dropped first (``pg_temp.name``: never a
        permanent table); the table lives until the connection closes.
        """
        table = ident(name)
        self._statements(
            [
                f"DROP TABLE IF EXISTS pg_temp.{table}",
                f"CREATE TEMP TABLE {table} AS {select_sql}",
                f"ANALYZE pg_temp.{table}",
            ],
            where,
        )

    def release(self, name: str, kind: str, where: str) -> None:
        """Drop a temporary view (*kind* ``"view"``) or a table made by :meth:`materialize`."""
        what = "TABLE" if kind == "table" else "VIEW"
        self._statements([f"DROP {what} IF EXISTS pg_temp.{ident(name)}"], where)

    def _statements(self, statements: list[str], where: str) -> None:
        import psycopg

        try:
            # one transaction (or savepoint): all statements or none
            with self.connection.transaction(), self.connection.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
        except psycopg.Error as exc:
            raise ModelError(f"{where}: the SQL statement failed: {exc}") from exc


def postgres_relation(ex: PostgresExecutor, table: str, schema: str | None = None) -> Relation:
    """The table *table* (in *schema*, default: the search path) with its column types.

    Raises
    ------
    ModelError
        When the table does not exist or has no columns.
    """
    name = ident(table) if schema is None else f"{ident(schema)}.{ident(table)}"
    description = f"PostgreSQL table {name}"
    quoted = name.replace("'", "''")
    types = ex.query(
        "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute "
        f"WHERE attrelid = to_regclass('{quoted}') AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        description,
    )
    if types.empty:
        raise ModelError(f"{description}: no such table (or it has no columns)")
    return Relation(name, description, dict(zip(types["attname"], types["type"], strict=True)))


@contextmanager
def _connect(url: str | None, connection: Any) -> Iterator[PostgresExecutor]:
    if (url is None) == (connection is None):
        raise ModelError("give exactly one of a database URL or connection=")
    if connection is not None:
        yield PostgresExecutor(connection)
        return
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ModelError("the PostgreSQL engine needs psycopg: install linkwork[web]") from exc
    try:
        con = psycopg.connect(str(url))
    except psycopg.Error as exc:
        raise ModelError(f"cannot connect to the database {url!r}: {exc}") from exc
    try:
        yield PostgresExecutor(con)
    finally:
        con.close()


def postgres_statistics(
    formula: str,
    url: str | None = None,
    table: str = "",
    *,
    schema: str | None = None,
    connection: Any = None,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Design, SufficientStats]:
    """The design of the distinct rows and the sufficient statistics, computed by PostgreSQL.

    Parameters and errors as :func:`lmer_postgres`.
    """
    if not table:
        raise ModelError("no table: give the name of the PostgreSQL table to read")
    with _connect(url, connection) as ex:
        rel = postgres_relation(ex, table, schema)
        return sql_statistics(ex, rel, formula, levels)


def lmer_postgres(
    formula: str,
    url: str | None = None,
    table: str = "",
    *,
    schema: str | None = None,
    connection: Any = None,
    REML: bool = True,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> MixedModelResult:
    """Fit ``y ~ fixed + (1 | g)`` with the data pass run by PostgreSQL.

    Parameters
    ----------
    formula
        As :func:`linkwork.scale.lmer_duckdb`: one random intercept of one grouping column and
        categorical (or few-valued numeric) fixed effects.
    url
        libpq connection URL, e.g. ``"postgresql://user@host:5432/programme"``.
    table
        The table (or view) holding one row per participant and wave.
    schema
        Schema of *table* (default: PostgreSQL's search path).
    connection
        Instead of *url*: an open psycopg 3 connection (left open).
    REML
        REML (default, as lme4) or ML.
    levels
        Optional level order of factor columns (the first is the reference level); without
        it a text column's levels are sorted, as R's ``factor()``.

    Returns
    -------
    MixedModelResult
        As :func:`linkwork.stats.lmer` returns for the same data, without the per-participant
        parts (``ranef``, ``fitted``, ``residuals``).

    Raises
    ------
    ModelError
        No table, a connection failure, out-of-scope formulas, unknown columns, a non-numeric
        response, infinite values, too many distinct fixed-effect rows, or a model lmer would
        refuse.
    """
    if not isinstance(REML, bool | np.bool_):
        raise ModelError(f"REML must be True or False, got {REML!r}")
    design, stats = postgres_statistics(
        formula, url, table, schema=schema, connection=connection, levels=levels
    )
    return fit_statistics(design, stats, bool(REML))
