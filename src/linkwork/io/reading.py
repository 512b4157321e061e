"""The one entry point for files: :func:`read` (any supported format -> validated long format)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from linkwork.io._problems import Problem, raise_problems, sort_problems
from linkwork.io.convert import Work, convert
from linkwork.io.redcap import Repeating, reshape_redcap
from linkwork.io.tables import RawTable, load
from linkwork.io.waves import WaveOption
from linkwork.io.wide import reshape_wide

__all__ = ["check_file", "read"]


def check_file(
    path: str | Path,
    *,
    format: str | None = None,
    layout: Literal["long", "wide"] = "long",
    sheet: str | int | None = None,
    id_column: str | None = None,
    wave_column: str | None = None,
    waves: WaveOption = None,
    events: Mapping[str, str] | None = None,
    arms: Mapping[Any, str] | None = None,
    repeating: Repeating = "error",
    date_format: str | None = None,
    keep_empty: bool = False,
    encoding: str = "utf-8-sig",
    na_values: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[Problem], Work]:
    """Load and convert ``path``; return the best-effort long frame, all problems, the work.

    Problems that stop loading altogether (unknown format, unreadable file, bad header) are
    raised as :class:`~linkwork.errors.DataFormatError`; a missing file as
    :class:`FileNotFoundError`.
    """
    raw = load(path, format=format, sheet=sheet, encoding=encoding, na_values=na_values)
    long, problems, work = _check_raw(
        raw,
        layout=layout,
        id_column=id_column,
        wave_column=wave_column,
        waves=waves,
        events=events,
        arms=arms,
        repeating=repeating,
        date_format=date_format,
        keep_empty=keep_empty,
    )
    return long, sort_problems(problems, raw.rows), work


def _check_raw(
    raw: RawTable,
    *,
    layout: Literal["long", "wide"],
    id_column: str | None,
    wave_column: str | None,
    waves: WaveOption,
    events: Mapping[str, str] | None,
    arms: Mapping[Any, str] | None,
    repeating: Repeating,
    date_format: str | None,
    keep_empty: bool,
) -> tuple[pd.DataFrame, list[Problem], Work]:
    file = raw.file
    problems: list[Problem] = []
    if layout not in ("long", "wide"):
        problems.append(
            Problem("unknown layout", file=file, value=layout, expected="'long' or 'wide'")
        )
    if raw.format == "redcap":
        if layout != "long":
            problems.append(
                Problem(
                    "a REDCap export is long already",
                    file=file,
                    value=layout,
                    expected="layout='long'",
                )
            )
        if wave_column not in (None, "redcap_event_name"):
            problems.append(
                Problem(
                    "wave_column= does not apply to REDCap exports (the wave comes from "
                    "redcap_event_name; map events with events=)",
                    file=file,
                    value=wave_column,
                )
            )
        ident = id_column or "record_id"
        work, order, more = reshape_redcap(
            raw, id_column=ident, events=events, arms=arms, repeating=repeating
        )
        problems += more
        if any(p.column == "redcap_event_name" and p.row is None for p in more):
            return pd.DataFrame(), problems, work
        long, more = convert(
            work,
            id_column=ident,
            wave_column="wave",
            waves=waves if waves is not None else order,
            date_format=date_format,
        )
        return long, problems + more, work
    for option, value, default in (
        ("events", events, None),
        ("arms", arms, None),
        ("repeating", repeating, "error"),
    ):
        if value != default:
            problems.append(
                Problem(
                    f"{option}= applies to REDCap exports only",
                    file=file,
                    value=value,
                    expected="format='redcap' or no such option",
                )
            )
    ident = id_column or "participant_id"
    if layout == "wide":
        work, order, more = reshape_wide(raw, waves=waves, id_column=ident, keep_empty=keep_empty)
        if more:
            return pd.DataFrame(), problems + more, work
        long, more = convert(
            work, id_column=ident, wave_column="wave", waves=order, date_format=date_format
        )
        return long, problems + more, work
    work = Work(raw)
    long, more = convert(
        work,
        id_column=ident,
        wave_column=wave_column or "wave",
        waves=waves,
        date_format=date_format,
    )
    return long, problems + more, work


def read(
    path: str | Path,
    *,
    format: str | None = None,
    layout: Literal["long", "wide"] = "long",
    sheet: str | int | None = None,
    id_column: str | None = None,
    wave_column: str | None = None,
    waves: WaveOption = None,
    events: Mapping[str, str] | None = None,
    arms: Mapping[Any, str] | None = None,
    repeating: Repeating = "error",
    date_format: str | None = None,
    keep_empty: bool = False,
    encoding: str = "utf-8-sig",
    na_values: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a data file into the validated long format (one row per participant x wave).

    All or nothing: any problem raises, and nothing is returned. Rows are never dropped
    silently (blank lines of text files and spreadsheets are skipped and listed in
    ``attrs["blank_rows"]``).

    Parameters
    ----------
    path:
        CSV/TSV, Excel (.xlsx), SPSS (.sav), Stata (.dta) or a REDCap long CSV export (a
        ``.csv`` whose header has ``redcap_event_name``).
    format:
        Overrides the extension: ``"csv"``, ``"tsv"``, ``"xlsx"``, ``"sav"``, ``"dta"``,
        ``"redcap"`` (aliases ``"excel"``, ``"spss"``, ``"stata"``).
    layout:
        ``"long"`` (default) or ``"wide"`` (one row per participant, columns like
        ``uls8_1_t1``; see :func:`linkwork.io.wide_to_long`).
    sheet:
        Excel sheet name or 0-based position (default: the first sheet).
    id_column:
        Column holding the participant id (default ``participant_id``; REDCap ``record_id``).
    wave_column:
        Column holding the wave (default ``wave``; not for REDCap or wide files).
    waves:
        Wave labels in time order (``["T1", "T2", "T3"]``), validating them, or a mapping raw
        value -> label (``{"baseline": "T1", ...}``) that also renames. Needed when the labels
        do not sort naturally (T1, T2, ...) and the column is not an ordered categorical.
    events:
        REDCap: mapping event name -> wave label, in time order (default: ``<label>_arm_<n>``
        -> ``<label>``, with ``t1``... upper-cased to ``T1``...).
    arms:
        REDCap with several arms: mapping arm number -> arm name (default ``"1"``, ``"2"``...).
    repeating:
        REDCap repeating instruments/events: ``"error"`` (default) or ``"drop"`` (rows listed in
        ``attrs["repeating_rows_dropped"]``).
    date_format:
        ``strptime`` format for text in ``date`` (default ISO 8601 ``YYYY-MM-DD``).
    keep_empty:
        Wide layout: keep participant-waves without any wave-specific value.
    encoding:
        Text encodings (default UTF-8 with or without byte-order mark).
    na_values:
        Text files and spreadsheets: cells that mean missing besides empty ones (default
        ``NA``, ``N/A``, ``n/a``, ``NaN``, ``nan``, ``NULL``, ``null``, ``#N/A``; ``[]`` keeps
        them as text).

    Returns
    -------
    pandas.DataFrame
        ``participant_id`` (text), ``wave`` (ordered Categorical), then ``date``, ``arm``,
        ``site``, ``link_worker`` when present, other columns, then item columns (``Int64``
        response codes, float64 if any is fractional).
        ``attrs``: ``source``, ``format``, ``variable_labels``, ``value_labels`` and notes.

    Raises
    ------
    linkwork.DataFormatError
        Naming the file, the data row (counted from 1 below the header), the column as in
        the file, the value and what was expected; the message says how many problems there
        are (:func:`linkwork.io.validate` lists them all).
    FileNotFoundError
        When ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cohort.csv"
    >>> _ = path.write_text("participant_id,wave,k6_1\\nP1,T2,1\\nP1,T1,3\\n")
    >>> frame = read(path)
    >>> frame["wave"].cat.categories.tolist(), frame["k6_1"].dtype.name
    (['T1', 'T2'], 'Int64')
    """
    long, problems, _ = check_file(
        path,
        format=format,
        layout=layout,
        sheet=sheet,
        id_column=id_column,
        wave_column=wave_column,
        waves=waves,
        events=events,
        arms=arms,
        repeating=repeating,
        date_format=date_format,
        keep_empty=keep_empty,
        encoding=encoding,
        na_values=na_values,
    )
    raise_problems(problems)
    return long
