"""Instrument scoring as SQL generated from the instrument specs, run where the item data live.

:func:`score_expressions` turns an :class:`~linkwork.instruments.InstrumentSpec` into one SQL
expression per score, with the rules of :func:`linkwork.instruments.score`:

* reverse keying ``min + max - x`` of the reverse-keyed items;
* ``sum`` / ``mean`` / ``lookup`` scoring with the missing-item rule: a score is missing unless
  at most ``max_missing`` items are missing (the official rule, e.g. the K6's one item, or
  strict "any missing item makes the score missing"); a prorated sum is ``total * n /
  answered``; ``lookup`` interpolates the raw-to-metric table linearly (as ``numpy.interp``);
* ``identity`` / ``count`` (the one item) and ``separate`` (one score per item);
* a declared linear ``transform`` (e.g. ULS-8 0-100) and an alternative ``coding``.

Item columns are read as double precision; NULL and NaN are missing. Responses outside the
allowed values are refused before scoring (:func:`check_responses`, one scan), as the Python
scorer refuses them (:class:`~linkwork.errors.InvalidResponse` naming the column and value).
Arithmetic is done in the same order as the Python scorer, so integer responses give
bit-identical scores.

:func:`score_duckdb`, :func:`score_postgres` and :func:`score_spark` run the generated
``SELECT`` and return the scores; :func:`score_select_sql` gives the query itself for
``CREATE TABLE ... AS`` or DuckDB's ``COPY (...) TO 'scores.parquet'``.

Validated for equality with :func:`linkwork.instruments.score` on the demo cohort and on
simulated item data with missing items (tests/scale/test_scoring_sql.py), in DuckDB and
PostgreSQL, and in Spark (tests/scale/test_spark_engine.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from linkwork.errors import DataFormatError, InvalidResponse, PlanError
from linkwork.instruments.responses import item_columns
from linkwork.instruments.scoring import resolve
from linkwork.instruments.spec import InstrumentSpec
from linkwork.scale.dialect import DUCKDB, Dialect
from linkwork.scale.engine import Executor, numeric_type
from linkwork.scale.source import Relation, ident, relation

__all__ = [
    "check_responses",
    "score_duckdb",
    "score_expressions",
    "score_postgres",
    "score_select_sql",
    "score_spark",
]


def _spec(instrument: str | InstrumentSpec, coding: str | None) -> InstrumentSpec:
    return resolve(instrument, coding=coding)


def _max_missing(spec: InstrumentSpec, max_missing: int | None) -> int:
    if max_missing is None:
        return spec.missing.max_missing
    if isinstance(max_missing, bool) or not isinstance(max_missing, int):
        raise PlanError("max_missing must be an integer", value=max_missing)
    if not 0 <= max_missing < spec.n_items:
        raise PlanError(
            f"impossible max_missing for {spec.name} ({spec.n_items} items; at least one "
            "must be answered)",
            value=max_missing,
            expected=f"an integer from 0 to {spec.n_items - 1}",
        )
    return max_missing


def _num(d: Dialect, value: float) -> str:
    return d.double_literal(float(value))


def _keyed(d: Dialect, spec: InstrumentSpec, column: str, reverse: bool) -> str:
    """The keyed response of one item, NULL when missing (NULL or NaN)."""
    x = d.to_double(ident(column))
    value = f"{_num(d, spec.response.min + spec.response.max)} - {x}" if reverse else x
    return f"(CASE WHEN {x} IS NULL OR {d.is_nan(x)} THEN NULL ELSE {value} END)"


def _interp(d: Dialect, v: str, table: tuple[tuple[float, float], ...]) -> str:
    """``numpy.interp(v, raws, scores)`` as a CASE: clamped ends, linear in between."""
    raws = [float(r) for r, _ in table]
    scores = [float(s) for _, s in table]
    parts = [
        f"WHEN {v} IS NULL THEN NULL",
        f"WHEN {v} < {_num(d, raws[0])} THEN {_num(d, scores[0])}",
    ]
    parts.append(f"WHEN {v} >= {_num(d, raws[-1])} THEN {_num(d, scores[-1])}")
    for j in range(len(raws) - 1):
        slope = (scores[j + 1] - scores[j]) / (raws[j + 1] - raws[j])
        parts.append(
            f"WHEN {v} < {_num(d, raws[j + 1])} THEN "
            f"{_num(d, slope)} * ({v} - {_num(d, raws[j])}) + {_num(d, scores[j])}"
        )
    return f"(CASE {' '.join(parts)} END)"


def score_expressions(
    instrument: str | InstrumentSpec,
    dialect: Dialect = DUCKDB,
    *,
    columns: Mapping[str, str] | None = None,
    max_missing: int | None = None,
    coding: str | None = None,
    transform: str | None = None,
) -> dict[str, str]:
    """SQL expressions of *instrument*'s score(s), keyed by score name.

    Parameters are those of :func:`linkwork.instruments.score`; *dialect* is
    :data:`~linkwork.scale.dialect.DUCKDB`, :data:`~linkwork.scale.dialect.POSTGRES` or
    :data:`~linkwork.scale.dialect.SPARK`.

    Examples
    --------
    >>> import duckdb
    >>> sql = score_expressions("k6")["k6"]
    >>> duckdb.sql(f"SELECT {sql} AS k6 FROM (VALUES (2, 3, 1, 0, 4, NULL)) "
    ...            "t(k6_1, k6_2, k6_3, k6_4, k6_5, k6_6)").fetchall()  # 10 * 6 / 5
    [(12.0,)]
    """
    spec = _spec(instrument, coding)
    k = _max_missing(spec, max_missing)
    chosen = spec.transform(transform) if transform is not None else None
    names = item_columns(spec, columns)
    keyed = [_keyed(dialect, spec, c, i.reverse) for c, i in zip(names, spec.items, strict=True)]
    if spec.scoring == "separate":
        return dict(zip(spec.score_names, keyed, strict=True))
    if spec.scoring in ("identity", "count"):
        value = keyed[0]
    else:
        n = spec.n_items
        answered = "(" + " + ".join(f"(CASE WHEN {x} IS NULL THEN 0 ELSE 1 END)" for x in keyed)
        answered += ")"
        total = "(" + " + ".join(f"coalesce({x}, {_num(dialect, 0.0)})" for x in keyed) + ")"
        ans = dialect.to_double(answered)
        if spec.scoring == "mean":
            raw = f"{total} / {ans}"
        else:
            raw = (
                f"(CASE WHEN {answered} = {n} THEN {total} "
                f"ELSE {total} * {_num(dialect, n)} / {ans} END)"
            )
        value = f"(CASE WHEN {n} - {answered} <= {k} AND {answered} > 0 THEN {raw} END)"
        if spec.scoring == "lookup":
            value = _interp(dialect, value, spec.lookup)
    if chosen is not None:
        low, high = spec.score_range
        value = (
            f"(({value} - {_num(dialect, low)}) / {_num(dialect, high - low)} * "
            f"{_num(dialect, chosen.high - chosen.low)} + {_num(dialect, chosen.low)})"
        )
    return {spec.name: value}


def score_select_sql(
    instruments: Sequence[str | InstrumentSpec],
    from_sql: str,
    dialect: Dialect = DUCKDB,
    *,
    keep: Sequence[str] = (),
    max_missing: Mapping[str, int] | None = None,
) -> str:
    """``SELECT <keep columns>, <scores> FROM <from_sql>`` for several instruments."""
    select = [ident(c) for c in keep]
    for instrument in instruments:
        name = instrument if isinstance(instrument, str) else instrument.name
        k = (max_missing or {}).get(name)
        for score, sql in score_expressions(instrument, dialect, max_missing=k).items():
            select.append(f"{sql} AS {ident(score)}")
    return f"SELECT {', '.join(select)} FROM {from_sql}"


def check_responses(
    ex: Executor, rel: Relation, instruments: Sequence[str | InstrumentSpec]
) -> None:
    """Refuse item values outside the allowed responses, in one scan.

    Raises
    ------
    DataFormatError
        Item columns absent or not numeric.
    InvalidResponse
        The first invalid value of the first column that has one (and how many more).
    """
    d = ex.dialect
    checks: list[tuple[InstrumentSpec, str, str]] = []
    for instrument in instruments:
        spec = _spec(instrument, None)
        names = item_columns(spec)
        absent = [c for c in names if c not in rel.types]
        if absent:
            raise DataFormatError(
                f"{rel.description}: {spec.name} item columns missing: "
                f"{', '.join(map(repr, absent))}",
                expected=f"columns {', '.join(names)}",
            )
        for c in names:
            if not numeric_type(rel.types[c]):
                raise DataFormatError(
                    f"{rel.description}: {spec.name} item column is not numeric",
                    column=c,
                    value=rel.types[c],
                    expected="a numeric column (NULL = missing)",
                )
            x = d.to_double(ident(c))
            r = spec.response
            bad = [f"{d.is_inf(x)}"]
            bad.append(f"{x} < {_num(d, r.min)}")
            if r.bounded:
                bad.append(f"{x} > {_num(d, r.max)}")
            if r.integer:
                bad.append(f"{x} <> floor({x})")
            checks.append(
                (spec, c, f"{x} IS NOT NULL AND NOT {d.is_nan(x)} AND ({' OR '.join(bad)})")
            )
    if not checks:
        return
    counts = ex.query(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {w}) AS n{i}" for i, (_, _, w) in enumerate(checks))
        + f" FROM {rel.sql}",
        rel.description,
    )
    for i, (spec, column, where) in enumerate(checks):
        n_bad = int(counts[f"n{i}"].iloc[0])
        if n_bad:
            first = ex.query(
                f"SELECT {ident(column)} AS v FROM {rel.sql} WHERE {where} LIMIT 1",
                rel.description,
            )
            labels = spec.response.describe_labels()
            raise InvalidResponse(
                f"{rel.description}: invalid {spec.name} response"
                + (f" ({n_bad - 1} more invalid in this column)" if n_bad > 1 else ""),
                column=column,
                value=_plain(first["v"].iloc[0]),
                expected=f"{spec.response.describe()}{f' ({labels})' if labels else ''} or missing",
            )


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def score_duckdb(
    instruments: Sequence[str | InstrumentSpec],
    source: str | Path | list[str] | None = None,
    *,
    table: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    keep: Sequence[str] = (),
    max_missing: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Score *instruments* from item-level data in DuckDB (Parquet/CSV files or a table).

    Parameters
    ----------
    instruments
        Registry names or specs; item columns are ``<name>_1`` ...
    source, table, connection
        As :func:`linkwork.scale.lmer_duckdb`.
    keep
        Columns to carry into the result (e.g. ``participant_id``, ``wave``), in order.
    max_missing
        Per-instrument override of the missing-item rule, as :func:`linkwork.instruments.score`.

    Returns
    -------
    pandas.DataFrame
        The *keep* columns and one float column per score (NaN = missing), one row per input
        row in the source's order.

    Raises
    ------
    DataFormatError, InvalidResponse, PlanError
        As :func:`linkwork.instruments.score`.
    """
    from linkwork.scale.duckdb_engine import DuckDBExecutor

    con = connection
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
    rel = relation(con, source, table)
    ex = DuckDBExecutor(con)
    return _run(ex, rel, instruments, keep, max_missing)


def score_postgres(
    instruments: Sequence[str | InstrumentSpec],
    url: str | None = None,
    table: str = "",
    *,
    schema: str | None = None,
    connection: Any = None,
    keep: Sequence[str] = (),
    max_missing: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Score *instruments* from item-level data in a PostgreSQL table.

    Parameters as :func:`score_duckdb`, the table as :func:`linkwork.scale.lmer_postgres`.
    Rows come back in the order of the *keep* columns (PostgreSQL tables have no row order).
    """
    from linkwork.errors import ModelError
    from linkwork.scale.postgres_engine import _connect, postgres_relation

    if not table:
        raise ModelError("no table: give the name of the PostgreSQL table to read")
    with _connect(url, connection) as ex:
        rel = postgres_relation(ex, table, schema)
        return _run(ex, rel, instruments, keep, max_missing, order=True)


def score_spark(
    instruments: Sequence[str | InstrumentSpec],
    source: Any = None,
    *,
    table: str | None = None,
    spark: Any = None,
    keep: Sequence[str] = (),
    max_missing: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Score *instruments* from item-level data with Spark.

    Parameters as :func:`score_duckdb`; *source* (files or a pyspark DataFrame), *table* and
    *spark* as :func:`linkwork.scale.lmer_spark`. Rows come back in the order of the *keep*
    columns (Spark has no row order). The scores are collected to the driver: for a national
    table, run :func:`score_select_sql` with :data:`~linkwork.scale.dialect.SPARK` in Spark
    instead (e.g. ``CREATE TABLE scores AS ...``).
    """
    from linkwork.scale.spark_engine import SparkExecutor, _session, spark_source

    session = _session(spark, source)
    with spark_source(session, source, table) as rel:
        return _run(SparkExecutor(session), rel, instruments, keep, max_missing, order=True)


def _run(
    ex: Executor,
    rel: Relation,
    instruments: Sequence[str | InstrumentSpec],
    keep: Sequence[str],
    max_missing: Mapping[str, int] | None,
    order: bool = False,
) -> pd.DataFrame:
    unknown = [c for c in keep if c not in rel.types]
    if unknown:
        raise DataFormatError(f"{rel.description}: columns to keep not found: {unknown}")
    check_responses(ex, rel, instruments)
    sql = score_select_sql(instruments, rel.sql, ex.dialect, keep=keep, max_missing=max_missing)
    if order and keep:
        sql += " ORDER BY " + ", ".join(str(i) for i in range(1, len(keep) + 1))
    out = ex.query(sql, rel.description)
    for column in out.columns[len(keep) :]:
        out[column] = pd.to_numeric(out[column]).astype("float64")
    return out
