"""Input checks shared by the statistics modules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.errors import DataFormatError

__all__ = ["as_float"]


def as_float(series: pd.Series, column: str) -> npt.NDArray[np.float64]:
    """Float64 values of a numeric column, NaN for missing; rejects text, bools, infinities."""
    if series.ndim != 1 or not (
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    ):
        raise DataFormatError(
            "not numeric", column=column, value=str(series.dtype), expected="numbers or NaN"
        )
    out = series.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.isinf(out)
    if infinite.any():
        raise DataFormatError(
            "infinite value",
            column=column,
            row=series.index[np.flatnonzero(infinite)[0]],
            value=float(out[infinite][0]),
            expected="a finite number or NaN",
        )
    return out
