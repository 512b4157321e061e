"""Pattern codes: numbering the distinct rows of a table of integer or float columns.

Used for the distinct design rows of a model frame (:mod:`linkwork.stats.design`) and for
pooling groups with equal random-effects designs (:mod:`linkwork.stats.suffstats`). Small
non-negative integer columns are used as they are (mixed-radix keys, dense re-numbering by
``bincount``); other columns by hashing (``pandas.factorize``). Everything is O(N).

Validated by tests/stats/test_patterns.py.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["CHUNK", "compress", "count_codes", "first_index", "row_patterns", "small_int"]

IntArray = npt.NDArray[np.intp]
Codes = npt.NDArray[np.integer]

#: Rows per chunk for passes that must not allocate arrays as long as the data.
CHUNK = 1 << 16


def small_int(k: int) -> type[np.signedinteger]:
    """The smallest signed integer type holding 0..k."""
    for dtype in (np.int8, np.int16, np.int32):
        if k <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def count_codes(codes: Codes, k: int) -> npt.NDArray[np.int64]:
    """How often each code 0..k-1 occurs, counted in chunks.

    ``np.bincount`` first converts its whole input to ``intp``; in chunks no temporary as
    long as the data is formed (each costs its size in memory and page faults at large N).

    >>> count_codes(np.array([2, 0, 2], dtype=np.int8), 4).tolist()
    [1, 0, 2, 0]
    >>> int(count_codes(np.arange(200_000) // 2, 100_000)[-1])
    2
    """
    n = codes.shape[0]
    if k <= CHUNK:
        out = np.zeros(k, dtype=np.int64)
        for start in range(0, n, CHUNK):
            out += np.bincount(codes[start : start + CHUNK], minlength=k)
        return out
    # many codes (e.g. participant ids): chunks count into the range of codes they contain,
    # which is short when the data are sorted; otherwise one plain bincount
    out = np.zeros(k, dtype=np.int64)
    for start in range(0, n, CHUNK):
        part = codes[start : start + CHUNK]
        lo, hi = int(part.min()), int(part.max())
        if hi - lo > 4 * CHUNK:
            return np.bincount(codes, minlength=k).astype(np.int64, copy=False)
        out[lo : hi + 1] += np.bincount(part - lo, minlength=hi - lo + 1)
    return out


def compress(key: Codes, size: int) -> tuple[Codes, int]:
    """Dense codes 0..K-1 of integer keys in [0, size), in increasing key order.

    Keys that are already dense are returned as they are (same array, same type).
    """
    if size <= max(4 * key.shape[0], 1 << 16):
        present = count_codes(key, size) > 0
        k = int(present.sum())
        if k == size:
            return key, k
        lut = (np.cumsum(present) - 1).astype(small_int(k))
        return lut[key], k
    codes, uniques = pd.factorize(key, sort=False)  # order of first appearance
    return codes.astype(np.intp, copy=False), len(uniques)


def _whole(col: npt.NDArray[np.floating]) -> Codes | None:
    """A float column of small non-negative whole numbers (e.g. time 0, 1, 2) as integers."""
    lo, hi = float(np.min(col)), float(np.max(col))
    if not (lo >= 0 and hi < 1 << 30):
        return None
    out = np.empty(col.shape[0], dtype=small_int(int(hi)))
    for start in range(0, col.shape[0], CHUNK):
        part = col[start : start + CHUNK]
        as_int = part.astype(out.dtype)
        if not np.array_equal(as_int, part):
            return None
        out[start : start + CHUNK] = as_int
    return out


def _codes(col: npt.NDArray[np.generic]) -> tuple[Codes, int]:
    """Integer codes of a column and their range (small non-negative integers as they are)."""
    if col.dtype.kind == "f" and col.shape[0]:
        whole = _whole(col)  # type: ignore[arg-type]
        if whole is not None:
            col = whole
    if col.dtype.kind in "iub" and col.shape[0]:
        lo, hi = int(col.min()), int(col.max())
        if lo >= 0 and hi < max(4 * col.shape[0], 1 << 16):
            ints: Codes = col.astype(np.int64) if col.dtype.kind == "b" else col  # type: ignore[assignment]
            return ints, hi + 1
    codes, uniques = pd.factorize(col, sort=False)  # order of first appearance
    return codes.astype(np.int64, copy=False), max(len(uniques), 1)


def row_patterns(columns: list[npt.NDArray[np.generic]]) -> tuple[Codes, IntArray]:
    """Codes of the distinct rows of a table given as columns, and one row index per code.

    Rows are compared exactly (bitwise for floats). Codes are deterministic: lexicographic
    in small non-negative integer columns, order of first appearance otherwise.

    >>> code, first = row_patterns([np.array([2, 0, 2, 1]), np.array([0.5, 0.5, 0.5, 0.5])])
    >>> code.tolist(), first.tolist()
    ([2, 0, 2, 1], [1, 3, 0])
    """
    n = columns[0].shape[0] if columns else 0
    key: Codes = np.zeros(n, dtype=np.int64)
    size = 1
    for col in columns:
        codes, card = _codes(col)
        if size * card >= 1 << 62:
            key, size = compress(key, size)
        key = key.astype(np.int64) * card + codes if size > 1 else codes
        size *= card
    code, k = compress(key, size)
    return code, first_index(code, k)


def first_index(code: Codes, k: int) -> IntArray:
    """Index of the first occurrence of each code 0..k-1 (all must occur)."""
    if k <= 16:  # scan chunk by chunk until every code has been seen
        first = np.full(k, -1, dtype=np.intp)
        remaining = list(range(k))
        for start in range(0, code.shape[0], CHUNK):
            part = code[start : start + CHUNK]
            for j in list(remaining):
                hit = np.flatnonzero(part == j)
                if hit.size:
                    first[j] = start + int(hit[0])
                    remaining.remove(j)
            if not remaining:
                break
        return first
    first = np.empty(k, dtype=np.intp)
    first[code[::-1]] = np.arange(code.shape[0] - 1, -1, -1, dtype=np.intp)
    return first
