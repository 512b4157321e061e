"""Where the data live: a Parquet/CSV glob or a DuckDB table, as a SQL relation.

Identifiers are always quoted (``"name"``, embedded quotes doubled) and file paths are passed as
string literals with quotes doubled, so no column or path text is spliced into SQL unescaped.

Validated through tests/scale/test_duckdb_engine.py (sources, types, category orders).
"""

from __future__ import annotations

import glob as globbing
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from linkwork.errors import ModelError
from linkwork.scale.dialect import type_kind

__all__ = ["Relation", "ident", "literal", "parquet_categories", "relation"]


def ident(name: str) -> str:
    """A quoted SQL identifier.

    >>> ident('a"b')
    '"a""b"'
    """
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal.

    >>> literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Relation:
    """A relation to read: its SQL ``FROM`` text, a description, and its column types."""

    sql: str
    description: str
    types: dict[str, str]
    files: tuple[str, ...] = field(default=())

    def is_float(self, column: str) -> bool:
        """Whether *column* is a floating-point column (NaN and infinity possible)."""
        return type_kind(self.types[column]) == "float"


def _from_sql(
    source: str | Path | list[str] | None, table: str | None
) -> tuple[str, str, tuple[str, ...]]:
    if table is not None:
        if source is not None:
            raise ModelError(
                "give either a file source or table= (with connection= or a database path), "
                f"not both: source={source!r}, table={table!r}"
            )
        return ident(table), f"table {table!r}", ()
    if source is None:
        raise ModelError("no data source: give a Parquet/CSV path or glob, or table=")
    paths = [str(s) for s in source] if isinstance(source, list) else [str(source)]
    if not paths:
        raise ModelError("no data source: the list of files is empty")
    suffixes = {_kind(p) for p in paths}
    if len(suffixes) != 1:
        raise ModelError(f"source {paths!r}: mix of file types; use one of .parquet or .csv")
    kind = suffixes.pop()
    files = "[" + ", ".join(literal(p) for p in paths) + "]"
    if kind == "parquet":
        matched = tuple(sorted(f for p in paths for f in globbing.glob(p)))
        return f"read_parquet({files})", f"Parquet {paths!r}", matched
    return f"read_csv({files}, header = true)", f"CSV {paths!r}", ()


def _kind(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return "csv"
    raise ModelError(
        f"source {path!r}: unknown file type; expected .parquet or .csv (or .csv.gz) files, or "
        "table= for a table"
    )


def relation(
    con: duckdb.DuckDBPyConnection, source: str | Path | list[str] | None, table: str | None
) -> Relation:
    """Resolve *source*/*table* on *con* and read its column names and types.

    Raises
    ------
    ModelError
        No or ambiguous source, an unknown file type, or a source DuckDB cannot open.
    """
    sql, description, files = _from_sql(source, table)
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {sql}").fetchall()
    except duckdb.Error as exc:
        raise ModelError(f"{description}: cannot be read by DuckDB: {exc}") from exc
    return Relation(sql, description, {str(r[0]): str(r[1]) for r in rows}, files)


def parquet_categories(rel: Relation, columns: list[str]) -> dict[str, list[str]]:
    """Category order of pandas Categorical columns stored in the Parquet files.

    pandas writes a Categorical as a dictionary column whose dictionary is the categories in
    order, and records it in the file's pandas metadata; ``pandas.read_parquet`` restores that
    order, and R's level order (hence the reference level) follows it. DuckDB reads such a
    column as text, so the order is taken from the files here.

    Raises
    ------
    ModelError
        When the files disagree on a column's categories (pass ``levels=`` explicitly).
    """
    out: dict[str, list[str]] = {}
    for path in rel.files:
        meta = pq.read_schema(path).pandas_metadata or {}
        cats = [
            str(c["name"])
            for c in meta.get("columns", [])
            if c.get("pandas_type") == "categorical" and c.get("name") in columns
        ]
        if not cats:
            continue
        pf = pq.ParquetFile(path)
        if pf.metadata.num_row_groups == 0:
            continue
        table = pf.read_row_group(0, columns=cats)
        for name in cats:
            chunks = table.column(name).chunks
            if not chunks or not hasattr(chunks[0], "dictionary"):
                continue
            order = [str(v) for v in chunks[0].dictionary.to_pylist()]
            if name in out and out[name] != order:
                raise ModelError(
                    f"{rel.description}, column {name!r}: the files store different category "
                    f"orders ({out[name]} in an earlier file, {order} in {path}); pass "
                    "levels={column: [...]} to say which order to use"
                )
            out[name] = order
    return out
