"""Mixed models at national scale: the sufficient-statistics pass pushed down to the data.

* :func:`lmer_duckdb` fits ``y ~ fixed + (1 | g)`` with the one pass over the rows run as SQL by
  DuckDB over Parquet/CSV files or a DuckDB table; only small aggregates reach Python, and the
  optimiser and inference are those of :func:`linkwork.stats.lmer` (identical results).
* :func:`lmer_postgres` runs the same SQL (generated once, :mod:`linkwork.scale.engine`, spelled
  per system by :mod:`linkwork.scale.dialect`) on a PostgreSQL table through psycopg.
* :func:`lmer_spark` runs it on Apache Spark (local mode or a cluster) over files, a catalog
  table or a pyspark DataFrame; :func:`spark_session` makes a suitably configured session.
  pyspark is imported only when these are called.
* :func:`score_duckdb` / :func:`score_postgres` / :func:`score_spark` score instruments from
  item-level data with SQL generated from the instrument specs (:func:`score_expressions`),
  equal to :func:`linkwork.instruments.score`.
* :func:`describe_duckdb` gives the descriptives per wave (n, mean, sd, median, quartiles) of
  :func:`linkwork.stats.descriptives.describe_by_wave`, computed by DuckDB
  (:func:`describe_postgres`, :func:`describe_spark`: the same elsewhere).
* :func:`write_scores` writes a synthetic score-level cohort of any size to Parquet in chunks
  (``linkwork simulate``).

* :func:`evaluate_sql` is :func:`linkwork.evaluate` with the rows left in DuckDB, PostgreSQL
  or Spark (``linkwork evaluate --engine``): the same tables and report from aggregates.

See docs/scale.md for the SQL, the scope and measured figures.
"""

from __future__ import annotations

from linkwork.scale.descriptives import describe_duckdb, describe_postgres, describe_spark
from linkwork.scale.duckdb_engine import duckdb_statistics, lmer_duckdb
from linkwork.scale.engine import MAX_CELLS
from linkwork.scale.evaluate import ENGINES, evaluate_sql
from linkwork.scale.postgres_engine import lmer_postgres, postgres_statistics
from linkwork.scale.scoring_sql import score_duckdb, score_expressions, score_postgres, score_spark
from linkwork.scale.simulate import write_scores
from linkwork.scale.spark_engine import lmer_spark, spark_session, spark_statistics

__all__ = [
    "ENGINES",
    "MAX_CELLS",
    "describe_duckdb",
    "describe_postgres",
    "describe_spark",
    "duckdb_statistics",
    "evaluate_sql",
    "lmer_duckdb",
    "lmer_postgres",
    "lmer_spark",
    "postgres_statistics",
    "score_duckdb",
    "score_expressions",
    "score_postgres",
    "score_spark",
    "spark_session",
    "spark_statistics",
    "write_scores",
]
