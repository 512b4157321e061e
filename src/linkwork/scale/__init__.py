"""Mixed models at national scale: the sufficient-statistics pass pushed down to the data.

* :func:`lmer_duckdb` fits ``y ~ fixed + (1 | g)`` with the one pass over the rows run as SQL by
  DuckDB over Parquet/CSV files or a DuckDB table; only small aggregates reach Python, and the
  optimiser and inference are those of :func:`linkwork.stats.lmer` (identical results).
* :func:`describe_duckdb` gives the descriptives per wave (n, mean, sd, median, quartiles) of
  :func:`linkwork.stats.descriptives.describe_by_wave`, computed by DuckDB.
* :func:`write_scores` writes a synthetic score-level cohort of any size to Parquet in chunks
  (``linkwork simulate``).

See docs/scale.md for the SQL, the scope and measured figures.
"""

from __future__ import annotations

from linkwork.scale.descriptives import describe_duckdb
from linkwork.scale.duckdb_engine import MAX_CELLS, duckdb_statistics, lmer_duckdb
from linkwork.scale.simulate import write_scores

__all__ = ["MAX_CELLS", "describe_duckdb", "duckdb_statistics", "lmer_duckdb", "write_scores"]
