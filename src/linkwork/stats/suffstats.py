"""The one pass over the data: sufficient statistics of a linear mixed model.

Everything the REML/ML criterion, its derivatives, the fixed effects, their covariance and
the Satterthwaite degrees of freedom need is a function of small tables of cross-products
(Bates et al. 2015, JSS 67(1); the reduction is written out in
``/work/shared/reference/mixed-models.md``). This module computes those tables in one O(N)
pass and nothing else: the optimiser in :mod:`linkwork.stats.lmm` never sees a row of data.

For one grouping factor with random-effect design ``Z_i`` (``q`` columns, e.g. intercept and
time) and fixed-effect design ``X_i`` of group ``i``:

* global totals ``X'X``, ``X'y``, ``y'y``;
* per group ``X_i'Z_i`` and ``Z_i'y_i`` (kept for the conditional modes);
* groups pooled by *pattern* (equal ``Z_i'Z_i``; with a discrete design, equal multiset of
  design rows, i.e. the same observed waves): the count, ``Z_i'Z_i`` and the sums of
  ``(X_i'Z_i) (x) (X_i'Z_i)``, ``(X_i'Z_i) (x) (Z_i'y_i)`` and ``(Z_i'y_i)(Z_i'y_i)'``.

In SQL the pass is ``GROUP BY group, design row`` followed by ``GROUP BY pattern``. The
response and the non-intercept columns of ``X`` are centred before aggregating (the shift is
recorded, and undone by :mod:`linkwork.stats.fit`); per-group sums are short sequential sums,
long sums (per design row, per pattern, ``y'y``) are chunked then pairwise
(:func:`sum_by`, ``numpy.sum``), so rounding error does not grow with N.

Validated against dense brute-force computations on small data
(tests/stats/test_suffstats.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.stats.patterns import compress, count_codes, first_index, row_patterns

__all__ = [
    "NestedSufficientStats",
    "SufficientStats",
    "nested_sufficient_statistics",
    "sufficient_statistics",
    "sum_by",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Codes = npt.NDArray[np.integer]


@dataclass(frozen=True, slots=True)
class SufficientStats:
    """Sufficient statistics for one grouping factor (shapes: P patterns, G groups).

    Attributes
    ----------
    n_obs, n_groups, p, q
        Rows, groups, fixed-effect columns, random-effect columns.
    log_weights
        Sum of the logarithms of the prior weights (0 without weights). With weights every
        cross-product below is weighted (``X'WX``, ``Z_i'W_i y_i``, ...), i.e. of the rows
        scaled by the square roots of the weights.
    x_center, y_center
        Column means subtracted from ``X`` (0 for the intercept column, all 0 without an
        intercept) and the mean subtracted from ``y``. Every table below is of the centred
        ``X`` and ``y``.
    xtx, xty, yty
        ``X'X`` (p, p), ``X'y`` (p,), ``y'y``.
    pattern_count
        (P,) number of groups with each pattern.
    pattern_ztz
        (P, q, q) ``Z_i'Z_i`` of the pattern.
    pattern_xzxz
        (P, q, q, p, p): ``[g, k, l, a, b] = sum_i (X_i'Z_i)[a, k] (X_i'Z_i)[b, l]``.
    pattern_xzzy
        (P, q, q, p): ``[g, k, l, a] = sum_i (X_i'Z_i)[a, k] (Z_i'y_i)[l]``.
    pattern_zyzy
        (P, q, q): ``sum_i (Z_i'y_i)(Z_i'y_i)'``.
    group_pattern
        (G,) pattern index of each group.
    group_xz
        (G, p, q) ``X_i'Z_i`` per group, or None when it is constant within patterns (a
        discrete design): then ``pattern_xz`` holds it; :meth:`xz_of_groups` gives it always.
    pattern_xz
        (P, p, q) ``X_i'Z_i`` of each pattern when constant within patterns, else None.
    group_zy
        (G, q) ``Z_i'y_i`` per group.
    """

    n_obs: int
    n_groups: int
    p: int
    q: int
    log_weights: float
    x_center: FloatArray
    y_center: float
    xtx: FloatArray
    xty: FloatArray
    yty: float
    pattern_count: FloatArray
    pattern_ztz: FloatArray
    pattern_xzxz: FloatArray
    pattern_xzzy: FloatArray
    pattern_zyzy: FloatArray
    group_pattern: Codes
    group_xz: FloatArray | None
    pattern_xz: FloatArray | None
    group_zy: FloatArray

    @property
    def n_patterns(self) -> int:
        """Number of distinct random-effect design patterns."""
        return int(self.pattern_count.shape[0])

    def xz_of_groups(self) -> FloatArray:
        """(G, p, q) ``X_i'Z_i`` of every group."""
        if self.group_xz is not None:
            return self.group_xz
        assert self.pattern_xz is not None
        return self.pattern_xz[self.group_pattern]


@dataclass(frozen=True, slots=True)
class NestedSufficientStats:
    """Sufficient statistics for random intercepts of inner groups nested in outer groups.

    Attributes
    ----------
    inner
        :class:`SufficientStats` of the inner grouping (q = 1, an intercept).
    n_outer
        Number of outer groups.
    inner_outer
        (G,) outer group of each inner group.
    cell_outer, cell_pattern, cell_count
        (R,) one row per (outer group, inner pattern): the outer group, the inner pattern
        index and the number of inner groups.
    cell_xz, cell_zy
        (R, p) and (R,): sums over those inner groups of ``X_i'1`` and ``1'y_i``.
    """

    inner: SufficientStats
    n_outer: int
    inner_outer: IntArray
    cell_outer: IntArray
    cell_pattern: Codes
    cell_count: FloatArray
    cell_xz: FloatArray
    cell_zy: FloatArray


def _centres(
    X: FloatArray, y: FloatArray, counts: FloatArray, intercept: int | None
) -> tuple[FloatArray, float]:
    """Column means of X (0 for the intercept) and the mean of y; zeros without intercept."""
    n = y.shape[0]
    x_center = np.zeros(X.shape[1])
    y_center = 0.0
    if intercept is not None and n > 0:
        x_center = (counts @ X) / n
        x_center[intercept] = 0.0
        y_center = float(np.mean(y))
    return x_center, y_center


def sum_by(
    codes: npt.NDArray[np.integer], values: FloatArray, k: int, chunk: int = 1 << 16
) -> FloatArray:
    """Sums of *values* per code 0..k-1, accurate for long sums.

    Each chunk of *chunk* rows is summed sequentially per code (``bincount``) and the
    chunks' partial sums are added by pairwise summation, so the rounding error grows with
    ``chunk + log(N)`` rather than N. Many codes (k > 4096, short sums) use one ``bincount``.

    >>> sum_by(np.array([0, 1, 0]), np.array([1.0, 2.0, 3.0]), 2, chunk=2).tolist()
    [4.0, 2.0]
    """
    n = codes.shape[0]
    if n <= chunk or k > 4096:
        return np.bincount(codes, weights=values, minlength=k).astype(np.float64, copy=False)
    n_chunks = -(-n // chunk)
    parts = np.empty((k, n_chunks))
    for i in range(n_chunks):
        sl = slice(i * chunk, (i + 1) * chunk)
        parts[:, i] = np.bincount(codes[sl], weights=values[sl], minlength=k)
    return np.asarray(parts.sum(axis=1), dtype=np.float64)  # pairwise along the chunks


def _pool(values: FloatArray, pid: Codes, n_pat: int) -> FloatArray:
    """Sum the rows of *values* (G, ...) within patterns -> (P, ...)."""
    flat = values.reshape(values.shape[0], -1)
    out = np.empty((n_pat, flat.shape[1]))
    for j in range(flat.shape[1]):
        out[:, j] = sum_by(pid, flat[:, j], n_pat)
    return out.reshape((n_pat, *values.shape[1:]))


def _pool_outer(a: FloatArray, b: FloatArray, pid: Codes, n_pat: int) -> FloatArray:
    """(P, m, n): sums within patterns of the outer products a_i b_i' of rows of a and b.

    Rows are processed in chunks (products formed per chunk, partial sums added pairwise), so
    no temporary as long as *a* is formed.
    """
    out = np.empty((n_pat, a.shape[1], b.shape[1]))
    same = a is b
    pairs = [(i, j) for i in range(a.shape[1]) for j in range(i if same else 0, b.shape[1])]
    n = a.shape[0]
    if n_pat > 4096 or n <= _CHUNK:
        sums = [np.bincount(pid, weights=a[:, i] * b[:, j], minlength=n_pat) for i, j in pairs]
    else:
        n_chunks = -(-n // _CHUNK)
        parts = np.empty((len(pairs), n_pat, n_chunks))
        for c in range(n_chunks):
            sl = slice(c * _CHUNK, (c + 1) * _CHUNK)
            ac, bc, pc = a[sl], b[sl], pid[sl]
            for t, (i, j) in enumerate(pairs):
                parts[t, :, c] = np.bincount(pc, weights=ac[:, i] * bc[:, j], minlength=n_pat)
        sums = list(parts.sum(axis=2))  # pairwise along the chunks
    for (i, j), s in zip(pairs, sums, strict=True):
        out[:, i, j] = s
        if same:
            out[:, j, i] = s
    return out


def sufficient_statistics(
    X: FloatArray,
    Z: FloatArray,
    y: FloatArray,
    group: npt.NDArray[np.integer],
    *,
    row_code: npt.NDArray[np.integer] | None = None,
    n_groups: int | None = None,
    intercept: int | None = None,
    weights: FloatArray | None = None,
) -> SufficientStats:
    """Sufficient statistics of ``y = X b + Z_g u_g + e`` for one grouping factor.

    Parameters
    ----------
    X, Z
        Fixed- and random-effect design rows, (U, p) and (U, q). With *row_code* they are the
        distinct design rows and observation ``j`` has row ``row_code[j]``; without it U = N.
    y
        (N,) response.
    group
        (N,) group code of each observation, 0..G-1.
    row_code
        Optional (N,) index of each observation's design row.
    n_groups
        G; inferred from *group* when omitted.
    intercept
        Index of the intercept column of X, if any: then y and the other X columns are
        centred before aggregating.
    weights
        Optional (N,) positive prior weights: the residual variance of observation ``j`` is
        ``sigma^2 / weights[j]`` (lme4's ``weights``).

    Returns
    -------
    SufficientStats
        Tables whose size depends on p, q and the number of patterns, not on N (apart from
        the per-group ``group_*`` arrays, which the optimiser does not use).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((5, 1)); Z = np.ones((5, 1)); y = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    >>> s = sufficient_statistics(X, Z, y, np.array([0, 0, 1, 1, 2]))
    >>> s.pattern_count.tolist(), s.pattern_ztz[:, 0, 0].tolist()
    ([1.0, 2.0], [1.0, 2.0])
    """
    X = np.asarray(X, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    grp: IntArray = np.asarray(group, dtype=np.intp)
    n = y.shape[0]
    G = int(grp.max()) + 1 if n_groups is None else int(n_groups)
    U = X.shape[0]
    code: npt.NDArray[np.integer] | None = None
    if row_code is None:
        counts = np.ones(n)
    else:
        code = np.asarray(row_code)  # any integer type: kept compact (memory at large N)
        counts = count_codes(code, U).astype(np.float64)
    x_center, y_center = _centres(X, y, counts, intercept)
    Xc = X - x_center
    sorted_parts = None
    if code is not None and weights is None and max(2 * n, 1 << 20) >= G * U:
        sorted_parts = _discrete_sorted(Xc, Z, y, y_center, group, code, G, counts)
    if sorted_parts is not None:
        yty_s, parts_s = sorted_parts
        return _assemble(n, G, X.shape[1], Z.shape[1], 0.0, x_center, y_center, yty_s, *parts_s)
    yc = y - y_center
    w: FloatArray | None = None
    log_weights = 0.0
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        log_weights = float(np.sum(np.log(w)))
        if code is not None:
            counts = sum_by(code, w, U)
        yty = float(np.sum(yc * yc * w))
    else:
        yty = float(np.sum(np.square(yc)))  # pairwise summation
    if code is not None and max(2 * n, 1 << 20) >= G * U:
        parts = _discrete(Xc, Z, yc, grp, code, G, counts, w)
    else:
        parts = _general(Xc, Z, yc, grp, code, G, w)
    return _assemble(n, G, X.shape[1], Z.shape[1], log_weights, x_center, y_center, yty, *parts)


def _assemble(
    n: int,
    G: int,
    p: int,
    q: int,
    log_weights: float,
    x_center: FloatArray,
    y_center: float,
    yty: float,
    xtx: FloatArray,
    xty: FloatArray,
    pid: Codes,
    n_pat: int,
    ztz_p: FloatArray,
    xz_p: FloatArray | None,
    xz_g: FloatArray | None,
    zy_g: FloatArray,
) -> SufficientStats:
    """Pool the per-group tables by pattern into :class:`SufficientStats`."""
    count = np.bincount(pid, minlength=n_pat).astype(np.float64)
    zyzy = _pool_outer(zy_g, zy_g, pid, n_pat)
    if xz_p is not None:
        xzxz = count[:, None, None, None, None] * np.einsum("gak,gbl->gklab", xz_p, xz_p)
        xzzy = np.einsum("gak,gl->gkla", xz_p, _pool(zy_g, pid, n_pat))
    else:
        assert xz_g is not None
        flat = xz_g.transpose(0, 2, 1).reshape(G, -1)  # (G, q*p), index k*p + a
        xzxz = _pool_outer(flat, flat, pid, n_pat).reshape(n_pat, q, p, q, p)
        xzxz = xzxz.transpose(0, 1, 3, 2, 4)
        xzzy = _pool_outer(flat, zy_g, pid, n_pat).reshape(n_pat, q, p, q).transpose(0, 1, 3, 2)
    return SufficientStats(
        n_obs=n,
        n_groups=G,
        log_weights=log_weights,
        p=p,
        q=q,
        x_center=x_center,
        y_center=y_center,
        xtx=xtx,
        xty=xty,
        yty=yty,
        pattern_count=count,
        pattern_ztz=ztz_p,
        pattern_xzxz=np.ascontiguousarray(xzxz),
        pattern_xzzy=np.ascontiguousarray(xzzy),
        pattern_zyzy=zyzy,
        group_pattern=pid,
        group_xz=xz_g,
        pattern_xz=xz_p,
        group_zy=zy_g,
    )


_Parts = tuple[
    FloatArray,
    FloatArray,
    Codes,
    int,
    FloatArray,
    FloatArray | None,
    FloatArray | None,
    FloatArray,
]


def _discrete(
    Xc: FloatArray,
    Z: FloatArray,
    yc: FloatArray,
    group: IntArray,
    row_code: npt.NDArray[np.integer],
    G: int,
    counts: FloatArray,
    w: FloatArray | None,
) -> _Parts:
    """Few distinct design rows: a group's pattern is how often it has each design row.

    ``X_i'Z_i`` and ``Z_i'Z_i`` are then functions of the pattern; only ``Z_i'y_i`` needs a
    pass over the rows, and no (G x U) table is formed unless the patterns cannot be keyed
    by one exact number per group.
    """
    U, q = Xc.shape[0], Z.shape[1]
    pid, cell_p = _cell_patterns(group, row_code, G, U, w)
    wy = yc if w is None else yc * w
    zy_g = np.empty((G, q))
    for k in range(q):
        zk = Z[:, k]
        if np.all(zk == 1.0):
            zy_g[:, k] = np.bincount(group, weights=wy, minlength=G)
        else:
            v = zk[row_code]
            v *= wy
            zy_g[:, k] = np.bincount(group, weights=v, minlength=G)
            del v
    xty = Xc.T @ sum_by(row_code, wy, U)
    ztz_p = np.einsum("gu,uk,ul->gkl", cell_p, Z, Z)
    xz_p = np.einsum("gu,ua,uk->gak", cell_p, Xc, Z)
    xtx = (Xc * counts[:, None]).T @ Xc
    return xtx, xty, pid, cell_p.shape[0], ztz_p, xz_p, None, zy_g


_CHUNK = 1 << 16


def _discrete_sorted(
    Xc: FloatArray,
    Z: FloatArray,
    y: FloatArray,
    y_center: float,
    group: npt.NDArray[np.integer],
    row_code: npt.NDArray[np.integer],
    G: int,
    counts: FloatArray,
) -> tuple[float, _Parts] | None:
    """The discrete path in chunks of rows, for data sorted by group (the usual long format).

    Two sequential passes with chunk-sized buffers only: no temporary array of length N is
    formed (at N = 25M rows each one costs 200 MB and its page faults). Returns None when the
    groups are not sorted or the pattern keys would not be exact; the caller then uses the
    general discrete path.
    """
    n, U, q = y.shape[0], Xc.shape[0], Z.shape[1]
    bounds = range(0, n, _CHUNK)
    n_g = np.zeros(G, dtype=np.int32)
    prev = -1
    for start in bounds:
        g = group[start : start + _CHUNK]
        lo, hi = int(g[0]), int(g[-1])
        if lo < prev or hi < lo or (g.shape[0] > 1 and bool(np.any(g[1:] < g[:-1]))):
            return None
        n_g[lo : hi + 1] += np.bincount(g - lo, minlength=hi - lo + 1)
        prev = hi
    base = int(n_g.max()) + 1 if n else 1
    del n_g
    if float(base) ** U >= 2.0**53:
        return None
    radix = float(base) ** np.arange(U)
    ones = [bool(np.all(Z[:, k] == 1.0)) for k in range(q)]
    key = np.zeros(G, dtype=np.int64)
    zy_g = np.zeros((G, q))
    n_chunks = len(bounds)
    xty_parts = np.empty((U, n_chunks))
    yty_parts = np.empty(n_chunks)
    for i, start in enumerate(bounds):
        sl = slice(start, start + _CHUNK)
        g = group[sl]
        lo, hi = int(g[0]), int(g[-1])
        gl = g - lo
        m = hi - lo + 1
        rc = row_code[sl]
        yc = y[sl] - y_center
        yty_parts[i] = np.sum(yc * yc)
        key[lo : hi + 1] += np.bincount(gl, weights=radix[rc], minlength=m).astype(np.int64)
        for k in range(q):
            v = yc if ones[k] else Z[rc, k] * yc
            zy_g[lo : hi + 1, k] += np.bincount(gl, weights=v, minlength=m)
        xty_parts[:, i] = np.bincount(rc, weights=yc, minlength=U)
    yty = float(np.sum(yty_parts))  # pairwise over chunks
    xty = Xc.T @ np.sum(xty_parts, axis=1)
    if base**U <= max(4 * G, 1 << 16):
        present = np.bincount(key, minlength=base**U) > 0
        rep = np.flatnonzero(present).astype(np.int64)  # the patterns' keys, increasing
        pid = (np.cumsum(present) - 1)[key]
    else:
        codes, uniques = pd.factorize(key, sort=True)
        pid, rep = codes.astype(np.intp), np.asarray(uniques, dtype=np.int64)
    k_pat = rep.shape[0]
    del key
    digits = (rep[:, None] // (base ** np.arange(U, dtype=np.int64))[None, :]) % base
    cell_p = digits.astype(np.float64)
    ztz_p = np.einsum("gu,uk,ul->gkl", cell_p, Z, Z)
    xz_p = np.einsum("gu,ua,uk->gak", cell_p, Xc, Z)
    xtx = (Xc * counts[:, None]).T @ Xc
    return yty, (xtx, xty, pid, k_pat, ztz_p, xz_p, None, zy_g)


def _cell_patterns(
    group: IntArray, row_code: npt.NDArray[np.integer], G: int, U: int, w: FloatArray | None
) -> tuple[Codes, FloatArray]:
    """Pattern of each group (its count, or weight sum, per design row) and the patterns.

    Without weights the counts are digits of one integer per group, ``sum_j B^row_j`` with
    ``B`` above the largest group size, summed exactly in floating point while below 2^53.
    """
    if w is None:
        base = int(np.bincount(group, minlength=G).max()) + 1
        if float(base) ** U < 2.0**53:
            radix = float(base) ** np.arange(U)
            key = np.bincount(group, weights=radix[row_code], minlength=G).astype(np.int64)
            pid, k = compress(key, base**U)
            rep = key[first_index(pid, k)]
            digits = (rep[:, None] // (base ** np.arange(U, dtype=np.int64))[None, :]) % base
            return pid, digits.astype(np.float64)
    key2 = group * U
    key2 += row_code
    if w is None:
        cells = np.bincount(key2, minlength=G * U).reshape(G, U)
    else:
        cells = np.bincount(key2, weights=w, minlength=G * U).reshape(G, U)
    del key2
    pid, first = row_patterns([cells[:, u] for u in range(U)])
    return pid, cells[first].astype(np.float64)


def _general(
    Xc: FloatArray,
    Z: FloatArray,
    yc: FloatArray,
    group: IntArray,
    row_code: npt.NDArray[np.integer] | None,
    G: int,
    w: FloatArray | None,
) -> _Parts:
    """Many distinct design rows: per-row products summed per group, pooled by Z_i'Z_i."""
    p, q = Xc.shape[1], Z.shape[1]
    Xr = Xc if row_code is None else Xc[row_code]
    Zr = Z if row_code is None else Z[row_code]

    def per_group(v: FloatArray) -> FloatArray:
        v = v if w is None else v * w
        return np.bincount(group, weights=v, minlength=G).astype(np.float64, copy=False)

    ones = [bool(np.all(Z[:, k] == 1.0)) for k in range(q)]
    xz_g = np.empty((G, p, q))
    for a in range(p):
        for k in range(q):
            xz_g[:, a, k] = per_group(Xr[:, a] if ones[k] else Xr[:, a] * Zr[:, k])
    ztz_g = np.empty((G, q, q))
    for k in range(q):
        for m in range(k, q):
            ztz_g[:, k, m] = ztz_g[:, m, k] = per_group(Zr[:, k] * Zr[:, m])
    zy_g = np.empty((G, q))
    for k in range(q):
        zy_g[:, k] = per_group(Zr[:, k] * yc)
    xty = np.array([per_group(Xr[:, a] * yc).sum() for a in range(p)])
    xtx = Xr.T @ Xr if w is None else (Xr * w[:, None]).T @ Xr
    pid, first = row_patterns([ztz_g[:, k, m] for k in range(q) for m in range(k, q)])
    return xtx, xty, pid, first.shape[0], ztz_g[first], None, xz_g, zy_g


def nested_sufficient_statistics(
    X: FloatArray,
    y: FloatArray,
    inner: npt.NDArray[np.integer],
    outer_of_inner: npt.NDArray[np.integer],
    *,
    row_code: npt.NDArray[np.integer] | None = None,
    n_inner: int | None = None,
    n_outer: int | None = None,
    intercept: int | None = None,
    weights: FloatArray | None = None,
) -> NestedSufficientStats:
    """Sufficient statistics for random intercepts at two nested levels.

    Parameters
    ----------
    X, y, row_code, intercept, weights
        As in :func:`sufficient_statistics`.
    inner
        (N,) inner group code of each observation (e.g. participant within site).
    outer_of_inner
        (G,) outer group code of each inner group (e.g. the site of each participant).
    n_inner, n_outer
        Numbers of inner and outer groups; inferred when omitted.

    Returns
    -------
    NestedSufficientStats
        The inner-level statistics plus one row per (outer group, inner pattern).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((6, 1)); y = np.arange(6.0)
    >>> inner = np.array([0, 0, 1, 1, 2, 3])  # inner groups 0, 1 of size 2; 2, 3 of size 1
    >>> s = nested_sufficient_statistics(X, y, inner, np.array([0, 0, 1, 1]))
    >>> s.cell_outer.tolist(), s.cell_count.tolist(), s.cell_zy.tolist()
    ([0, 1], [2.0, 2.0], [6.0, 9.0])
    """
    X = np.asarray(X, dtype=np.float64)
    n = np.asarray(y).shape[0]
    Z = np.ones((X.shape[0], 1))
    stats = sufficient_statistics(
        X, Z, y, inner, row_code=row_code, n_groups=n_inner, intercept=intercept, weights=weights
    )
    outer = np.asarray(outer_of_inner, dtype=np.intp)
    S = int(outer.max()) + 1 if n_outer is None else int(n_outer)
    P = stats.n_patterns
    key = outer.astype(np.int64) * P + stats.group_pattern
    cell, n_cell = compress(key, S * P)
    first = np.empty(n_cell, dtype=np.intp)
    first[cell] = np.arange(key.shape[0])
    cell_count = np.bincount(cell, minlength=n_cell).astype(np.float64)
    cell_xz = _pool(stats.xz_of_groups()[:, :, 0], cell, n_cell)
    cell_zy = sum_by(cell, stats.group_zy[:, 0], n_cell)
    del n
    return NestedSufficientStats(
        inner=stats,
        n_outer=S,
        inner_outer=outer,
        cell_outer=outer[first],
        cell_pattern=stats.group_pattern[first],
        cell_count=cell_count,
        cell_xz=cell_xz,
        cell_zy=cell_zy,
    )
