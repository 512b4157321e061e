"""Conversion of a loaded table to the canonical long format, collecting every problem.

Long format (see docs/data-format.md): one row per participant x wave; ``participant_id``
(text), ``wave`` (ordered Categorical), optional ``date`` (``datetime64[ns]``), ``arm``,
``site`` and ``link_worker`` (text), other columns (numbers when every value is one: int64
when whole and complete, else float64; otherwise text) and item columns ``<instrument>_<k>``
(response codes: nullable Int64 when all whole, else float64).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linkwork.io._problems import Problem, quote_list
from linkwork.io._values import (
    TEXT_COLUMNS,
    is_item_column,
    narrow_items,
    parse_dates,
    parse_numbers,
    to_text,
    to_text_value,
)
from linkwork.io.tables import RawTable, infer_column, table_attrs
from linkwork.io.waves import WaveOption, resolve_waves

__all__ = ["LEADING_COLUMNS", "Work", "convert"]

#: Columns that come first, in this order, when present.
LEADING_COLUMNS = ("participant_id", "wave", "date", "arm", "site", "link_worker")

_WAVE_HINT = "waves=[...] listing the labels in time order"


@dataclass(eq=False)
class Work:
    """A loaded table on its way to the long format, with provenance for messages.

    ``columns`` maps a column's current name to its name in the file (when renamed);
    ``cells`` maps (column, wave label) to the file's column for tables reshaped from wide;
    ``derived`` names columns made by linkwork (not in the file).
    """

    raw: RawTable
    columns: dict[str, str] = field(default_factory=dict)
    cells: dict[tuple[str, str], str] = field(default_factory=dict)
    wave_display: list[Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    derived: set[str] = field(default_factory=set)
    hint: str = _WAVE_HINT

    def source(self, column: str, wave: Any = None) -> str:
        """The file's name for ``column`` (at ``wave``, for reshaped tables)."""
        if isinstance(wave, str) and (column, wave) in self.cells:
            return self.cells[(column, wave)]
        return self.columns.get(column, column)


class WaveText:
    """The wave label of a row, as text, computed only for rows that have a problem."""

    def __init__(self, waves: pd.Series | None) -> None:
        self._waves = waves

    def __getitem__(self, position: int) -> Any:
        if self._waves is None:
            return None
        return to_text_value(self._waves.iloc[position])


def _cell_problems(
    work: Work,
    column: str,
    bad: np.ndarray,
    values: pd.Series,
    wave_text: WaveText,
    message: str,
    expected: str,
) -> list[Problem]:
    raw = values.astype(object).tolist()
    return [
        Problem(
            message,
            file=work.raw.file,
            row=work.raw.rows[i],
            column=work.source(column, wave_text[i]),
            value=raw[i],
            expected=expected,
        )
        for i in np.flatnonzero(bad).tolist()
    ]


def _key_columns(work: Work, id_column: str, wave_column: str) -> list[Problem]:
    frame, file = work.raw.frame, work.raw.file
    present = quote_list(
        [work.source(str(c)) for c in frame.columns if c not in work.derived], limit=40
    )
    problems = []
    if id_column == wave_column:
        problems.append(
            Problem("id_column and wave_column name the same column", file=file, column=id_column)
        )
    for option, name, canonical, what in (
        ("id_column", id_column, "participant_id", "participant id"),
        ("wave_column", wave_column, "wave", "wave"),
    ):
        if name not in frame.columns:
            problems.append(
                Problem(
                    f"missing {what} column",
                    file=file,
                    column=work.source(name),
                    expected=f"a column {work.source(name)!r} (or pass {option}= naming the "
                    f"{what} column); columns present: {present}",
                )
            )
        elif name != canonical and canonical in frame.columns:
            problems.append(
                Problem(
                    f"both {work.source(name)!r} ({option}) and {canonical!r} are present",
                    file=file,
                    column=canonical,
                    expected=f"one {what} column: drop or rename one of them",
                )
            )
    return problems


def convert(
    work: Work,
    *,
    id_column: str = "participant_id",
    wave_column: str = "wave",
    waves: WaveOption = None,
    date_format: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert ``work`` to the long format; return the best-effort frame and all problems.

    The frame is complete only when there are no problems; callers that import data raise on
    any problem (all-or-nothing), :func:`linkwork.io.validate` summarises what it can.
    """
    raw = work.raw
    frame, file, rows = raw.frame, raw.file, raw.rows
    problems = _key_columns(work, id_column, wave_column)
    out: dict[str, pd.Series] = {}
    has_id = id_column in frame.columns and id_column != wave_column
    has_wave = wave_column in frame.columns and id_column != wave_column

    if has_id:
        ids = to_text(frame[id_column])
        missing = ids.isna().to_numpy()
        problems += [
            Problem(
                "missing participant id",
                file=file,
                row=rows[i],
                column=work.source(id_column),
                expected="a participant id in every row",
            )
            for i in np.flatnonzero(missing)
        ]
        out["participant_id"] = ids
    wave_text = WaveText(frame[wave_column] if has_wave else None)
    if has_wave:
        categorical, wave_problems = resolve_waves(
            frame[wave_column],
            waves=waves,
            value_labels=raw.value_labels.get(wave_column),
            file=file,
            rows=rows,
            column=work.source(wave_column),
            display=work.wave_display,
            hint=work.hint,
        )
        problems += wave_problems
        out["wave"] = pd.Series(categorical, index=frame.index)

    date_expected = (
        f"a date in the format {date_format!r}"
        if date_format
        else "a date as YYYY-MM-DD (ISO 8601; pass date_format= for others)"
    )
    value_labels: dict[str, dict[Any, str]] = {}
    for name in frame.columns:
        if name in (id_column, wave_column):
            continue
        series = frame[name]
        labels = raw.value_labels.get(name)
        if name in out:
            problems.append(
                Problem(
                    "column name clashes with a renamed id or wave column",
                    file=file,
                    column=work.source(name),
                    expected="distinct column names",
                )
            )
            continue
        if labels and _labels_name_values(name, series, labels):
            mapped = {to_text_value(code): str(text) for code, text in labels.items()}
            out[name] = to_text(
                series.astype(object).map(lambda v, m=mapped: m.get(to_text_value(v), v))
            )
        elif name == "date":
            dates, bad = parse_dates(series, date_format)
            problems += _cell_problems(
                work, name, bad, series, wave_text, "not a date", date_expected
            )
            out[name] = dates
        elif name in TEXT_COLUMNS:
            out[name] = to_text(series)
        elif is_item_column(name):
            numbers, bad = parse_numbers(series)
            problems += _cell_problems(
                work,
                name,
                bad,
                series,
                wave_text,
                "not a number",
                "a number (the response code)",
            )
            out[name] = narrow_items(numbers)
            if labels:
                value_labels[name] = dict(labels)
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            out[name] = parse_dates(series)[0]
        else:
            out[name] = infer_column(series)
            if labels:
                value_labels[name] = dict(labels)

    if has_id and has_wave:
        problems += _duplicates(work, out, id_column, wave_column)
    leading = [c for c in LEADING_COLUMNS if c in out]
    others = [c for c in out if c not in leading and not is_item_column(c)]
    items = [c for c in out if c not in leading and is_item_column(c)]
    result = pd.DataFrame({c: out[c] for c in leading + others + items}, index=frame.index)
    result = result.reset_index(drop=True)
    attrs = table_attrs(raw)
    renames = {id_column: "participant_id", wave_column: "wave"}
    attrs["variable_labels"] = {
        renames.get(k, k): v for k, v in raw.variable_labels.items() if renames.get(k, k) in out
    }
    attrs["value_labels"] = value_labels
    attrs.update(work.notes)
    result.attrs.update(attrs)
    return result, problems


def _labels_name_values(name: str, series: pd.Series, labels: dict[Any, str]) -> bool:
    """Whether value labels replace the codes: never for item columns (codes are the data),
    always for arm/site/link_worker, otherwise when every present code has a label (a
    categorical variable such as gender, not a number with a few special codes)."""
    if is_item_column(name) or name == "date":
        return False
    if name in TEXT_COLUMNS:
        return True
    known = {to_text_value(code) for code in labels}
    present = {to_text_value(v) for v in series.dropna().unique()}
    return present <= known


def _duplicates(
    work: Work, out: dict[str, pd.Series], id_column: str, wave_column: str
) -> list[Problem]:
    if "participant_id" not in out or "wave" not in out:
        return []
    keys = pd.DataFrame({"id": out["participant_id"], "wave": out["wave"].astype(object)})
    valid = keys.notna().all(axis=1)
    repeated = (keys.duplicated(keep=False) & valid).to_numpy(dtype=bool)
    problems = []
    first: dict[tuple[str, str], Hashable] = {}
    for i in np.flatnonzero(repeated):
        pid, wave = keys["id"].iloc[i], keys["wave"].iloc[i]
        row = work.raw.rows[i]
        if (pid, wave) not in first:
            first[(pid, wave)] = row
            continue
        problems.append(
            Problem(
                f"duplicate participant × wave: same participant and wave {wave!r} as "
                f"row {first[(pid, wave)]}",
                file=work.raw.file,
                row=row,
                column=work.source(id_column),
                value=pid,
                expected="one row per participant and wave",
            )
        )
    return problems
