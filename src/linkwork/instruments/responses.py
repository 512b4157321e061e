"""Find an instrument's item columns and check every response before anything is scored.

Responses are never coerced silently: a value is accepted only if it is missing (``NaN``,
``None``, ``pd.NA``) or a real number inside the declared range, integral when the scale is
integer. Strings are accepted only when they spell such a number exactly (``"3"`` or ``"3.0"``
on a 1-4 scale, never ``"often"``, ``" 3"`` or ``"2.5"``); booleans are always rejected.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from linkwork.errors import DataFormatError, InvalidResponse, PlanError
from linkwork.instruments.spec import InstrumentSpec

__all__ = ["item_columns", "item_matrix", "parse_responses"]

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def item_columns(spec: InstrumentSpec, columns: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Column names of *spec*'s items: the item keys, renamed by *columns* (key -> column)."""
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(spec.item_keys))
    if unknown:
        raise PlanError(
            f"columns maps keys that are not {spec.name} items",
            value=unknown,
            expected=f"item keys among {', '.join(spec.item_keys)}",
        )
    names = tuple(columns.get(key, key) for key in spec.item_keys)
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        raise PlanError(
            f"columns must map each {spec.name} item to its own column name",
            value=names,
            expected="distinct column names",
        )
    return names


def item_matrix(
    spec: InstrumentSpec, frame: pd.DataFrame, columns: Mapping[str, str] | None = None
) -> np.ndarray:
    """Validated raw responses as a float array (rows x items), ``NaN`` where missing.

    Raises
    ------
    DataFormatError
        When item columns are absent (all of them are named) or duplicated in *frame*.
    InvalidResponse
        For the first response outside the allowed values, naming row, column, value and range.
    """
    names = item_columns(spec, columns)
    absent = [name for name in names if name not in frame.columns]
    if absent:
        raise DataFormatError(
            f"{spec.name} item columns missing from the table: {', '.join(map(repr, absent))}",
            expected=f"columns {', '.join(names)} (or map item keys to columns with `columns=`)",
        )
    duplicated = [name for name in names if list(frame.columns).count(name) > 1]
    if duplicated:
        raise DataFormatError(
            f"{spec.name} item columns appear more than once: {', '.join(map(repr, duplicated))}"
        )
    out = np.empty((len(frame), len(names)), dtype=float)
    for j, name in enumerate(names):
        out[:, j] = parse_responses(spec, frame[name])
    return out


def parse_responses(spec: InstrumentSpec, column: pd.Series) -> np.ndarray:
    """Check one column of responses to *spec*; return them as floats (``NaN`` = missing).

    Examples
    --------
    >>> import pandas as pd
    >>> from linkwork.instruments import get
    >>> parse_responses(get("uls8"), pd.Series([1, None, "4"], dtype=object))
    array([ 1., nan,  4.])
    >>> from linkwork import InvalidResponse
    >>> try:
    ...     parse_responses(get("uls8"), pd.Series([2.5], name="uls8_1"))
    ... except InvalidResponse as error:
    ...     print(error.row, error.column, error.value, error.expected[:11])
    0 uls8_1 2.5 integer 1-4
    """
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        values = np.full(len(column), np.nan)
        bad = column.notna().to_numpy(dtype=bool, copy=True)
    elif pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        bad = np.zeros(len(column), dtype=bool)
    else:
        parsed = [_parse(v) for v in column.astype(object)]
        values = np.array([np.nan if p is None else p for p in parsed], dtype=float)
        bad = np.array([p is None for p in parsed], dtype=bool)
    r = spec.response
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values) & (values >= r.min) & (values <= r.max)
        if r.integer:
            ok &= np.floor(values) == values
    bad |= present & ~ok
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        more = int(bad.sum()) - 1
        value = column.iloc[pos]
        labels = r.describe_labels()
        raise InvalidResponse(
            f"invalid {spec.name} response"
            + (f" ({more} more invalid in this column)" if more else ""),
            row=_plain(column.index[pos]),
            column=None if column.name is None else str(column.name),
            value=_plain(value),
            expected=f"{r.describe()}{f' ({labels})' if labels else ''} or missing",
        )
    return values


def _parse(value: Any) -> float | None:
    """A response as a float, ``nan`` if missing, ``None`` if it is not a number at all."""
    if value is None or value is pd.NA:
        return math.nan
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Real | Decimal):
        return float(value)
    if isinstance(value, str):
        return float(value) if _NUMBER.fullmatch(value) else None
    return None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
