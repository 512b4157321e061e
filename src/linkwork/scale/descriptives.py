"""Descriptive statistics per wave computed where the data live (DuckDB, PostgreSQL, Spark).

The same table as :func:`linkwork.stats.descriptives.describe_by_wave` (outcome, wave, n, mean,
sd, median, q1, q3) from one ``GROUP BY wave`` for all outcomes: ``n`` counts non-missing values
(NULL and NaN are missing), ``mean`` is the long sum (DuckDB's compensated ``fsum``) over
``n``, ``sd`` the n - 1 standard deviation (``stddev_samp``) and the quartiles the exact
linear interpolation between order statistics, R's default type 7, as pandas computes them
(DuckDB ``quantile_cont``, PostgreSQL ``percentile_cont``, Spark ``percentile``). Only one row
per outcome and wave comes back.

Validated against :func:`describe_by_wave` on the same data (tests/scale/test_descriptives.py,
DuckDB and PostgreSQL; tests/scale/test_spark_engine.py, Spark).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from linkwork.errors import ModelError
from linkwork.scale.engine import Executor, numeric_type
from linkwork.scale.source import Relation, ident, relation

__all__ = ["COLUMNS", "describe_duckdb", "describe_postgres", "describe_spark", "describe_sql"]

COLUMNS = ["outcome", "wave", "n", "mean", "sd", "median", "q1", "q3"]


def describe_duckdb(
    outcomes: Sequence[str],
    source: str | Path | list[str] | None = None,
    *,
    wave: str = "wave",
    table: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Summarise each outcome at each wave over the non-missing values, in DuckDB.

    Parameters
    ----------
    outcomes
        Numeric columns to summarise, in the order wanted in the table.
    source, table, connection
        As :func:`linkwork.scale.lmer_duckdb`: Parquet/CSV path(s) or glob, or a DuckDB table.
    wave
        Name of the wave column; waves are listed in sorted order (rows with a missing wave
        are left out, as in :func:`describe_by_wave`).

    Returns
    -------
    pandas.DataFrame
        Columns outcome, wave, n, mean, sd, median, q1, q3 at full precision; a wave with no
        observed value of an outcome has n = 0 and missing statistics.

    Raises
    ------
    ModelError
        Unknown or non-numeric columns, or a source DuckDB cannot read.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE d AS SELECT * FROM (VALUES ('T1', 1.0), ('T1', 3.0), "
    ...                 "('T2', 5.0)) t(wave, y)")
    >>> describe_duckdb(["y"], table="d", connection=con)[["wave", "n", "mean", "median"]]
      wave  n  mean  median
    0   T1  2   2.0     2.0
    1   T2  1   5.0     5.0
    """
    from linkwork.scale.duckdb_engine import DuckDBExecutor

    con = connection
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
    return describe_sql(DuckDBExecutor(con), relation(con, source, table), outcomes, wave)


def describe_postgres(
    outcomes: Sequence[str],
    url: str | None = None,
    table: str = "",
    *,
    wave: str = "wave",
    schema: str | None = None,
    connection: Any = None,
) -> pd.DataFrame:
    """:func:`describe_duckdb` computed by PostgreSQL on a table.

    The table, *url*, *schema* and *connection* are as :func:`linkwork.scale.lmer_postgres`;
    the result and errors as :func:`describe_duckdb`.
    """
    from linkwork.scale.postgres_engine import _connect, postgres_relation

    if not table:
        raise ModelError("no table: give the name of the PostgreSQL table to read")
    with _connect(url, connection) as ex:
        return describe_sql(ex, postgres_relation(ex, table, schema), outcomes, wave)


def describe_spark(
    outcomes: Sequence[str],
    source: Any = None,
    *,
    table: str | None = None,
    spark: Any = None,
    wave: str = "wave",
) -> pd.DataFrame:
    """:func:`describe_duckdb` computed by Spark (``percentile``: exact, type 7).

    *source* (files or a pyspark DataFrame), *table* and *spark* are as
    :func:`linkwork.scale.lmer_spark`; the result and errors as :func:`describe_duckdb`.
    Spark's ``sum`` is not compensated (its rounding error on a mean is of order 1e-16 x the
    number of rows relative).
    """
    from linkwork.scale.spark_engine import SparkExecutor, _session, spark_source

    session = _session(spark, source)
    with spark_source(session, source, table) as rel:
        return describe_sql(SparkExecutor(session), rel, outcomes, wave)


def describe_sql(
    ex: Executor,
    rel: Relation,
    outcomes: Sequence[str],
    wave: str = "wave",
    waves: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The descriptives of *outcomes* on relation *rel*, all outcomes in one scan.

    *waves* lists the waves to report, in order (default: those present, sorted by the engine);
    a listed wave without values of an outcome gets n = 0 and missing statistics.
    """
    d = ex.dialect
    unknown = [c for c in [wave, *outcomes] if c not in rel.types]
    if unknown:
        raise ModelError(f"columns not in {rel.description}: {unknown}")
    parts = []
    for k, outcome in enumerate(outcomes):
        if not numeric_type(rel.types[outcome]):
            raise ModelError(
                f"{rel.description}, column {outcome!r}: expected numbers, got {rel.types[outcome]}"
            )
        v = d.to_double(ident(outcome))
        x = f"(CASE WHEN {v} IS NOT NULL AND NOT {d.is_nan(v)} THEN {v} END)"
        parts += [
            f"count({x}) AS n{k}",
            f"{d.fsum(x)} / count({x}) AS mean{k}",
            f"stddev_samp({x}) AS sd{k}",
            f"{d.quantile(x, 0.5)} AS median{k}",
            f"{d.quantile(x, 0.25)} AS q1{k}",
            f"{d.quantile(x, 0.75)} AS q3{k}",
        ]
    w = ident(wave)
    got = ex.query(
        f"SELECT {w} AS wave{''.join(', ' + c for c in parts)} FROM {rel.sql} "
        f"WHERE {w} IS NOT NULL GROUP BY 1 ORDER BY 1",
        rel.description,
    )
    found = {str(r["wave"]): r for r in got.to_dict("records")}
    listed = [str(x) for x in waves] if waves is not None else list(found)
    rows = []
    for k, outcome in enumerate(outcomes):
        for level in listed:
            r = found.get(level, {})
            n = int(r.get(f"n{k}") or 0)
            stats = ("mean", "sd", "median", "q1", "q3")
            rows.append(
                {"outcome": outcome, "wave": level, "n": n}
                | {c: r.get(f"{c}{k}") if n else None for c in stats}
            )
    out = pd.DataFrame(rows, columns=COLUMNS).astype({"n": np.int64})
    for column in ("mean", "sd", "median", "q1", "q3"):
        out[column] = pd.to_numeric(out[column]).astype(np.float64)
    return out
