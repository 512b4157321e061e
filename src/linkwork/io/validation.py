"""Data-quality report for a file or table: every problem, plus what the data hold.

:func:`validate` runs the same checks as :func:`linkwork.io.read` but collects all problems
instead of stopping, then summarises what could be read: participants per wave, missing
items per instrument and wave, and responses outside each item's allowed range (from the
instrument registry, :data:`linkwork.instruments.REGISTRY`). Out-of-range responses are
*errors* of the report (the file cannot be scored: scoring raises
:class:`~linkwork.errors.InvalidResponse`), each listed with its row and column, although
:func:`~linkwork.io.read` imports them as entered so that they can be inspected and corrected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkwork.errors import DataFormatError
from linkwork.io._problems import ROW_NOTE, Problem, raise_problems
from linkwork.io._values import is_item_column
from linkwork.io.convert import Work
from linkwork.io.long import check_frame
from linkwork.io.reading import check_file

__all__ = ["InstrumentMissing", "ItemRange", "ValidationReport", "validate", "validate_file"]


@dataclass(frozen=True, slots=True)
class InstrumentMissing:
    """Missing responses of one instrument at one wave (``wave`` ``None``: no wave column)."""

    instrument: str
    wave: str | None
    n_items: int
    n_rows: int
    n_missing: int
    n_rows_incomplete: int
    n_rows_empty: int


@dataclass(frozen=True, slots=True)
class ItemRange:
    """Responses of one item column checked against the registry's allowed range.

    ``allowed`` is ``None`` when the column's instrument is not in the registry (not checked).
    """

    column: str
    instrument: str
    allowed: str | None
    n_answered: int
    n_out_of_range: int


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What :func:`validate` found: problems (errors, warnings) and summaries.

    Attributes
    ----------
    file, format:
        The file and its format (``None`` for an in-memory table).
    n_rows:
        Rows read (blank lines of text files and spreadsheets not counted).
    n_participants:
        Distinct participant ids (0 when the id column is missing).
    errors:
        Problems that make :func:`linkwork.io.read` fail, in file order of discovery.
    warnings:
        Located problems that do not stop reading: responses outside the registry's range and
        item columns beyond an instrument's item count.
    participants_per_wave:
        Wave label -> number of distinct participants, in wave order.
    missing_items:
        One :class:`InstrumentMissing` per instrument and wave.
    out_of_range:
        One :class:`ItemRange` per item column.
    notes:
        The reader's notes (blank rows skipped, REDCap repeating rows dropped, ...).
    """

    file: str | None
    format: str | None
    n_rows: int
    n_participants: int
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    participants_per_wave: dict[str, int]
    missing_items: tuple[InstrumentMissing, ...]
    out_of_range: tuple[ItemRange, ...]
    notes: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Whether there are no errors (warnings allowed)."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise the first error as :class:`~linkwork.errors.DataFormatError`, if any."""
        raise_problems(self.errors)

    def tables(self, *, problems: bool = False) -> dict[str, pd.DataFrame]:
        """Tidy tables for printing: summary, participants per wave, missing items, out of
        range; with ``problems=True`` also the errors and warnings (one row per problem)."""
        summary = pd.DataFrame(
            {
                "file": [self.file],
                "format": [self.format],
                "rows": [self.n_rows],
                "participants": [self.n_participants],
                "errors": [len(self.errors)],
                "warnings": [len(self.warnings)],
            }
        )
        waves = pd.DataFrame(
            {
                "wave": list(self.participants_per_wave),
                "participants": list(self.participants_per_wave.values()),
            }
        )
        missing = pd.DataFrame(
            [vars_of(m) for m in self.missing_items], columns=list(InstrumentMissing.__slots__)
        )
        ranges = pd.DataFrame(
            [vars_of(r) for r in self.out_of_range], columns=list(ItemRange.__slots__)
        )
        out = {
            "summary": summary,
            "participants per wave": waves,
            "missing items": missing,
            "out-of-range responses": ranges,
        }
        if problems:
            columns = ["file", "row", "column", "value", "problem", "expected"]
            out["errors"] = pd.DataFrame([p.as_dict() for p in self.errors], columns=columns)
            out["warnings"] = pd.DataFrame([p.as_dict() for p in self.warnings], columns=columns)
        return out

    def summary(self, limit: int = 20) -> str:
        """Plain text: counts, then up to ``limit`` errors and warnings."""
        where = self.file or "table"
        lines = [
            f"{where}: {self.n_rows} rows, {self.n_participants} participants, "
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        ]
        if self.participants_per_wave:
            lines.append(
                "participants per wave: "
                + ", ".join(f"{w} {n}" for w, n in self.participants_per_wave.items())
            )
        for title, problems in (("error", self.errors), ("warning", self.warnings)):
            for problem in problems[:limit]:
                lines.append(f"{title}: {problem}")
            if len(problems) > limit:
                lines.append(f"... and {len(problems) - limit} more {title}s")
        if self.errors or self.warnings:
            lines.append(f"({ROW_NOTE})" if self.file else "(rows are index labels)")
        return "\n".join(lines)


def vars_of(record: Any) -> dict[str, Any]:
    """A slotted dataclass instance as a dict."""
    return {name: getattr(record, name) for name in type(record).__slots__}


def _registry() -> Mapping[str, Any]:
    from linkwork.instruments import REGISTRY

    return REGISTRY


def _instrument(column: str) -> tuple[str, int]:
    stem, k = column.rsplit("_", 1)
    return stem, int(k)


def _missing_items(long: pd.DataFrame) -> list[InstrumentMissing]:
    items = [c for c in long.columns if is_item_column(c)]
    groups: dict[str, list[str]] = {}
    for column in items:
        groups.setdefault(_instrument(column)[0], []).append(column)
    if "wave" in long.columns and isinstance(long["wave"].dtype, pd.CategoricalDtype):
        waves: list[str | None] = [str(w) for w in long["wave"].cat.categories]
        masks = [(long["wave"] == w).to_numpy(dtype=bool) for w in waves]
    else:
        waves, masks = [None], [np.ones(len(long), dtype=bool)]
    out = []
    for instrument, columns in groups.items():
        missing = long[columns].isna().to_numpy()
        for wave, mask in zip(waves, masks, strict=True):
            block = missing[mask]
            per_row = block.sum(axis=1)
            out.append(
                InstrumentMissing(
                    instrument=instrument,
                    wave=wave,
                    n_items=len(columns),
                    n_rows=int(mask.sum()),
                    n_missing=int(block.sum()),
                    n_rows_incomplete=int(((per_row > 0) & (per_row < len(columns))).sum()),
                    n_rows_empty=int((per_row == len(columns)).sum()),
                )
            )
    return out


def _ranges(
    long: pd.DataFrame, work: Work, codings: Mapping[str, str]
) -> tuple[list[ItemRange], list[Problem], list[Problem]]:
    """Range check per item column: (counts, out-of-range errors, warnings)."""
    registry = _registry()
    ranges: list[ItemRange] = []
    errors: list[Problem] = []
    warnings: list[Problem] = []
    waves = long["wave"].astype(object).tolist() if "wave" in long.columns else [None] * len(long)
    for column in [c for c in long.columns if is_item_column(c)]:
        instrument, k = _instrument(column)
        values = long[column].to_numpy(dtype="float64", na_value=np.nan)
        answered = ~np.isnan(values)
        if instrument not in registry:
            ranges.append(ItemRange(column, instrument, None, int(answered.sum()), 0))
            continue
        spec = registry[instrument]
        if instrument in codings:
            spec = spec.with_coding(codings[instrument])
        if k > spec.n_items:
            warnings.append(
                Problem(
                    "item column beyond the instrument's items",
                    file=work.raw.file,
                    column=work.source(column),
                    expected=f"{instrument}_1 to {instrument}_{spec.n_items}",
                )
            )
        response = spec.response
        allowed = response.describe()
        outside = answered & ((values < response.min) | (values > response.max))
        if response.integer:
            outside |= answered & (values != np.round(values))
        for i in np.flatnonzero(outside):
            errors.append(
                Problem(
                    "response out of range",
                    file=work.raw.file,
                    row=work.raw.rows[i] if i < len(work.raw.rows) else None,
                    column=work.source(column, waves[i]),
                    value=int(values[i]) if values[i].is_integer() else float(values[i]),
                    expected=f"{allowed} (instrument {spec.name}, {spec.version})",
                )
            )
        ranges.append(
            ItemRange(column, instrument, allowed, int(answered.sum()), int(outside.sum()))
        )
    return ranges, errors, warnings


def _report(
    long: pd.DataFrame,
    problems: list[Problem],
    work: Work | None,
    *,
    file: str | None,
    format: str | None,
    codings: Mapping[str, str],
) -> ValidationReport:
    per_wave: dict[str, int] = {}
    n_participants = 0
    if "participant_id" in long.columns:
        n_participants = int(long["participant_id"].nunique(dropna=True))
        if "wave" in long.columns and isinstance(long["wave"].dtype, pd.CategoricalDtype):
            counts = long.groupby("wave", observed=False)["participant_id"].nunique()
            per_wave = {str(w): int(n) for w, n in counts.items()}
    ranges: list[ItemRange] = []
    range_errors: list[Problem] = []
    warnings: list[Problem] = []
    if work is not None and len(long.columns):
        ranges, range_errors, warnings = _ranges(long, work, codings)
    notes: dict[str, Any] = {
        str(k): v for k, v in long.attrs.items() if k not in ("variable_labels", "value_labels")
    }
    return ValidationReport(
        file=file,
        format=format,
        n_rows=len(long) if len(long.columns) else (len(work.raw.frame) if work else 0),
        n_participants=n_participants,
        errors=tuple(problems) + tuple(range_errors),
        warnings=tuple(warnings),
        participants_per_wave=per_wave,
        missing_items=tuple(_missing_items(long)) if len(long.columns) else (),
        out_of_range=tuple(ranges),
        notes=notes,
    )


def validate_file(
    path: str | Path, *, codings: Mapping[str, str] | None = None, **read_options: Any
) -> ValidationReport:
    """Validate a file: every problem and a data-quality summary (never raises for bad data).

    ``read_options`` are those of :func:`linkwork.io.read` (``format``, ``layout``, ``sheet``,
    ``id_column``, ``wave_column``, ``waves``, ``events``, ``arms``, ``repeating``,
    ``date_format``, ``keep_empty``, ``encoding``, ``na_values``). ``codings`` selects an
    instrument's response coding for the range check, e.g. ``{"k6": "1-5"}``. A file that
    cannot be loaded at all (unknown format, unreadable, bad header) gives a report with that
    one error; a missing file raises :class:`FileNotFoundError`.
    """
    file = str(path)
    try:
        long, problems, work = check_file(path, **read_options)
    except DataFormatError as exc:
        problem = _unlocated(exc, file)
        return _report(pd.DataFrame(), [problem], None, file=file, format=None, codings={})
    return _report(
        long,
        problems,
        work,
        file=file,
        format=work.raw.format,
        codings=codings or {},
    )


def _unlocated(exc: DataFormatError, file: str) -> Problem:
    """A loading error as a Problem, keeping its message without the location prefix."""
    text = str(exc)
    prefix = ", ".join(
        part
        for part in (
            f"file {exc.file}" if exc.file is not None else "",
            f"row {exc.row}" if exc.row is not None else "",
            f"column {exc.column!r}" if exc.column is not None else "",
        )
        if part
    )
    if prefix and text.startswith(prefix + ": "):
        text = text[len(prefix) + 2 :]
    for tail in (
        f", expected {exc.expected}" if exc.expected is not None else "",
        f": got {exc.value!r}" if exc.value is not None else "",
    ):
        if tail and text.endswith(tail):
            text = text[: -len(tail)]
    return Problem(
        text,
        file=exc.file or file,
        row=exc.row,
        column=exc.column,
        value=exc.value,
        expected=exc.expected,
    )


def validate(
    data: pd.DataFrame | str | Path,
    *,
    codings: Mapping[str, str] | None = None,
    **options: Any,
) -> ValidationReport:
    """Validate a file or an in-memory table against the long format; collect every problem.

    Parameters
    ----------
    data:
        A path (see :func:`validate_file`) or a DataFrame (rows named by index label).
    codings:
        Response coding per instrument for the range check, e.g. ``{"k6": "1-5"}``.
    **options:
        For a path, those of :func:`linkwork.io.read`; for a DataFrame, those of
        :func:`linkwork.io.to_long` (``layout``, ``id_column``, ``wave_column``, ``waves``,
        ``date_format``, ``keep_empty``).

    Returns
    -------
    ValidationReport
        ``errors`` (what makes reading fail, and out-of-range responses, which make scoring
        fail), ``warnings`` (item columns beyond an instrument's items),
        participants per wave, missing items, out-of-range counts; ``tables()`` for printing.

    Examples
    --------
    >>> frame = pd.DataFrame({"participant_id": ["P1", "P1", "P2"], "wave": ["T1", "T1", "T1"],
    ...                       "uls8_1": [2, 9, 4]})
    >>> report = validate(frame)
    >>> report.ok, len(report.errors), report.out_of_range[0].n_out_of_range
    (False, 2, 1)
    >>> print(report.errors[0].message)
    duplicate participant × wave: same participant and wave 'T1' as row 0
    """
    if isinstance(data, str | Path):
        return validate_file(data, codings=codings, **options)
    long, problems, work = check_frame(data, **options)
    return _report(long, problems, work, file=None, format=None, codings=codings or {})
