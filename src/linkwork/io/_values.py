"""Cell-level conversions shared by every reader: numbers, text, dates and column roles.

Whatever the source format, the dtype follows the values: item columns are nullable ``Int64``
when every response is a whole number (else float64), other numeric columns ``int64`` when
whole and complete (else float64); text is pandas' string dtype, dates ``datetime64[ns]``.
A cell that cannot be converted is reported by position so that the caller can name its row
and column.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = [
    "DATE_DTYPE",
    "ITEM_PATTERN",
    "MISSING_TOKENS",
    "TEXT_COLUMNS",
    "is_item_column",
    "is_missing",
    "missing_mask",
    "narrow_items",
    "narrow_numbers",
    "parse_dates",
    "parse_numbers",
    "to_text",
    "to_text_value",
]

#: Item columns are ``<instrument>_<k>`` with k = 1, 2, ... (the contract's naming).
ITEM_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*?_[0-9]+$")

#: Cells of text files and spreadsheets that mean "missing" (besides empty cells), unless a
#: reader is given ``na_values=``. ``None`` is not among them: it can be an answer.
MISSING_TOKENS: tuple[str, ...] = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "#N/A")

#: Columns that are always text in the long format, even when their values look numeric.
TEXT_COLUMNS = ("participant_id", "arm", "site", "link_worker")

#: The dtype of the ``date`` column (as in :func:`linkwork.datasets.demo_cohort`).
DATE_DTYPE: Final = "datetime64[ns]"

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_ISO_DATE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)


def is_item_column(name: str) -> bool:
    """Whether ``name`` has the item-column form ``<instrument>_<k>``.

    >>> is_item_column("uls8_3"), is_item_column("age"), is_item_column("uls8_1_t1")
    (True, False, False)
    """
    return bool(ITEM_PATTERN.match(name))


def is_missing(value: Any) -> bool:
    """Missing cell: None, NaN/NaT/NA, or a string that is empty after stripping."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, np.floating) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def missing_mask(series: pd.Series) -> np.ndarray:
    """Boolean mask of missing cells (see :func:`is_missing`), vectorised where possible.

    >>> missing_mask(pd.Series(["a", " ", None], dtype="str")).tolist()
    [False, True, True]
    """
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
        series.dtype
    ):
        stripped = series.str.strip()
        return (stripped.isna() | (stripped == "")).to_numpy(dtype=bool)
    if not pd.api.types.is_object_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    ):
        return series.isna().to_numpy(dtype=bool)
    cells = series.astype(object)
    return np.fromiter((is_missing(v) for v in cells), dtype=bool, count=len(series))


def _number(value: Any) -> float | None:
    """A finite float for a number or numeric string; ``None`` when it is not one."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return float(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        return float(text) if _NUMBER.match(text) else None
    return None


def parse_numbers(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Convert to float64; return the numbers and a boolean mask of unconvertible cells.

    Missing cells become NaN and are not flagged.

    >>> numbers, bad = parse_numbers(pd.Series(["1", " 2.5 ", None, "x", ""]))
    >>> numbers.tolist()[:2], bad.tolist()
    ([1.0, 2.5], [False, False, False, True, False])
    """
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        return pd.Series(np.full(n, np.nan), index=series.index), series.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype):
        out = series.astype("float64")
        bad = ~np.isfinite(out.to_numpy()) & out.notna().to_numpy()
        return out.where(~bad), bad
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
        series.dtype
    ):
        # Fast path for text columns (CSV): one vectorised regex test and conversion.
        stripped = series.str.strip()
        present = (stripped.notna() & (stripped != "")).to_numpy(dtype=bool)
        numeric = stripped.str.fullmatch(_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
        out = stripped.where(numeric).astype("float64")
        return out, present & ~numeric
    values = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    for i, value in enumerate(series.astype(object).tolist()):
        if is_missing(value):
            continue
        number = _number(value)
        if number is None:
            bad[i] = True
        else:
            values[i] = number
    return pd.Series(values, index=series.index, dtype="float64"), bad


def to_text_value(value: Any) -> Any:
    """One cell as stripped text; integral numbers without a trailing ``.0``; missing -> NaN.

    >>> to_text_value(12.0), to_text_value(" P01 "), to_text_value(None)
    ('12', 'P01', nan)
    """
    if is_missing(value):
        return np.nan
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
        return value.isoformat()
    return str(value).strip()


def to_text(series: pd.Series) -> pd.Series:
    """A column as pandas' string dtype (see :func:`to_text_value`)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    elif pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
        series.dtype
    ):
        stripped = series.str.strip()
        return stripped.where(stripped != "").astype("str")
    return pd.Series(
        [to_text_value(v) for v in series.astype(object).tolist()],
        index=series.index,
        dtype="str",
    )


def parse_dates(series: pd.Series, date_format: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """Convert to ``datetime64[us]``; return the dates and a mask of cells that are not dates.

    Text must be ISO 8601 (``YYYY-MM-DD``, optionally with a time) unless ``date_format``
    (a :func:`time.strptime` format such as ``"%d/%m/%Y"``) is given. Date and datetime objects
    (Excel, SPSS, Stata) are taken as they are; numbers are not dates.

    >>> dates, bad = parse_dates(pd.Series(["2021-03-04", "04/03/2021", None]))
    >>> dates.dt.strftime("%Y-%m-%d").tolist()[0], bad.tolist()
    ('2021-03-04', [False, True, False])
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series
        if getattr(series.dtype, "tz", None) is not None:
            out = series.dt.tz_localize(None)
        return out.astype(DATE_DTYPE), np.zeros(len(series), dtype=bool)
    if (
        date_format is None
        and pd.api.types.is_string_dtype(series.dtype)
        and not pd.api.types.is_object_dtype(series.dtype)
    ):
        # Fast path for text columns: a vectorised ISO 8601 check, then one parse.
        stripped = series.str.strip()
        present = (stripped.notna() & (stripped != "")).to_numpy(dtype=bool)
        iso = stripped.str.fullmatch(_ISO_DATE.pattern).fillna(False).to_numpy(dtype=bool)
        dates = pd.to_datetime(stripped.where(iso), format="ISO8601", errors="coerce")
        bad = present & (~iso | dates.isna().to_numpy(dtype=bool))
        return dates.astype(DATE_DTYPE), bad
    values: list[Any] = []
    bad = np.zeros(len(series), dtype=bool)
    for i, value in enumerate(series.astype(object).tolist()):
        if is_missing(value):
            values.append(pd.NaT)
        elif isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
            values.append(pd.Timestamp(value))
        elif isinstance(value, str):
            text = value.strip()
            parsed: Any = pd.NaT
            if date_format is not None:
                try:
                    parsed = pd.Timestamp(_dt.datetime.strptime(text, date_format))
                except ValueError:
                    parsed = pd.NaT
            elif _ISO_DATE.match(text):
                try:
                    parsed = pd.Timestamp(text)
                except ValueError:
                    parsed = pd.NaT
            if parsed is pd.NaT:
                bad[i] = True
            values.append(parsed)
        else:
            bad[i] = True
            values.append(pd.NaT)
    out = pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), index=series.index)
    return out.astype(DATE_DTYPE), bad


def _whole(values: np.ndarray) -> bool:
    present = values[~np.isnan(values)]
    return bool(np.all(present == np.round(present)) and np.all(np.abs(present) < 2.0**53))


def narrow_items(numbers: pd.Series) -> pd.Series:
    """Response codes: nullable ``Int64`` when all are whole numbers, else float64.

    >>> narrow_items(pd.Series([1.0, None])).dtype.name, narrow_items(pd.Series([1.5])).dtype.name
    ('Int64', 'float64')
    """
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    return numbers.astype("Int64") if _whole(values) else numbers.astype("float64")


def narrow_numbers(numbers: pd.Series) -> pd.Series:
    """Other numbers: ``int64`` when all present and whole, else float64.

    >>> narrow_numbers(pd.Series([53.0, 61.0])).dtype.name
    'int64'
    >>> narrow_numbers(pd.Series([53.0, None])).dtype.name
    'float64'
    """
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    if len(values) and not np.isnan(values).any() and _whole(values):
        return numbers.astype("int64")
    return numbers.astype("float64")
