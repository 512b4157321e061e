"""The few SQL spellings that differ between DuckDB, PostgreSQL and Spark SQL.

The sufficient-statistics pass (:mod:`linkwork.scale.engine`) and the instrument scoring
(:mod:`linkwork.scale.scoring_sql`) are written once, in portable SQL (``CAST``, ``CASE``,
``coalesce``, positional ``GROUP BY``, ``VALUES`` lists); the differences are expressed here:
how a floating-point NaN or infinity is tested, the double type's name, the exact quantile
aggregate (``quantile_cont`` / ``percentile_cont`` / ``percentile``), and the long sum
(DuckDB's compensated ``fsum``; PostgreSQL's and Spark's ``sum`` of doubles, plain addition in
double precision, whose rounding error on the per-pattern totals stays far below 1e-8
relative).

Spark SQL reads the shared text as written once its session has
``spark.sql.ansi.enabled=true`` and ``spark.sql.ansi.doubleQuotedIdentifiers=true`` (set by
:class:`linkwork.scale.spark_engine.SparkExecutor`): ``"name"`` is then an identifier, as in
standard SQL.

Column types are classified by name for all three systems (:func:`type_kind`): DuckDB reports
``DOUBLE``, ``BIGINT``, ``VARCHAR``...; PostgreSQL ``double precision``, ``bigint``, ``text``...;
Spark ``double``, ``bigint``, ``int``, ``string``, ``decimal(5,2)``...

Validated through the engines' tests (tests/scale/test_duckdb_engine.py,
tests/scale/test_postgres_engine.py, tests/scale/test_spark_engine.py), which compare with the
in-memory results; Spark's ``percentile`` is checked there against numpy's default (type 7)
quantile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DUCKDB", "POSTGRES", "SPARK", "Dialect", "type_kind"]

_INT = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
_INT |= {"UINTEGER", "UBIGINT", "INT", "INT2", "INT4", "INT8"}
_INT |= {"BYTE", "SHORT", "LONG"}  # Spark DDL synonyms of tinyint, smallint, bigint
_FLOAT = {"DOUBLE", "FLOAT", "REAL", "DOUBLE PRECISION", "FLOAT4", "FLOAT8"}


def type_kind(sql_type: str) -> str:
    """``"int"``, ``"float"``, ``"decimal"``, ``"bool"`` or ``"other"`` for a column type name.

    >>> [type_kind(t) for t in ("BIGINT", "double precision", "numeric(5,2)", "VARCHAR")]
    ['int', 'float', 'decimal', 'other']
    >>> [type_kind(t) for t in ("tinyint", "int", "float", "decimal(3,1)", "boolean", "string")]
    ['int', 'int', 'float', 'decimal', 'bool', 'other']
    """
    t = sql_type.strip().upper()
    if t in _INT:
        return "int"
    if t in _FLOAT:
        return "float"
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "decimal"
    if t in ("BOOLEAN", "BOOL"):
        return "bool"
    return "other"


@dataclass(frozen=True, slots=True)
class Dialect:
    """One SQL system's spellings of the non-portable pieces."""

    name: str
    double: str
    nan_test: str  # format with {x}: true when x is NaN (x not NULL)
    inf_test: str  # format with {x}: true when x is +-infinity (x not NULL)
    long_sum: str  # aggregate for long sums of doubles
    quantile_cont: str  # format with {x}, {p}: exact type-7 quantile aggregate
    text: str  # the text type, for CAST(x AS text)
    md5_of: str  # format with {x}: lowercase hex MD5 of the text *x* (as Python's hashlib)

    def is_nan(self, x: str) -> str:
        """SQL that is true when the double expression *x* is NaN."""
        return self.nan_test.format(x=x)

    def is_inf(self, x: str) -> str:
        """SQL that is true when the double expression *x* is infinite."""
        return self.inf_test.format(x=x)

    def fsum(self, x: str) -> str:
        """The long-sum aggregate of *x*."""
        return f"{self.long_sum}({x})"

    def quantile(self, x: str, p: float) -> str:
        """The exact (linearly interpolated, R type 7) *p* quantile aggregate of *x*."""
        return self.quantile_cont.format(x=x, p=repr(float(p)))

    def to_text(self, x: str) -> str:
        """*x* cast to text."""
        return f"CAST({x} AS {self.text})"

    def md5(self, x: str) -> str:
        """The hex MD5 digest of the text expression *x*."""
        return self.md5_of.format(x=x)

    def to_double(self, x: str) -> str:
        """*x* cast to double precision."""
        return f"CAST({x} AS {self.double})"

    def double_literal(self, value: float) -> str:
        """A double constant that parses back to exactly *value* (shortest round-trip text).

        >>> DUCKDB.double_literal(0.1), POSTGRES.double_literal(-2.5)
        ("CAST('0.1' AS DOUBLE)", "CAST('-2.5' AS double precision)")
        >>> SPARK.double_literal(1e-300)
        "CAST('1e-300' AS DOUBLE)"
        """
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        return f"CAST('{value!r}' AS {self.double})"


DUCKDB = Dialect(
    name="duckdb",
    double="DOUBLE",
    nan_test="isnan({x})",
    inf_test="isinf({x})",
    long_sum="fsum",
    quantile_cont="quantile_cont({x}, {p})",
    text="VARCHAR",
    md5_of="md5({x})",
)

POSTGRES = Dialect(
    name="postgresql",
    double="double precision",
    nan_test="({x} = CAST('NaN' AS double precision))",
    inf_test="(abs({x}) = CAST('Infinity' AS double precision))",
    long_sum="sum",
    quantile_cont="percentile_cont({p}) WITHIN GROUP (ORDER BY {x})",
    text="text",
    md5_of="md5({x})",
)

#: Spark SQL (3.4 and later; tested with 4.x). ``sum`` of doubles is plain (not compensated)
#: addition whose order depends on the partitioning, so the last bits of a long sum can vary
#: between runs; the engine's results agree with the in-memory ones to about 1e-13, far inside
#: the 1e-8 required. ``percentile(x, p)`` is exact: it keeps the distinct values and their
#: counts and interpolates linearly between order statistics (R's type 7), unlike the
#: approximate ``percentile_approx``. Spark has ``isnan`` but no ``isinf``.
SPARK = Dialect(
    name="spark",
    double="DOUBLE",
    nan_test="isnan({x})",
    inf_test="(abs({x}) = CAST('Infinity' AS DOUBLE))",
    long_sum="sum",
    quantile_cont="percentile({x}, {p})",
    text="STRING",
    md5_of="md5(CAST({x} AS BINARY))",
)
