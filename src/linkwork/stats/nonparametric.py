"""Rank tests across waves: Friedman and Wilcoxon signed-rank, as R's ``stats`` package.

The study summarises the number of meaningful social groups with medians per wave, a Friedman
test on participants with all waves, and Wilcoxon signed-rank tests of each pair of waves with
an effect size r and Holm adjustment (study.md, "Number of groups").

Validated against R 4.2.2 ``friedman.test`` and ``wilcox.test(x, y, paired = TRUE)`` (default
arguments) on stored reference data (``tests/reference/other_stats.json``) and in a live
randomised comparison, to 1e-10 relative for statistics and p-values.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from linkwork.errors import DataFormatError, ModelError, PlanError
from linkwork.stats._distributions import rankdata
from linkwork.stats._validate import as_float
from linkwork.stats.multiplicity import P_ADJUST_METHODS, p_adjust

__all__ = [
    "FriedmanResult",
    "WilcoxonResult",
    "friedman",
    "pairwise_wilcoxon",
    "wilcoxon_signed_rank",
]

#: ``wilcox.test`` computes an exact p-value below this many non-zero differences (no ties).
WILCOXON_EXACT_BELOW_N = 50

_FRIEDMAN_COLUMNS = ["statistic", "df", "p_value", "n", "n_excluded", "k"]
_WILCOXON_COLUMNS = [
    "statistic",
    "p_value",
    "exact",
    "n",
    "n_pairs",
    "n_zero",
    "n_dropped",
    "z",
    "r",
]


@dataclass(frozen=True, slots=True)
class FriedmanResult:
    """Friedman rank sum test over waves (columns) within participants (rows).

    Attributes
    ----------
    statistic
        Friedman chi-squared, with R's correction for ties within participants.
    df
        k - 1.
    p_value
        Upper tail of the chi-squared distribution on ``df`` degrees of freedom.
    n
        Participants with a value at every wave (the complete cases used).
    n_excluded
        Participants left out because at least one wave was missing.
    k
        Number of waves compared.
    waves
        The wave (column) names, in order.
    """

    statistic: float
    df: float
    p_value: float
    n: int
    n_excluded: int
    k: int
    waves: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row: statistic, df, p_value, n, n_excluded, k."""
        return pd.DataFrame(
            [{c: getattr(self, c) for c in _FRIEDMAN_COLUMNS}], columns=_FRIEDMAN_COLUMNS
        )


@dataclass(frozen=True, slots=True)
class WilcoxonResult:
    """Wilcoxon signed-rank test of paired x - y, with the effect size r = z / sqrt(n).

    Attributes
    ----------
    statistic
        R's V: the sum of the ranks of |x - y| over the positive differences.
    p_value
        Two-sided p-value, as ``wilcox.test(x, y, paired = TRUE)``.
    exact
        Whether the p-value is exact (n < 50 non-zero differences, no ties, no zeros) or from the
        normal approximation with continuity and tie corrections.
    n
        Non-zero differences: the sample the statistic, p-value and z use.
    n_pairs
        Complete pairs, zeros included (n + n_zero).
    n_zero
        Pairs with x == y, dropped as R does.
    n_dropped
        Pairs left out because x or y was missing.
    z
        Normal score of V without continuity correction, with the tie-corrected variance:
        :math:`z = (V - n(n+1)/4) / \\sqrt{n(n+1)(2n+1)/24 - \\sum (t^3 - t)/48}`, over the n
        non-zero differences (as SPSS reports), computed whether or not the p-value is exact.
    r
        Effect size :math:`r = z / \\sqrt{n}` (Rosenthal 1991) with n the number of non-zero
        differences; positive when x tends to exceed y; :math:`|r| \\le 1`.
    """

    statistic: float
    p_value: float
    exact: bool
    n: int
    n_pairs: int
    n_zero: int
    n_dropped: int
    z: float
    r: float

    def tidy(self) -> pd.DataFrame:
        """One row: statistic, p_value, exact, n, n_pairs, n_zero, n_dropped, z, r."""
        return pd.DataFrame(
            [{c: getattr(self, c) for c in _WILCOXON_COLUMNS}], columns=_WILCOXON_COLUMNS
        )


def friedman(frame_wide: pd.DataFrame, waves: Sequence[str] | None = None) -> FriedmanResult:
    """Friedman rank sum test across waves on complete cases, as R's ``friedman.test(matrix)``.

    Parameters
    ----------
    frame_wide
        One row per participant, one numeric column per wave; NaN marks a missing wave.
    waves
        The wave columns to compare (default: every column), at least 2.

    Returns
    -------
    FriedmanResult

    Raises
    ------
    ModelError
        Fewer than 2 complete participants, or every participant tied across all waves (the
        statistic is then undefined).
    DataFormatError
        A non-numeric or infinite value.
    PlanError
        Fewer than 2 waves.

    Notes
    -----
    Ranks within each participant (average ranks for ties); with :math:`R_j` the rank sum of
    wave j and :math:`t` the sizes of the tie groups within participants,
    :math:`Q = 12 \\sum_j (R_j - n(k+1)/2)^2 / (n k (k+1) - \\sum (t^3 - t)/(k-1))`, referred to
    chi-squared on k - 1 df, exactly as ``friedman.test``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"T1": [1, 2, 2, 0, 1], "T2": [2, 3, 3, 2, float("nan")],
    ...                    "T3": [3, 3, 4, 1, 2]})
    >>> res = friedman(df)  # In R: friedman.test(as.matrix(na.omit(df)))
    >>> res.n, res.n_excluded, round(res.statistic, 6), round(res.p_value, 6)
    (4, 1, 6.533333, 0.038133)
    """
    names = list(frame_wide.columns) if waves is None else list(waves)
    if len(names) < 2:
        raise PlanError("Friedman test needs at least 2 waves", value=names, expected=">= 2")
    values = _numeric_matrix(frame_wide, names)
    complete = ~np.isnan(values).any(axis=1)
    y = values[complete]
    n, k = y.shape
    if n < 2:
        raise ModelError(f"Friedman test needs at least 2 participants with every wave; got {n}")
    ranks = rankdata(y, axis=1)
    # Each value in a tie group of size t contributes t^2 - 1, so a group gives t^3 - t.
    group_size = (y[:, :, None] == y[:, None, :]).sum(axis=2).astype(np.float64)
    ties = float(np.sum(group_size**2 - 1.0))
    denominator = n * k * (k + 1) - ties / (k - 1)
    if denominator <= 0.0:
        raise ModelError("Friedman statistic undefined: every participant is tied across waves")
    centred = ranks.sum(axis=0) - n * (k + 1) / 2
    statistic = 12 * float(np.sum(centred**2)) / denominator
    df = float(k - 1)
    return FriedmanResult(
        statistic=statistic,
        df=df,
        p_value=float(special.chdtrc(df, statistic)),
        n=int(n),
        n_excluded=int((~complete).sum()),
        k=int(k),
        waves=tuple(str(w) for w in names),
    )


def wilcoxon_signed_rank(
    x: pd.Series | Sequence[float] | npt.NDArray[np.floating],
    y: pd.Series | Sequence[float] | npt.NDArray[np.floating],
) -> WilcoxonResult:
    """Wilcoxon signed-rank test of x against y, as R's ``wilcox.test(x, y, paired = TRUE)``.

    Parameters
    ----------
    x, y
        Paired numeric values of equal length (two Series must share their index); NaN marks a
        missing value and its pair is dropped (counted in ``n_dropped``).

    Returns
    -------
    WilcoxonResult

    Raises
    ------
    ModelError
        No non-zero difference (every complete pair has x == y, or none is complete).
    DataFormatError
        Non-numeric or infinite values, different lengths or indexes.

    Notes
    -----
    As R's defaults: differences d = x - y; zeros dropped; V is the rank sum of |d| over d > 0.
    With n < 50 non-zero differences and neither ties among |d| nor zeros, the p-value is exact
    (the null distribution of V, i.e. R's ``psignrank``); otherwise the normal approximation
    :math:`(V - n(n+1)/4 - \\operatorname{sign}(\\cdot)/2) / \\sigma` with continuity and tie
    corrections. The effect size uses z *without* the continuity correction (see
    :class:`WilcoxonResult`), so it does not depend on whether the p-value was exact.

    Examples
    --------
    >>> res = wilcoxon_signed_rank([3.0, 4, 5, 6, 8, 9], [1.0, 2, 2, 4, 5, 4])
    >>> res.statistic, res.exact, round(res.p_value, 6)  # R: wilcox.test(x, y, paired=TRUE)
    (21.0, False, 0.033505)
    >>> res = wilcoxon_signed_rank([3.5, 4, 5, 6, 8, 9], [1.0, 2.25, 2, 4.5, 5.75, 2])
    >>> res.exact, round(res.p_value, 6), round(res.r, 6)
    (True, 0.03125, 0.898717)
    """
    xv = _vector(x, "x")
    yv = _vector(y, "y")
    if isinstance(x, pd.Series) and isinstance(y, pd.Series) and not x.index.equals(y.index):
        raise DataFormatError(
            "x and y are Series with different indexes; align them first",
            expected="the same index (pairs are matched by position)",
        )
    if xv.size != yv.size:
        raise DataFormatError(
            "x and y differ in length", value=(xv.size, yv.size), expected="equal lengths"
        )
    complete = ~np.isnan(xv) & ~np.isnan(yv)
    d = xv[complete] - yv[complete]
    n_pairs = int(d.size)
    zero = d == 0
    d = d[~zero]
    n = int(d.size)
    if n == 0:
        raise ModelError(
            f"Wilcoxon signed-rank test needs a non-zero difference; got {n_pairs} complete "
            f"pairs, all with x == y"
        )
    ranks = rankdata(np.abs(d))
    v = float(ranks[d > 0].sum())
    _, tie_sizes = np.unique(ranks, return_counts=True)
    has_ties = bool((tie_sizes > 1).any())
    nf = float(n)
    centre = nf * (nf + 1) / 4
    sigma = math.sqrt(
        nf * (nf + 1) * (2 * nf + 1) / 24
        - float(np.sum(tie_sizes.astype(np.float64) ** 3 - tie_sizes)) / 48
    )
    exact = n < WILCOXON_EXACT_BELOW_N and not has_ties and not zero.any()
    if exact:
        p = _psignrank(v - 1, n, upper=True) if v > centre else _psignrank(v, n, upper=False)
        p_value = min(2.0 * p, 1.0)
    else:
        shift = v - centre
        corrected = (shift - math.copysign(0.5, shift) * (shift != 0)) / sigma
        p_value = float(2.0 * min(special.ndtr(corrected), special.ndtr(-corrected)))
    z = (v - centre) / sigma
    return WilcoxonResult(
        statistic=v,
        p_value=p_value,
        exact=bool(exact),
        n=n,
        n_pairs=n_pairs,
        n_zero=int(zero.sum()),
        n_dropped=int(xv.size - n_pairs),
        z=z,
        r=z / math.sqrt(nf),
    )


def pairwise_wilcoxon(
    frame_wide: pd.DataFrame,
    waves: Sequence[str] | None = None,
    adjust: str = "holm",
    *,
    complete_cases: bool = False,
) -> pd.DataFrame:
    """Wilcoxon signed-rank tests of every pair of waves, later minus earlier, adjusted.

    Parameters
    ----------
    frame_wide
        One row per participant, one numeric column per wave in time order.
    waves
        The wave columns (default: every column, in frame order).
    adjust
        p-value adjustment across the pairs (see :func:`~linkwork.stats.multiplicity.p_adjust`);
        the column is named ``p_<method>`` (``p_holm`` by default; ``"fdr"`` gives ``p_BH``).
    complete_cases
        If true, use only participants with every wave (the Friedman sample); by default each
        pair uses every participant observed at both of its waves.

    Returns
    -------
    pandas.DataFrame
        One row per pair (wave_b after wave_a in the given order) with columns contrast
        (``"T2 - T1"``), wave_a, wave_b, and the fields of :class:`WilcoxonResult` for
        x = wave_b, y = wave_a (so V, z and r are positive for an increase), then the adjusted
        p-value column.

    Raises
    ------
    ModelError
        A pair without any non-zero difference (the message names it).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"T1": [1.0, 2, 2, 0, 1, 3], "T2": [2.0, 3, 3, 2, 2, 2],
    ...                    "T3": [3.0, 3, 4, 1, 2, 5]})
    >>> list(pairwise_wilcoxon(df)["contrast"])
    ['T2 - T1', 'T3 - T1', 'T3 - T2']
    """
    if adjust not in P_ADJUST_METHODS:
        raise PlanError(
            "unknown p-value adjustment method",
            value=adjust,
            expected="one of " + ", ".join(P_ADJUST_METHODS),
        )
    names = list(frame_wide.columns) if waves is None else list(waves)
    if len(names) < 2:
        raise PlanError("pairwise comparisons need at least 2 waves", value=names)
    values = _numeric_matrix(frame_wide, names)
    if complete_cases:
        values = values[~np.isnan(values).any(axis=1)]
    rows = []
    for (i, a), (j, b) in itertools.combinations(enumerate(names), 2):
        try:
            res = wilcoxon_signed_rank(values[:, j], values[:, i])
        except ModelError as error:
            raise ModelError(f"{b} - {a}: {error}") from error
        rows.append(
            {"contrast": f"{b} - {a}", "wave_a": a, "wave_b": b}
            | {c: getattr(res, c) for c in _WILCOXON_COLUMNS}
        )
    table = pd.DataFrame(rows, columns=["contrast", "wave_a", "wave_b", *_WILCOXON_COLUMNS])
    table[f"p_{adjust}"] = p_adjust(table["p_value"].to_numpy(dtype=np.float64), adjust)
    return table


@functools.cache
def _signrank_counts(n: int) -> npt.NDArray[np.float64]:
    """Number of subsets of {1..n} with each rank sum 0..n(n+1)/2 (exact below 2**53)."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1, dtype=np.int64)
    counts[0] = 1
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k]
    return counts.astype(np.float64)


def _psignrank(v: float, n: int, *, upper: bool) -> float:
    """P(V <= v), or P(V > v) when *upper*, for the signed-rank statistic on n ranks."""
    counts = _signrank_counts(n)
    q = round(v + 1e-7)  # R rounds to the nearest integer first
    if q < 0:
        return 1.0 if upper else 0.0
    tail = counts[q + 1 :] if upper else counts[: q + 1]
    return float(tail.sum()) / 2.0**n


def _vector(
    values: pd.Series | Sequence[float] | npt.NDArray[np.floating], name: str
) -> npt.NDArray[np.float64]:
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    column = str(series.name) if isinstance(values, pd.Series) and series.name is not None else name
    return as_float(series, column)


def _numeric_matrix(frame: pd.DataFrame, names: Sequence[str]) -> npt.NDArray[np.float64]:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    return np.column_stack([as_float(frame[c], str(c)) for c in names])
