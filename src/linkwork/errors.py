"""Typed exceptions that name what was wrong and where.

Every error raised for bad *input* (files, responses, plans) is a :class:`LinkworkError`
whose message names the file, row, column and value where they are known, and says what was
expected. Programming errors inside linkwork are ordinary exceptions.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DataFormatError",
    "InvalidResponse",
    "LinkworkError",
    "ModelError",
    "PlanError",
]


def _where(file: str | None, row: Any, column: str | None) -> str:
    parts = []
    if file is not None:
        parts.append(f"file {file!s}")
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


class LinkworkError(Exception):
    """Base class of every input error linkwork raises."""


class _LocatedError(LinkworkError, ValueError):
    """An error at a place in a file or table: file, row, column, value, expected."""

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | None = None,
        row: Any = None,
        column: str | None = None,
        value: Any = None,
        expected: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected
        where = _where(file, row, column)
        text = message or "invalid value"
        if value is not None:
            text += f": got {value!r}"
        if expected is not None:
            text += f", expected {expected}"
        if where:
            text = f"{where}: {text}"
        super().__init__(text)


class InvalidResponse(_LocatedError):
    """A questionnaire response outside the instrument's allowed values.

    Attributes ``row``, ``column``, ``value`` and ``expected`` (the allowed range) say exactly
    which response was rejected.
    """


class DataFormatError(_LocatedError):
    """A data file or table that does not fit the long format (ids, waves, types, duplicates)."""


class PlanError(_LocatedError):
    """An analysis plan with an unknown key or an impossible value."""


class ModelError(LinkworkError, ValueError):
    """A model that cannot be fitted as asked (aliased columns, crossed random effects...)."""
