"""REDCap longitudinal CSV exports: reading into the long format and writing them back.

A REDCap long export has one row per record x event: ``record_id``, ``redcap_event_name``
(unique event names such as ``baseline_arm_1``), ``redcap_repeat_instrument`` and
``redcap_repeat_instance`` (filled only on rows of repeating instruments or events), the
fields, and a ``<form>_complete`` status per form (0 incomplete, 1 unverified, 2 complete).

Mapping: ``record_id`` -> ``participant_id``; the event -> ``wave`` (``events=`` maps event
names to wave labels; by default ``<label>_arm_<n>`` gives ``<label>``, and ``t1``, ``t2``...
become ``T1``, ``T2``...); with more than one arm, the ``_arm_<n>`` suffix -> ``arm``
(``"1"``, ``"2"``... or names from ``arms=``); ``redcap_data_access_group`` -> ``site`` when
there is no ``site`` field. Form status columns are checked (0/1/2) and left out.
Repeating instruments have several rows per record x event and cannot be placed in the
participant x wave format: they are an error unless ``repeating="drop"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from linkwork.errors import DataFormatError
from linkwork.io._problems import Problem, quote_list
from linkwork.io._values import is_item_column, is_missing, missing_mask, to_text_value
from linkwork.io.convert import Work
from linkwork.io.tables import RawTable

__all__ = ["event_label", "reshape_redcap"]

Repeating = Literal["error", "drop"]

_ARM = re.compile(r"^(?P<label>.+)_arm_(?P<arm>[0-9]+)$")
_T = re.compile(r"^t[0-9]+$")
_DROPPED = ("redcap_repeat_instrument", "redcap_repeat_instance", "redcap_survey_identifier")


def event_label(event: str) -> str:
    """Default wave label of a REDCap unique event name.

    >>> event_label("t2_arm_1"), event_label("baseline_arm_2"), event_label("week_8")
    ('T2', 'baseline', 'week_8')
    """
    m = _ARM.match(event)
    label = m.group("label") if m else event
    return label.upper() if _T.match(label) else label


def _arm_number(event: Any) -> int | None:
    m = _ARM.match(event) if isinstance(event, str) else None
    return int(m.group("arm")) if m else None


def reshape_redcap(
    raw: RawTable,
    *,
    id_column: str = "record_id",
    events: Mapping[str, str] | None = None,
    arms: Mapping[Any, str] | None = None,
    repeating: Repeating = "error",
) -> tuple[Work, list[str] | None, list[Problem]]:
    """Map a loaded REDCap export onto long-format columns (see the module docstring).

    Returns the work table (id column ``id_column``, wave column ``wave``), the wave order
    implied by ``events=`` (or ``None``) and the problems found.
    """
    frame, file, rows = raw.frame, raw.file, list(raw.rows)
    problems: list[Problem] = []
    notes: dict[str, Any] = {}
    if "redcap_event_name" not in frame.columns:
        problems.append(
            Problem(
                "not a longitudinal REDCap export: no event column",
                file=file,
                column="redcap_event_name",
                expected="a 'redcap_event_name' column; columns present: "
                + quote_list([str(c) for c in frame.columns], limit=40),
            )
        )
        return Work(raw), None, problems
    if "wave" in frame.columns:
        problems.append(
            Problem(
                "a REDCap field named 'wave' clashes with the wave taken from the event",
                file=file,
                column="wave",
                expected="no field called 'wave' (rename it in REDCap or with read_table)",
            )
        )

    repeat_columns = [
        c for c in ("redcap_repeat_instrument", "redcap_repeat_instance") if c in frame.columns
    ]
    repeated = np.zeros(len(frame), dtype=bool)
    for column in repeat_columns:
        repeated |= ~missing_mask(frame[column])
    if repeating not in ("error", "drop"):
        problems.append(
            Problem(
                "unknown repeating= option",
                file=file,
                value=repeating,
                expected="'error' or 'drop'",
            )
        )
    elif repeated.any() and repeating == "error":
        for i in np.flatnonzero(repeated):
            instrument = frame[repeat_columns[0]].iloc[i]
            column = repeat_columns[0] if not is_missing(instrument) else repeat_columns[-1]
            problems.append(
                Problem(
                    "row of a repeating instrument or event",
                    file=file,
                    row=rows[i],
                    column=column,
                    value=frame[column].iloc[i],
                    expected="one row per record and event (repeating instruments do not fit "
                    "the participant x wave format); pass repeating='drop' to leave these "
                    "rows out (counted in attrs['repeating_rows_dropped'])",
                )
            )
    if repeated.any():
        # Repeating rows are left out of the conversion either way: as errors above (so they
        # are not reported again, e.g. as duplicates) or, with repeating="drop", listed here.
        kept = frame.loc[~repeated]
        emptied = [
            str(c)
            for c in frame.columns
            if missing_mask(kept[c]).all()
            and not missing_mask(frame[c]).all()
            and c not in repeat_columns
        ]
        if repeating == "drop":
            notes["repeating_rows_dropped"] = [r for r, d in zip(rows, repeated, strict=True) if d]
            notes["repeating_columns_dropped"] = emptied
        frame = kept.drop(columns=emptied).reset_index(drop=True)
        rows = [r for r, d in zip(rows, repeated, strict=True) if not d]

    event_names = [to_text_value(v) for v in frame["redcap_event_name"].tolist()]
    labels: list[Any] = []
    if events is not None:
        allowed = {str(k): str(v) for k, v in events.items()}
        order: list[str] | None = list(dict.fromkeys(allowed.values()))
        for event, row in zip(event_names, rows, strict=True):
            if isinstance(event, str) and event not in allowed:
                problems.append(
                    Problem(
                        "unknown REDCap event",
                        file=file,
                        row=row,
                        column="redcap_event_name",
                        value=event,
                        expected=f"one of {quote_list(list(allowed))} (the keys of events=)",
                    )
                )
            labels.append(allowed.get(event) if isinstance(event, str) else None)
    else:
        order = None
        labels = [event_label(e) if isinstance(e, str) else None for e in event_names]

    out = frame.drop(columns=[c for c in (*_DROPPED, "redcap_event_name") if c in frame.columns])
    out.insert(min(1, len(out.columns)), "wave", pd.Series(labels, dtype=object))
    numbers = [_arm_number(e) for e in event_names]
    distinct = sorted({n for n in numbers if n is not None})
    if len(distinct) > 1:
        if "arm" in out.columns:
            problems.append(
                Problem(
                    "a field named 'arm' clashes with the arm taken from the event names",
                    file=file,
                    column="arm",
                    expected="no field called 'arm' in a multi-arm export",
                )
            )
        names = {to_text_value(k): str(v) for k, v in (arms or {}).items()}
        arm_values = [None if n is None else names.get(str(n), str(n)) for n in numbers]
        out.insert(min(2, len(out.columns)), "arm", pd.Series(arm_values, dtype=object))
    if "redcap_data_access_group" in out.columns and "site" not in out.columns:
        out = out.rename(columns={"redcap_data_access_group": "site"})
    complete = [str(c) for c in out.columns if str(c).endswith("_complete")]
    for column in complete:
        for position, value in enumerate(out[column].tolist()):
            if not is_missing(value) and to_text_value(value) not in ("0", "1", "2"):
                problems.append(
                    Problem(
                        "form status not 0, 1 or 2",
                        file=file,
                        row=rows[position],
                        column=column,
                        value=value,
                        expected="0 (incomplete), 1 (unverified) or 2 (complete)",
                    )
                )
    notes["redcap_forms"] = [c[: -len("_complete")] for c in complete]
    out = out.drop(columns=complete)
    work = Work(
        replace(raw, frame=out.reset_index(drop=True), rows=rows),
        columns={"wave": "redcap_event_name", "site": "redcap_data_access_group"}
        if "redcap_data_access_group" in frame.columns and "site" not in frame.columns
        else {"wave": "redcap_event_name"},
        wave_display=event_names,
        notes=notes,
        derived={"arm"} if len(distinct) > 1 else set(),
        hint="events={'<event name>': '<wave label>', ...} in time order, or waves=[...] "
        "ordering the labels "
        + quote_list(list(dict.fromkeys(label for label in labels if isinstance(label, str)))),
    )
    return work, order, problems


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _text_cell(value: Any) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat(" ")
    return str(to_text_value(value))


def text_cells(series: pd.Series) -> pd.Series:
    """A column as the text a CSV cell holds: missing -> "", whole numbers without ".0",
    dates as YYYY-MM-DD (with the time only when there is one)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        has_time = bool((series.dropna() != series.dropna().dt.normalize()).any())
        text = series.dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")
        return text.astype(object).where(series.notna(), "")
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("string").astype(object).where(series.notna(), "")
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
        series.dtype
    ):
        return series.astype(object).where(series.notna(), "")
    return pd.Series([_text_cell(v) for v in series.astype(object)], index=series.index)


def redcap_frame(
    long: pd.DataFrame,
    *,
    events: Mapping[str, str] | None = None,
    arms: Mapping[Any, int] | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """A validated long frame as the text cells of a REDCap long export (see write_redcap)."""
    waves = long["wave"].astype(object).tolist()
    arm_numbers = [1] * len(long)
    arm_field = "arm" in long.columns
    if arm_field and long["arm"].nunique(dropna=True) > 1:
        arm_field = False
        lookup = {str(k): int(v) for k, v in (arms or {}).items()}
        for i, value in enumerate(long["arm"].tolist()):
            if isinstance(value, str) and value in lookup:
                arm_numbers[i] = lookup[value]
            elif isinstance(value, str) and value.isdigit() and not arms:
                arm_numbers[i] = int(value)
            else:
                raise DataFormatError(
                    "arm cannot be written as a REDCap arm number",
                    file=file,
                    row=i + 1,
                    column="arm",
                    value=value,
                    expected="arm values '1', '2', ... or arms={'<arm>': <number>, ...} "
                    "covering every arm",
                )
    bases = {str(w): _slug(str(w)) for w in long["wave"].cat.categories}
    if events is not None:
        missing = [w for w in bases if w not in events]
        if missing:
            raise DataFormatError(
                "events= does not name an event for every wave",
                file=file,
                column="wave",
                value=missing,
                expected="a mapping wave label -> REDCap event name (without _arm_N)",
            )
        bases = {str(w): _slug(str(events[w])) for w in bases}
    cells: dict[str, list[str]] = {
        "record_id": text_cells(long["participant_id"]).tolist(),
        "redcap_event_name": [
            f"{bases[str(w)]}_arm_{n}" for w, n in zip(waves, arm_numbers, strict=True)
        ],
        "redcap_repeat_instrument": [""] * len(long),
        "redcap_repeat_instance": [""] * len(long),
    }
    fields = [c for c in long.columns if c not in ("participant_id", "wave")]
    if not arm_field:
        fields = [c for c in fields if c != "arm"]
    for column in [c for c in fields if not is_item_column(c)]:
        cells[column] = text_cells(long[column]).tolist()
    forms: dict[str, list[str]] = {}
    for column in [c for c in fields if is_item_column(c)]:
        forms.setdefault(column.rsplit("_", 1)[0], []).append(column)
    for form, columns in forms.items():
        for column in columns:
            cells[column] = text_cells(long[column]).tolist()
        done = long[columns].notna().all(axis=1).tolist()
        cells[f"{form}_complete"] = ["2" if d else "0" for d in done]
    return pd.DataFrame(cells, dtype=object)


def write_redcap_file(frame: pd.DataFrame, path: str | Path, **options: Any) -> None:
    """Write the cells of :func:`redcap_frame` as a CSV file."""
    redcap_frame(frame, file=str(path), **options).to_csv(path, index=False)
