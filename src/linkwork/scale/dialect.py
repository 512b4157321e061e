"""The few SQL spellings that differ between DuckDB and PostgreSQL.

The sufficient-statistics pass (:mod:`linkwork.scale.engine`) and the instrument scoring
(:mod:`linkwork.scale.scoring_sql`) are written once, in portable SQL (``CAST``, ``CASE``,
``coalesce``, positional ``GROUP BY``, ``VALUES`` lists); the differences are expressed here:
how a floating-point NaN or infinity is tested, the double type's name, the exact quantile
aggregate (``quantile_cont`` / ``percentile_cont``), and the long sum (DuckDB's
compensated ``fsum``; PostgreSQL's ``sum`` of ``double precision``, plain addition in double
precision, whose rounding error on the per-pattern totals stays far below 1e-8 relative).

Column types are classified by name for both systems (:func:`type_kind`): DuckDB reports
``DOUBLE``, ``BIGINT``, ``VARCHAR``...; PostgreSQL ``double precision``, ``bigint``, ``text``...

Validated through the engines' tests (tests/scale/test_duckdb_engine.py,
tests/scale/test_postgres_engine.py), which compare with the in-memory results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DUCKDB", "POSTGRES", "Dialect", "type_kind"]

_INT = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
_INT |= {"UINTEGER", "UBIGINT", "INT", "INT2", "INT4", "INT8"}
_FLOAT = {"DOUBLE", "FLOAT", "REAL", "DOUBLE PRECISION", "FLOAT4", "FLOAT8"}


def type_kind(sql_type: str) -> str:
    """``"int"``, ``"float"``, ``"decimal"``, ``"bool"`` or ``"other"`` for a column type name.

    >>> [type_kind(t) for t in ("BIGINT", "double precision", "numeric(5,2)", "VARCHAR")]
    ['int', 'float', 'decimal', 'other']
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

    def to_double(self, x: str) -> str:
        """*x* cast to double precision."""
        return f"CAST({x} AS {self.double})"

    def double_literal(self, value: float) -> str:
        """A double constant that parses back to exactly *value* (shortest round-trip text).

        >>> DUCKDB.double_literal(0.1), POSTGRES.double_literal(-2.5)
        ("CAST('0.1' AS DOUBLE)", "CAST('-2.5' AS double precision)")
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
)

POSTGRES = Dialect(
    name="postgresql",
    double="double precision",
    nan_test="({x} = CAST('NaN' AS double precision))",
    inf_test="(abs({x}) = CAST('Infinity' AS double precision))",
    long_sum="sum",
    quantile_cont="percentile_cont({p}) WITHIN GROUP (ORDER BY {x})",
)
