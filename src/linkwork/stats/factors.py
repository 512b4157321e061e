"""Factors as R makes them: level orders, labels, codes, and grouping factors.

* Character, boolean and categorical columns become factors with R's level order: sorted
  unique values (numbers numerically, strings by code point), a pandas Categorical's category
  order (unused categories dropped, as lme4 drops unused grouping levels), ``FALSE``/``TRUE``
  for booleans.
* Level labels are what R's ``as.character`` prints (``1`` not ``1.0``, 15 significant digits).
* Grouping factors are integer codes (stored in the smallest integer type) with labels built
  only on demand; an interaction ``id:site`` has levels ``"1:a"`` ordered as R's ``:``
  operator orders them (first factor slowest, unobserved combinations dropped).

Validated against R 4.2.2 ``factor()`` and lme4 1.1-31 ``ranef``/``ngrps`` row names
(tests/stats/test_factors.py and the R comparison tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.stats.patterns import CHUNK, count_codes, small_int

__all__ = [
    "GroupingFactor",
    "Levels",
    "compact",
    "factorize",
    "grouping_factor",
    "is_factor",
    "r_label",
]

IntArray = npt.NDArray[np.intp]
Codes = npt.NDArray[np.integer]
Levels = Any  # level values in R's order: a list, numpy array or pandas Index


def r_label(value: Any) -> str:
    """A value as R's ``as.character`` prints a factor level (15 significant digits).

    >>> [r_label(v) for v in (1.0, 2, 0.1, True, "T1")]
    ['1', '2', '0.1', 'TRUE', 'T1']
    """
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | np.floating):
        return f"{float(value):.15g}"
    return str(value)


@dataclass(frozen=True, slots=True)
class GroupingFactor:
    """A grouping factor: integer codes per observation and the level labels on demand."""

    name: str
    codes: npt.NDArray[np.integer]
    n_levels: int
    parts: tuple[tuple[IntArray, Levels], ...] = field(repr=False)

    def labels(self) -> list[str]:
        """Level labels in R's order (``"1:a"`` for an interaction)."""
        pieces = [_level_labels(levels)[codes] for codes, levels in self.parts]
        if len(pieces) == 1:
            return pieces[0].tolist()
        return [":".join(parts) for parts in zip(*pieces, strict=True)]


def _level_labels(levels: Levels) -> npt.NDArray[np.object_]:
    """R labels of factor levels as an object array (vectorised for integers)."""
    arr = np.asarray(levels)
    if arr.dtype.kind in "iu":
        return arr.astype(str).astype(object)
    return np.array([r_label(v) for v in levels], dtype=object)


def compact(codes: npt.NDArray[np.integer], k: int) -> npt.NDArray[np.integer]:
    """Codes 0..k-1 in the smallest integer type that holds them (memory at large N).

    >>> compact(np.array([0, 2, 1]), 3).dtype
    dtype('int8')
    """
    for dtype in (np.int8, np.int16, np.int32):
        if k <= np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes.astype(np.int64, copy=False)


def factorize(values: pd.Series) -> tuple[Codes, Levels]:
    """Codes and levels of a column as R's ``factor()`` (unused levels dropped).

    Integer columns with a compact range are coded by a lookup table (no hashing or sorting:
    O(N) for participant ids), other columns by ``pandas.factorize(sort=True)``.

    >>> codes, levels = factorize(pd.Series([10, 2, 1, 10]))
    >>> codes.tolist(), [r_label(v) for v in levels]
    ([2, 1, 0, 2], ['1', '2', '10'])
    >>> codes, levels = factorize(pd.Series(pd.Categorical(["b", "a"], categories=["c", "b", "a"])))
    >>> codes.tolist(), list(levels)
    ([0, 1], ['b', 'a'])
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()  # int8/int16...: kept compact
        cats = values.cat.categories
        used = count_codes(codes, len(cats)) > 0
        if used.all():
            return codes, cats
        lut = (np.cumsum(used) - 1).astype(small_int(int(used.sum())))
        return lut[codes], cats[used]
    arr = values.to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        b = arr.astype(bool)
        levels = [v for v in (False, True) if (b == v).any()]
        return (b.astype(np.intp) if len(levels) == 2 else np.zeros(len(b), np.intp)), levels
    if pd.api.types.is_integer_dtype(dtype) and len(arr):
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo <= 4 * len(arr) + 1024:
            shifted = np.empty(len(arr), dtype=small_int(hi - lo))
            for start in range(0, len(arr), CHUNK):  # no temporary as long as the column
                shifted[start : start + CHUNK] = arr[start : start + CHUNK] - lo
            present = count_codes(shifted, hi - lo + 1) > 0
            if present.all():
                return shifted, range(lo, hi + 1)
            lut = (np.cumsum(present) - 1).astype(small_int(int(present.sum())))
            return lut[shifted], np.flatnonzero(present) + lo
    if pd.api.types.is_numeric_dtype(dtype):
        codes, uniques = pd.factorize(arr, sort=True)
        return codes.astype(np.intp), uniques
    strings = values.astype(str) if pd.api.types.is_object_dtype(dtype) else values
    codes, uniq = pd.factorize(strings, sort=True)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniq, dtype=object)


def is_factor(values: pd.Series) -> bool:
    """Whether R would treat the column as a factor (categorical, text or boolean).

    >>> is_factor(pd.Series([True, False])), is_factor(pd.Series([1.5, 2.0]))
    (True, False)
    """
    dtype = values.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or not pd.api.types.is_numeric_dtype(dtype)
        or (pd.api.types.is_bool_dtype(dtype))
    )


def grouping_factor(
    name: str, variables: tuple[str, ...], cols: dict[str, tuple[Codes, Levels]]
) -> GroupingFactor:
    """The grouping factor *name* from one variable or the interaction of several.

    *cols* maps each variable to its :func:`factorize` result. Interaction levels are the
    observed combinations in R's ``:`` order (first variable slowest).

    >>> ids, sites = pd.Series([1, 1, 2]), pd.Series(["b", "a", "a"])
    >>> cols = {"id": factorize(ids), "site": factorize(sites)}
    >>> g = grouping_factor("id:site", ("id", "site"), cols)
    >>> g.labels(), g.codes.tolist()
    (['1:a', '1:b', '2:a'], [1, 0, 2])
    """
    codes, levels = cols[variables[0]]
    parts: list[tuple[IntArray, Levels]] = []
    if len(variables) == 1:
        return GroupingFactor(
            name, compact(codes, len(levels)), len(levels), ((np.arange(len(levels)), levels),)
        )
    key = np.zeros(codes.shape[0], dtype=np.int64)
    size = 1
    for var in variables:
        c, lev = cols[var]
        key = key * len(lev) + c
        size *= len(lev)
    present = np.flatnonzero(np.bincount(key, minlength=size) > 0)
    lut = np.full(size, -1, dtype=np.intp)
    lut[present] = np.arange(present.shape[0])
    rest = present.copy()
    decoded: list[IntArray] = []
    for var in reversed(variables):
        n = len(cols[var][1])
        decoded.append(rest % n)
        rest //= n
    for var, level_codes in zip(variables, reversed(decoded), strict=True):
        parts.append((level_codes.astype(np.intp), cols[var][1]))
    k = int(present.shape[0])
    return GroupingFactor(name, compact(lut[key], k), k, tuple(parts))
