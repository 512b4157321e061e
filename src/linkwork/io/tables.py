"""Raw tables from files: format detection, loading and :func:`read_table`.

Loading keeps what the file says: text files are read as text (so ``"007"`` stays ``"007"``),
spreadsheet cells keep their Python types, SPSS and Stata keep their numeric codes, with value
and variable labels carried beside the frame. Data rows are numbered from 1 below the header;
wholly blank lines of text files and spreadsheets are skipped but counted (``blank_rows``).
"""

from __future__ import annotations

import csv
import datetime as _dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkwork.errors import DataFormatError
from linkwork.io._problems import quote_list
from linkwork.io._values import (
    MISSING_TOKENS,
    missing_mask,
    narrow_numbers,
    parse_dates,
    parse_numbers,
    to_text,
    to_text_value,
)

__all__ = ["FORMATS", "RawTable", "detect_format", "load", "read_table"]

#: Supported formats: name -> what it is.
FORMATS: dict[str, str] = {
    "csv": "comma-separated text (.csv, optionally compressed .csv.gz)",
    "tsv": "tab-separated text (.tsv, .tab)",
    "xlsx": "Excel workbook (.xlsx, .xlsm); choose the sheet with sheet=",
    "sav": "SPSS system file (.sav, .zsav) with value and variable labels",
    "dta": "Stata data file (.dta) with value and variable labels",
    "redcap": "REDCap longitudinal CSV export (record_id, redcap_event_name, ...)",
}
_ALIASES = {"excel": "xlsx", "xls": "xlsx", "spss": "sav", "stata": "dta", "text": "csv"}
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".dta": "dta",
}
_COMPRESSION = {".gz", ".bz2", ".zip", ".xz", ".zst"}
_ID_LIKE = ("participant_id", "record_id")


@dataclass(frozen=True, slots=True, eq=False)
class RawTable:
    """A table as loaded, with where each row came from and the file's labels."""

    frame: pd.DataFrame
    rows: list[Hashable]
    file: str | None
    format: str | None
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)
    blank_rows: list[Hashable] = field(default_factory=list)


def _expected_formats() -> str:
    return "one of " + ", ".join(repr(name) for name in FORMATS) + " (or a known extension)"


def detect_format(path: str | Path, format: str | None = None) -> str:
    """The format name of ``path``: ``format`` if given, else from the extension.

    A ``.csv`` file whose header has ``redcap_event_name`` is a REDCap export.

    >>> detect_format("cohort.sav"), detect_format("x.data", format="Stata")
    ('sav', 'dta')
    """
    file = str(path)
    if format is not None:
        name = format.strip().lower().lstrip(".")
        name = _ALIASES.get(name, name)
        if name not in FORMATS:
            raise DataFormatError(
                "unknown format", file=file, value=format, expected=_expected_formats()
            )
        return name
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in _EXTENSIONS:
        raise DataFormatError(
            "cannot tell the format from the file extension; pass format=",
            file=file,
            value=suffix or Path(path).name,
            expected=_expected_formats(),
        )
    name = _EXTENSIONS[suffix]
    if name == "csv" and Path(path).is_file() and _has_redcap_header(path):
        return "redcap"
    return name


def _has_redcap_header(path: str | Path) -> bool:
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig", dtype=str)
    except (ValueError, UnicodeDecodeError, OSError):
        return False
    return "redcap_event_name" in [str(c).strip() for c in head.columns]


def load(
    path: str | Path,
    *,
    format: str | None = None,
    sheet: str | int | None = None,
    encoding: str = "utf-8-sig",
    na_values: Sequence[str] | None = None,
) -> RawTable:
    """Load ``path`` without interpreting it (see the module docstring).

    In text files and spreadsheets, empty cells and ``na_values`` (default
    :data:`~linkwork.io._values.MISSING_TOKENS`) are missing.
    """
    tokens = list(MISSING_TOKENS if na_values is None else na_values)
    file = str(path)
    name = detect_format(path, format)
    if not Path(path).is_file():
        raise FileNotFoundError(f"file {file} does not exist")
    if sheet is not None and name != "xlsx":
        raise DataFormatError("sheet= applies to Excel files only", file=file, value=sheet)
    if name in ("csv", "tsv", "redcap"):
        sep = "\t" if name == "tsv" else ","
        grid = _read_text(path, sep=sep, encoding=encoding, na_values=tokens)
        return _from_grid(grid, file, name)
    if name == "xlsx":
        return _from_grid(_read_excel(path, sheet, tokens), file, name)
    return _read_labelled(path, name)


def _read_text(path: str | Path, *, sep: str, encoding: str, na_values: list[str]) -> pd.DataFrame:
    file = str(path)
    try:
        return pd.read_csv(
            path,
            header=None,
            dtype=str,
            sep=sep,
            skip_blank_lines=False,
            encoding=encoding,
            keep_default_na=False,
            na_values=na_values,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.EmptyDataError:
        raise DataFormatError("the file is empty", file=file, expected="a header row") from None
    except pd.errors.ParserError as exc:
        raise DataFormatError(
            f"cannot parse the text file ({exc})",
            file=file,
            expected="the same number of fields on every line",
        ) from None
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"cannot decode the file as {encoding} ({exc.reason} at byte {exc.start})",
            file=file,
            expected="UTF-8 text, or pass encoding=",
        ) from None


def _read_excel(path: str | Path, sheet: str | int | None, na_values: list[str]) -> pd.DataFrame:
    file = str(path)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (ValueError, OSError, KeyError) as exc:
        raise DataFormatError(f"cannot open the workbook ({exc})", file=file) from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if isinstance(sheet, str) and sheet not in names:
            raise DataFormatError(
                "no such sheet", file=file, value=sheet, expected=f"one of {quote_list(names)}"
            )
        if isinstance(sheet, int) and not 0 <= sheet < len(names):
            raise DataFormatError(
                "no such sheet", file=file, value=sheet, expected=f"0 to {len(names) - 1}"
            )
        frame = pd.read_excel(
            book,
            sheet_name=0 if sheet is None else sheet,
            header=None,
            dtype=object,
            keep_default_na=False,
            na_values=na_values,
        )
    if not isinstance(frame, pd.DataFrame):  # pragma: no cover - one sheet was asked for
        raise TypeError("expected one sheet")
    return frame


def _from_grid(grid: pd.DataFrame, file: str, name: str) -> RawTable:
    """Split a header-less grid into header and data rows, checking the header."""
    if grid.shape[0] == 0:
        raise DataFormatError("the file is empty", file=file, expected="a header row")
    header = [to_text_value(v) for v in grid.iloc[0].tolist()]
    data = grid.iloc[1:]
    keep: list[int] = []
    columns: list[str] = []
    seen: dict[str, int] = {}
    for position, title in enumerate(header):
        has_data = not missing_mask(data.iloc[:, position]).all()
        if not isinstance(title, str):
            if has_data:
                raise DataFormatError(
                    f"column {position + 1} has values but no name in the header",
                    file=file,
                    row=None,
                    expected="a column name in the header row",
                )
            continue  # an empty, unnamed column (e.g. trailing separators) holds nothing
        if title in seen:
            raise DataFormatError(
                f"duplicate column name (columns {seen[title] + 1} and {position + 1})",
                file=file,
                column=title,
                expected="distinct column names",
            )
        seen[title] = position
        keep.append(position)
        columns.append(title)
    body = data.iloc[:, keep].copy()
    body.columns = pd.Index(columns, dtype=object)
    rows: list[Hashable] = list(range(1, len(body) + 1))
    blank = np.ones(len(body), dtype=bool)
    for column in body.columns:
        blank &= missing_mask(body[column])
    blank_rows = [r for r, b in zip(rows, blank.tolist(), strict=True) if b]
    body = body.iloc[np.flatnonzero(~blank)].reset_index(drop=True)
    rows = [r for r, b in zip(rows, blank.tolist(), strict=True) if not b]
    return RawTable(body, rows, file, name, blank_rows=blank_rows)


def _read_labelled(path: str | Path, name: str) -> RawTable:
    import pyreadstat

    file = str(path)
    reader = pyreadstat.read_sav if name == "sav" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), dates_as_pandas_datetime=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own error types for unreadable files
        kind = "SPSS .sav" if name == "sav" else "Stata .dta"
        raise DataFormatError(f"cannot read the file as {kind} ({exc})", file=file) from None
    frame.columns = pd.Index([str(c) for c in frame.columns], dtype=object)
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_string_dtype(series.dtype) and not is_numeric(series):
            frame[column] = series.where(~missing_mask(series))
    value_labels = {
        str(column): dict(labels) for column, labels in meta.variable_value_labels.items()
    }
    variable_labels = {
        str(column): str(label)
        for column, label in meta.column_names_to_labels.items()
        if label is not None and str(label) != ""
    }
    rows: list[Hashable] = list(range(1, len(frame) + 1))
    return RawTable(frame, rows, file, name, value_labels, variable_labels)


def is_numeric(series: pd.Series) -> bool:
    """Whether the column has a numeric (not boolean) dtype."""
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )


def infer_column(series: pd.Series, *, text: bool = False) -> pd.Series:
    """Numbers if every present value is one, dates if every one is a date, else text."""
    if text:
        return to_text(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return parse_dates(series)[0]
    if is_numeric(series):
        return narrow_numbers(series.astype("float64"))
    absent = missing_mask(series)
    if absent.all():
        return pd.Series(np.nan, index=series.index, dtype="float64")
    numbers, bad = parse_numbers(series)
    if not bad.any():
        return narrow_numbers(numbers)
    present = series.astype(object)[~absent]
    if all(isinstance(v, pd.Timestamp | _dt.date) for v in present):
        return parse_dates(series)[0]
    return to_text(series)


def read_table(
    path: str | Path,
    *,
    format: str | None = None,
    sheet: str | int | None = None,
    id_column: str | None = None,
    encoding: str = "utf-8-sig",
    na_values: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read any supported file as a plain table, without long-format validation.

    Parameters
    ----------
    path:
        The file. Its extension picks the format unless ``format`` is given (see
        :data:`FORMATS`); a ``.csv`` with a ``redcap_event_name`` column is read as it is.
    format:
        ``"csv"``, ``"tsv"``, ``"xlsx"``, ``"sav"``, ``"dta"`` or ``"redcap"``.
    sheet:
        Excel only: sheet name or 0-based position (default: the first sheet).
    id_column:
        A column to keep as text (``participant_id`` and ``record_id`` always are), so that
        identifiers such as ``"007"`` keep their leading zeros.
    encoding:
        Text files only (default UTF-8, with or without a byte-order mark).
    na_values:
        Text files and spreadsheets: cells that mean missing besides empty ones (default
        ``NA``, ``N/A``, ``n/a``, ``NaN``, ``nan``, ``NULL``, ``null``, ``#N/A``).

    Returns
    -------
    pandas.DataFrame
        Columns as in the file. Text and spreadsheet columns become numbers when every value
        is one (int64 when whole and complete, else float64), else text; SPSS/Stata columns
        keep their stored codes. ``attrs`` holds
        ``source``, ``format``, ``variable_labels`` and ``value_labels`` (SPSS/Stata).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("participant_id,wave,uls8_1\\n007,T1,2\\n")
    >>> table = read_table(path)
    >>> table["participant_id"].tolist(), table["uls8_1"].tolist()
    (['007'], [2])
    """
    raw = load(path, format=format, sheet=sheet, encoding=encoding, na_values=na_values)
    keep_text = set(_ID_LIKE) | ({id_column} if id_column else set())
    frame = raw.frame
    if raw.format not in ("sav", "dta"):
        frame = pd.DataFrame(
            {c: infer_column(frame[c], text=c in keep_text) for c in frame.columns},
            index=frame.index,
        )
    frame.attrs.update(table_attrs(raw))
    return frame


def table_attrs(raw: RawTable) -> dict[str, Any]:
    """The ``attrs`` every reader sets: source file, format, labels, blank rows skipped."""
    attrs: dict[str, Any] = {"source": raw.file, "format": raw.format}
    attrs["variable_labels"] = dict(raw.variable_labels)
    attrs["value_labels"] = {k: dict(v) for k, v in raw.value_labels.items()}
    if raw.blank_rows:
        attrs["blank_rows"] = list(raw.blank_rows)
    return attrs


def frame_to_raw(frame: pd.DataFrame, file: str | None = None) -> RawTable:
    """Wrap an in-memory frame; its rows are named by index label."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    renamed = frame.copy()
    renamed.columns = pd.Index([str(c) for c in frame.columns], dtype=object)
    if renamed.columns.has_duplicates:
        dup = renamed.columns[renamed.columns.duplicated()][0]
        raise DataFormatError(
            "duplicate column name", file=file, column=dup, expected="distinct column names"
        )
    attrs = frame.attrs if isinstance(frame.attrs, Mapping) else {}
    return RawTable(
        renamed.reset_index(drop=True),
        list(frame.index),
        file,
        None,
        {str(k): dict(v) for k, v in dict(attrs.get("value_labels", {}) or {}).items()},
        {str(k): str(v) for k, v in dict(attrs.get("variable_labels", {}) or {}).items()},
    )
