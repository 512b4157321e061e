"""Located problems: what was wrong, where (file, row, column), the value and what was expected.

Every check in :mod:`linkwork.io` produces :class:`Problem` records instead of raising at once,
so that :func:`linkwork.io.validate` can list all of them; :func:`linkwork.io.read` turns the
first into a :class:`~linkwork.errors.DataFormatError` (all-or-nothing import).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from linkwork.errors import DataFormatError

__all__ = ["ROW_NOTE", "Problem", "quote_list", "raise_problems", "sort_problems"]

#: How rows are counted in every message about a file.
ROW_NOTE = "rows are data rows counted from 1, header not counted"


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in a data file or an in-memory table.

    Attributes
    ----------
    message:
        What is wrong, e.g. ``"unknown wave label"``.
    file:
        The file's path as given, or ``None`` for an in-memory table.
    row:
        For files: the 1-based data row (the first row below the header is row 1; in a
        spreadsheet or text editor it sits on line ``row + 1``; in SPSS/Stata it is the case
        number). For in-memory tables: the index label. ``None`` when the problem concerns a
        whole column or file.
    column:
        The column's name *as it is in the file* (e.g. ``record_id``, ``uls8_1_t2``).
    value:
        The offending value, when there is one.
    expected:
        What was expected instead.

    Examples
    --------
    >>> p = Problem("unknown wave label", file="c.csv", row=3, column="wave", value="T4",
    ...             expected="T1, T2 or T3")
    >>> str(p)
    "file c.csv, row 3, column 'wave': unknown wave label: got 'T4', expected T1, T2 or T3"
    """

    message: str
    file: str | None = None
    row: Hashable | None = None
    column: str | None = None
    value: Any = None
    expected: str | None = None

    def error(self, note: str | None = None) -> DataFormatError:
        """This problem as a :class:`~linkwork.errors.DataFormatError` (``note`` is appended
        to the message in square brackets)."""
        error = DataFormatError(
            self.message,
            file=self.file,
            row=self.row,
            column=self.column,
            value=self.value,
            expected=self.expected,
        )
        if note:
            error.args = (f"{error.args[0]} [{note}]",)
        return error

    def __str__(self) -> str:
        return str(self.error())

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (one row of the errors table)."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.message,
            "expected": self.expected,
        }


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise the first problem as a ``DataFormatError`` saying how many there are in all.

    Does nothing when ``problems`` is empty.
    """
    if not problems:
        return
    first = problems[0]
    notes = []
    if first.row is not None:
        notes.append(ROW_NOTE if first.file is not None else "row is the table's index label")
    if len(problems) > 1:
        notes.append(
            f"first of {len(problems)} problems; linkwork.io.validate() or "
            "`linkwork validate FILE` lists them all"
        )
    raise first.error("; ".join(notes) if notes else None)


def sort_problems(problems: Sequence[Problem], rows: Sequence[Hashable]) -> list[Problem]:
    """Whole-file and whole-column problems first, then by row in table order (stable)."""
    position: dict[Hashable, int] = {}
    for i, row in enumerate(rows):
        position.setdefault(row, i)
    return sorted(
        problems,
        key=lambda p: (p.row is not None, position.get(p.row, -1) if p.row is not None else -1),
    )


def quote_list(values: Sequence[Any], limit: int = 20) -> str:
    """``'a', 'b', 'c'`` with at most ``limit`` entries shown."""
    shown = ", ".join(repr(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", ... ({len(values) - limit} more)"
    return shown
