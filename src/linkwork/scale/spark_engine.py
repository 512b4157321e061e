"""``lmer_spark``: the mixed-model data pass run by Apache Spark, on a laptop or a cluster.

The same two scans as :func:`linkwork.scale.lmer_duckdb` (generated once by
:mod:`linkwork.scale.engine`, spelled for Spark by :data:`linkwork.scale.dialect.SPARK`) run as
Spark SQL on Parquet/CSV files, a table or view of the session's catalog, or a pyspark
DataFrame; only small aggregates are collected to the driver. Only SQL text is sent to Spark:
no Python function runs on the executors, so linkwork is needed on the driver alone.

pyspark is the optional ``linkwork[spark]`` dependency and is imported only when a Spark
function is called: ``import linkwork.scale`` works without it.

The shared SQL quotes identifiers with double quotes; :class:`SparkExecutor` therefore runs
each statement with :data:`SQL_CONFS` (``spark.sql.ansi.enabled`` and
``spark.sql.ansi.doubleQuotedIdentifiers``) set on the session and puts the previous values
back afterwards, so a caller's session keeps its own settings.

Validated against :func:`linkwork.stats.lmer` on the same data (itself validated against
lme4/lmerTest/emmeans) to 1e-8 relative, in local mode: tests/scale/test_spark_engine.py.
"""

from __future__ import annotations

import glob as globbing
import logging
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from linkwork.errors import ModelError
from linkwork.scale.dialect import SPARK, Dialect
from linkwork.scale.engine import check_formula, sql_statistics
from linkwork.scale.source import Relation, _kind, ident, parquet_categories
from linkwork.stats.design import Design
from linkwork.stats.formula import parse_formula
from linkwork.stats.prefit import fit_statistics
from linkwork.stats.result import MixedModelResult
from linkwork.stats.suffstats import SufficientStats

if TYPE_CHECKING:  # pragma: no cover - imports for annotations only
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "SQL_CONFS",
    "SparkExecutor",
    "lmer_spark",
    "spark_relation",
    "spark_session",
    "spark_statistics",
]

#: Session settings the shared SQL needs: ANSI SQL, and ``"name"`` read as an identifier.
SQL_CONFS = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.ansi.doubleQuotedIdentifiers": "true",
    # pandas writes datetimes as TIMESTAMP(NANOS), which Spark refuses unless read as numbers
    # (linkwork never analyses them; the date column of a long data file is only carried)
    "spark.sql.legacy.parquet.nanosAsLong": "true",
}

#: pyspark logs every failed SQL statement (with its whole text) through this logger; the
#: executor turns the failure into a ModelError carrying the message, so it is quiet meanwhile.
_QUERY_LOGGER = "SQLQueryContextLogger"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SparkExecutor:
    """Runs the generated SQL on a SparkSession and collects the (small) results.

    Each call sets :data:`SQL_CONFS` on the session (runtime SQL settings) and restores the
    previous values when it returns; results come back through Arrow as plain float64,
    int64, bool or object columns (decimals as float64; an integer or boolean column with
    NULLs as float64 / object), as the shared assembly code expects.
    """

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    @property
    def dialect(self) -> Dialect:
        """Spark SQL's spellings."""
        return SPARK

    @contextmanager
    def _running(self, where: str, what: str) -> Iterator[None]:
        logger = _query_logger()
        disabled = logger.disabled if logger is not None else False
        if logger is not None:
            logger.disabled = True
        try:
            with _settings(self.spark, SQL_CONFS):
                yield
        except _spark_errors() as exc:
            raise ModelError(f"{where}: {what}: {_first_line(exc)}") from exc
        finally:
            if logger is not None:
                logger.disabled = disabled

    def query(self, sql: str, where: str) -> pd.DataFrame:
        """The result of *sql* as a DataFrame; ModelError naming *where* when Spark refuses it."""
        with self._running(where, "the SQL pass failed"):
            table = self.spark.sql(sql).toArrow()
        return arrow_to_pandas(table)

    def execute(self, sql: str, where: str) -> None:
        """Run a statement without a result (DDL); ModelError naming *where* on failure."""
        with self._running(where, "the SQL statement failed"):
            self.spark.sql(sql).collect()

    def materialize(self, name: str, select_sql: str, where: str) -> None:
        """A temporary view *name* of *select_sql*'s rows, cached now (``CACHE TABLE ... AS``).

        A temporary view of that name is dropped (and uncached) first; the cache lives in the
        executors' memory (spilling to disk) until the view is dropped or the session ends.
        """
        with self._running(where, "the SQL statement failed"):
            self.spark.catalog.dropTempView(name)
            self.spark.sql(f"CACHE TABLE {ident(name)} AS {select_sql}").collect()

    def release(self, name: str, kind: str, where: str) -> None:
        """Drop a temporary view, uncaching one made by :meth:`materialize` (``"table"``)."""
        with self._running(where, "the SQL statement failed"):
            if kind == "table":
                self.spark.sql(f"UNCACHE TABLE IF EXISTS {ident(name)}").collect()
            self.spark.catalog.dropTempView(name)


@contextmanager
def _settings(spark: SparkSession, settings: Mapping[str, str]) -> Iterator[None]:
    """Runtime SQL *settings* on *spark* for the block, the previous values put back after."""
    conf = spark.conf
    before = {key: conf.get(key, None) for key in settings}
    for key, value in settings.items():
        conf.set(key, value)
    try:
        yield
    finally:
        for key, previous in before.items():
            if previous is None:
                conf.unset(key)
            else:
                conf.set(key, previous)


def _spark_errors() -> tuple[type[BaseException], ...]:
    """pyspark's errors, and py4j's (a JVM error pyspark did not convert) when py4j is there."""
    from pyspark.errors import PySparkException

    try:
        from py4j.protocol import Py4JError
    except ImportError:  # pragma: no cover - Spark Connect clients come without py4j
        return (PySparkException,)
    return (PySparkException, Py4JError)


def _query_logger() -> logging.Logger | None:
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pragma: no cover - pyspark < 4 has no such logger
        return None
    return PySparkLogger.getLogger(_QUERY_LOGGER)


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Plain pandas columns from an Arrow table: float64, int64, bool or object.

    Decimals and floats become float64 (NULL -> NaN); integers int64, or float64 with NaN
    when there are NULLs (as pandas reads them); booleans bool, or object with None; text
    and anything else object (None for NULL) - never Arrow-backed or ``Decimal`` values.
    """
    import pyarrow as pa

    out: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            out[name] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        elif pa.types.is_integer(kind):
            if column.null_count:
                out[name] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
            else:
                out[name] = column.to_numpy(zero_copy_only=False).astype(np.int64)
        elif pa.types.is_boolean(kind) and not column.null_count:
            out[name] = column.to_numpy(zero_copy_only=False).astype(bool)
        else:
            out[name] = np.array(column.to_pylist(), dtype=object)
    index = pd.RangeIndex(table.num_rows)
    # explicit dtypes: pandas 3 would otherwise infer its string dtype for text
    return pd.DataFrame(
        {name: pd.Series(values, index=index, dtype=values.dtype) for name, values in out.items()},
        index=index,
        columns=table.column_names,
    )


def spark_session(
    master: str = "local[2]",
    *,
    app_name: str = "linkwork",
    log_level: str = "WARN",
    config: Mapping[str, str] | None = None,
) -> SparkSession:
    """A SparkSession configured as the engine's SQL needs.

    Parameters
    ----------
    master
        Spark master URL: ``"local[2]"`` (default: two cores of this machine),
        ``"spark://host:7077"``, ``"yarn"``, ``"k8s://https://host:443"``...
    app_name
        Application name shown by the cluster manager.
    log_level
        Spark's log level (``"WARN"``, ``"ERROR"``...).
    config
        More settings, e.g. ``{"spark.driver.memory": "4g"}`` (applied before the JVM starts
        only if no session exists yet).

    Returns
    -------
    SparkSession
        The active session if there is one (its SQL settings updated), else a new one with
        :data:`SQL_CONFS` set and the web UI off.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ModelError("the Spark engine needs pyspark: install linkwork[spark]") from exc
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        **SQL_CONFS,
        **(config or {}),
    }.items():
        builder = builder.config(key, value)
    spark = _get_or_create(builder)
    spark.sparkContext.setLogLevel(log_level)
    return spark


def _get_or_create(builder: Any) -> SparkSession:
    # Starting a context imports pyspark.testing, which warns that pandas 3 is not fully
    # supported by pyspark's pandas conversions; the engine does not use them (results come
    # through Arrow, :func:`arrow_to_pandas`), so that warning is not shown.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        return cast("SparkSession", builder.getOrCreate())


def _session(spark: SparkSession | None, source: Any = None) -> SparkSession:
    """*spark*, else the session of a DataFrame *source*, else the active (or a new) one."""
    if spark is not None:
        return spark
    session = getattr(source, "sparkSession", None)
    if session is not None and not isinstance(source, str | Path | list):
        return cast("SparkSession", session)
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ModelError("the Spark engine needs pyspark: install linkwork[spark]") from exc
    return _get_or_create(SparkSession.builder)


def _local_files(paths: list[str]) -> tuple[str, ...]:
    """The local files a list of paths/globs matches (for their pandas metadata)."""
    local = [p.removeprefix("file://") for p in paths if "://" not in p.removeprefix("file://")]
    return tuple(sorted(f for p in local for f in globbing.glob(p)))


def spark_relation(
    spark: SparkSession,
    source: str | Path | list[str] | DataFrame | None = None,
    table: str | None = None,
) -> Relation:
    """Register *source* / *table* as a temporary view and describe it.

    Parameters
    ----------
    spark
        The session.
    source
        Parquet or CSV file(s): a path, glob or list (local or any file system Spark reads,
        e.g. ``hdfs://``, ``s3a://``); CSV files have a header row and their column types are
        inferred. Or a pyspark DataFrame.
    table
        Instead of *source*: a table or view of the session's catalog (``"db.scores"``).

    Returns
    -------
    Relation
        ``sql`` names a new temporary view (``"_lw_src_<hex>"``; drop it with
        ``spark.catalog.dropTempView`` when done), with Spark's column types
        (``double``, ``bigint``, ``string``...) and, for local Parquet files, the files
        (for the pandas category orders stored in them).

    Raises
    ------
    ModelError
        No or ambiguous source, an unknown file type, an unknown table, or files Spark
        cannot read.
    """
    from pyspark.errors import PySparkException
    from pyspark.sql import DataFrame

    files: tuple[str, ...] = ()
    if isinstance(source, DataFrame) or table is not None:
        if isinstance(source, DataFrame) == (table is not None):
            raise ModelError(
                f"give either a source (files or a DataFrame) or table=, not both: table={table!r}"
            )
        if isinstance(source, DataFrame):
            frame, description = source, "Spark DataFrame"
        else:
            description = f"Spark table {table!r}"
            try:
                frame = spark.table(str(table))
            except PySparkException as exc:
                raise ModelError(
                    f"{description}: no such table or view in the session's catalog: "
                    f"{_first_line(exc)}"
                ) from exc
    else:
        if source is None:
            raise ModelError("no data source: give a Parquet/CSV path or glob, or table=")
        paths = [str(s) for s in source] if isinstance(source, list) else [str(source)]
        if not paths:
            raise ModelError("no data source: the list of files is empty")
        kinds = {_kind(p) for p in paths}
        if len(kinds) != 1:
            raise ModelError(f"source {paths!r}: mix of file types; use one of .parquet or .csv")
        kind = kinds.pop()
        description = f"{'Parquet' if kind == 'parquet' else 'CSV'} {paths!r}"
        try:
            if kind == "parquet":
                with _settings(spark, SQL_CONFS):  # read as the executor's statements will
                    frame = spark.read.parquet(*paths)
                files = _local_files(paths)
            else:
                frame = spark.read.csv(paths, header=True, inferSchema=True)
        except PySparkException as exc:
            raise ModelError(f"{description}: cannot be read by Spark: {_first_line(exc)}") from exc
    view = f"_lw_src_{uuid.uuid4().hex}"
    frame.createOrReplaceTempView(view)
    return Relation(ident(view), description, dict(frame.dtypes), files)


@contextmanager
def spark_source(
    spark: SparkSession, source: str | Path | list[str] | DataFrame | None, table: str | None
) -> Iterator[Relation]:
    """:func:`spark_relation` whose temporary view is dropped on leaving the block."""
    rel = spark_relation(spark, source, table)
    try:
        yield rel
    finally:
        spark.catalog.dropTempView(rel.sql.strip('"'))


def spark_statistics(
    formula: str,
    source: str | Path | list[str] | DataFrame | None = None,
    *,
    table: str | None = None,
    spark: SparkSession | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Design, SufficientStats]:
    """The design of the distinct rows and the sufficient statistics, computed by Spark.

    Parameters and errors as :func:`lmer_spark`. The statistics have no per-group arrays:
    only aggregates leave Spark.
    """
    parsed = parse_formula(formula)
    _, fixed = check_formula(parsed)
    session = _session(spark, source)
    with spark_source(session, source, table) as rel:
        stored = parquet_categories(rel, [v for v in fixed if v not in (levels or {})])
        return sql_statistics(SparkExecutor(session), rel, formula, levels, stored)


def lmer_spark(
    formula: str,
    source: str | Path | list[str] | DataFrame | None = None,
    *,
    table: str | None = None,
    spark: SparkSession | None = None,
    REML: bool = True,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> MixedModelResult:
    """Fit ``y ~ fixed + (1 | g)`` with the data pass run by Spark.

    Parameters
    ----------
    formula
        As :func:`linkwork.scale.lmer_duckdb`: one random intercept of one grouping column and
        categorical (or few-valued numeric) fixed effects.
    source
        Parquet or CSV file(s) (a path, glob or list, on any file system Spark reads), or a
        pyspark DataFrame.
    table
        Instead of *source*: a table or view of the session's catalog.
    spark
        The SparkSession (default: a DataFrame *source*'s own session, else
        ``SparkSession.builder.getOrCreate()``, i.e. the session spark-submit or
        ``spark.master`` configured, else local mode). See :func:`spark_session`.
    REML
        REML (default, as lme4) or ML.
    levels
        Optional level order of factor columns (the first is the reference level); without
        it a text column's levels are sorted (R's ``factor()``), except that local Parquet
        files written from a pandas Categorical keep its category order, as
        :func:`lmer_duckdb` does.

    Returns
    -------
    MixedModelResult
        As :func:`linkwork.stats.lmer` returns for the same data, without the per-participant
        parts (``ranef``, ``fitted``, ``residuals``).

    Raises
    ------
    ModelError
        Out-of-scope formulas (random slopes...), unknown columns or tables, a non-numeric
        response, infinite values, too many distinct fixed-effect rows, or a model lmer would
        refuse.

    Examples
    --------
    Not run here (it needs pyspark and Java)::

        from linkwork.scale import lmer_spark, spark_session
        spark = spark_session("local[2]")
        fit = lmer_spark("wemwbs ~ wave * arm + (1 | participant_id)", "cohort/*.parquet",
                         spark=spark)
        fit.anova()
    """
    if not isinstance(REML, bool | np.bool_):
        raise ModelError(f"REML must be True or False, got {REML!r}")
    design, stats = spark_statistics(formula, source, table=table, spark=spark, levels=levels)
    return fit_statistics(design, stats, bool(REML))
