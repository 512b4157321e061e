"""Pearson and Spearman correlations with Fisher-z confidence intervals, as R's ``cor.test``.

The study relates relationship scores (link worker, facilitators) at T1 and T2 to T3 outcomes
and to T1->T3 change with Pearson and Spearman correlations, 95% CIs by Fisher's z and Holm and
FDR columns (study.md, "Relationship -> outcome").

Validated against R 4.2.2 ``cor.test`` (two-sided, default arguments) on stored reference data
(``tests/reference/other_stats.json``) and in a live randomised comparison, to 1e-10 relative
for r, the statistic, the p-value and the CI. For Spearman, R reports no CI; ours is the same
Fisher-z formula applied to rho, computed in R by the reference script for comparison.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from linkwork.errors import DataFormatError, ModelError, PlanError
from linkwork.stats._distributions import rankdata
from linkwork.stats._validate import as_float
from linkwork.stats.multiplicity import P_ADJUST_METHODS, p_adjust

__all__ = [
    "CORRELATION_METHODS",
    "CorrelationResult",
    "correlate",
    "correlation_table",
]

CorrelationMethod = Literal["pearson", "spearman"]
CORRELATION_METHODS: tuple[str, ...] = ("pearson", "spearman")

#: R's ``prho`` enumerates all permutations up to this n and uses the Edgeworth series above.
SPEARMAN_ENUMERATION_MAX_N = 9
#: R's ``cor.test`` uses ``prho`` (AS 89) up to this n and the t approximation above it.
SPEARMAN_AS89_MAX_N = 1290

#: Column names of the adjusted p-values in :func:`correlation_table`.
ADJUSTED_COLUMN = {
    "holm": "p_holm",
    "hochberg": "p_hochberg",
    "hommel": "p_hommel",
    "bonferroni": "p_bonferroni",
    "BH": "p_fdr",
    "fdr": "p_fdr",
    "BY": "p_by",
    "none": "p_none",
}

_TIDY_COLUMNS = [
    "method",
    "n",
    "n_dropped",
    "r",
    "conf_low",
    "conf_high",
    "statistic",
    "df",
    "p_value",
    "p_method",
]


@dataclass(frozen=True, slots=True)
class CorrelationResult:
    """A correlation with its test and Fisher-z confidence interval.

    Attributes
    ----------
    method
        ``"pearson"`` or ``"spearman"``.
    n
        Complete pairs used.
    n_dropped
        Pairs left out because x or y was missing (NaN).
    r
        Pearson's r or Spearman's rho.
    conf_low, conf_high
        Fisher-z confidence interval :math:`\\tanh(\\operatorname{atanh}(r) \\pm
        z_{(1+c)/2} / \\sqrt{n - 3})` at level ``conf_level``.
    conf_level
        Confidence level of the interval.
    statistic
        Pearson: :math:`t = r \\sqrt{n-2} / \\sqrt{1 - r^2}`; Spearman: R's
        :math:`S = (n^3 - n)(1 - \\rho) / 6`.
    df
        Degrees of freedom of the t statistic (Pearson, n - 2); NaN for Spearman, whose S has
        none (even when its p-value comes from the t approximation, as in R).
    p_value
        Two-sided p-value, as ``cor.test``.
    p_method
        How the p-value was found: ``"t"`` (Pearson), ``"exact"`` (Spearman, n <= 9, no ties:
        all permutations), ``"edgeworth"`` (Spearman, 10 <= n <= 1290, no ties: the AS 89
        Edgeworth series that R's ``cor.test`` calls "exact") or ``"t-approximation"``
        (Spearman with ties or n > 1290).
    """

    method: str
    n: int
    n_dropped: int
    r: float
    conf_low: float
    conf_high: float
    conf_level: float
    statistic: float
    df: float
    p_value: float
    p_method: str

    def tidy(self) -> pd.DataFrame:
        """One row: method, n, n_dropped, r, conf_low, conf_high, statistic, df, p_value, ..."""
        return pd.DataFrame([{c: getattr(self, c) for c in _TIDY_COLUMNS}], columns=_TIDY_COLUMNS)


def correlate(
    x: pd.Series | Sequence[float] | npt.NDArray[np.floating],
    y: pd.Series | Sequence[float] | npt.NDArray[np.floating],
    method: str = "pearson",
    *,
    conf_level: float = 0.95,
) -> CorrelationResult:
    """Correlate *x* with *y* as R's ``cor.test(x, y, method = method)``, with a Fisher-z CI.

    Parameters
    ----------
    x, y
        Numeric values of equal length, paired by position (two Series must share their index).
        NaN marks a missing value; pairs with either value missing are dropped and counted in
        ``n_dropped`` (pairwise-complete, as ``cor.test``).
    method
        ``"pearson"`` or ``"spearman"``.
    conf_level
        Level of the two-sided confidence interval.

    Returns
    -------
    CorrelationResult

    Raises
    ------
    ModelError
        Fewer than 4 complete pairs (the Fisher-z CI needs n - 3 > 0), or x or y constant over
        the complete pairs (r undefined). We raise rather than return NaN, in every function of
        this module.
    DataFormatError
        Non-numeric or infinite values, different lengths or indexes.
    PlanError
        Unknown method or a confidence level outside (0, 1).

    Notes
    -----
    *Pearson*: r, :math:`t = \\sqrt{n-2}\\, r / \\sqrt{1-r^2}` on n - 2 df, two-sided p and the
    CI are exactly those of ``cor.test``.

    *Spearman*: rho is Pearson's r of the average ranks and :math:`S = (n^3-n)(1-\\rho)/6`, as
    ``cor.test``. The p-value follows ``cor.test`` with its default ``exact = NULL``: without
    ties and n <= 1290, R's ``prho`` (AS 89: exact enumeration of permutations for n <= 9,
    Edgeworth series for larger n) on ``round(S)``; with ties, or n > 1290, the t
    approximation :math:`t = \\rho \\sqrt{(n-2)/(1-\\rho^2)}` on n - 2 df. Where R would warn
    "Cannot compute exact p-value with ties" we silently use what R then uses (the t
    approximation), as ``cor.test(..., exact = FALSE)`` does. R gives no CI for rho; ours is
    the Fisher-z interval above with the plain :math:`1/\\sqrt{n-3}` standard error (no
    Bonett-Wright or Fieller adjustment), so it is the same formula as for Pearson's r.

    Examples
    --------
    >>> res = correlate([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0])
    >>> round(res.r, 3), round(res.p_value, 4)  # In R: cor.test(1:5, c(2, 1, 4, 3, 5))
    (0.8, 0.1041)
    >>> res = correlate([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0], "spearman")
    >>> res.p_method, round(res.statistic, 6), round(res.p_value, 6)
    ('exact', 4.0, 0.133333)
    """
    if method not in CORRELATION_METHODS:
        raise PlanError(
            "unknown correlation method", value=method, expected="'pearson' or 'spearman'"
        )
    if not 0.0 < conf_level < 1.0:
        raise PlanError("confidence level out of range", value=conf_level, expected="in (0, 1)")
    xv, yv = _paired_arrays(x, y)
    complete = ~np.isnan(xv) & ~np.isnan(yv)
    n = int(complete.sum())
    n_dropped = int(xv.size - n)
    if n < 4:
        raise ModelError(
            f"{method} correlation needs at least 4 complete pairs for its Fisher-z confidence "
            f"interval; got {n} ({n_dropped} incomplete pairs dropped)"
        )
    xc, yc = xv[complete], yv[complete]
    if method == "spearman":
        xc, yc = rankdata(xc), rankdata(yc)
    r = _pearson_r(xc, yc)
    conf_low, conf_high = _fisher_ci(r, n, conf_level)
    if method == "pearson":
        df = float(n - 2)
        statistic = _t_of_r(r, df)
        p_value = float(2.0 * special.stdtr(df, -abs(statistic)))
        p_method = "t"
    else:
        df = math.nan
        ties = min(np.unique(xv[complete]).size, np.unique(yv[complete]).size) < n
        statistic, p_value, p_method = _spearman_test(r, n, exact=not ties)
    return CorrelationResult(
        method=method,
        n=n,
        n_dropped=n_dropped,
        r=r,
        conf_low=conf_low,
        conf_high=conf_high,
        conf_level=conf_level,
        statistic=statistic,
        df=df,
        p_value=p_value,
        p_method=p_method,
    )


def correlation_table(
    frame: pd.DataFrame,
    predictors: Sequence[str],
    targets: Sequence[str],
    methods: Sequence[str] = ("pearson", "spearman"),
    adjust: Sequence[str] = ("holm", "BH"),
    *,
    family: Literal["table", "method"] = "table",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Correlate every predictor with every target by every method, with adjusted p-values.

    Parameters
    ----------
    frame
        One row per participant (wide): predictor and target columns side by side.
    predictors, targets
        Column names, e.g. relationship scores at T1 and T2, and T3 outcomes or T1->T3 changes.
    methods
        Any of ``"pearson"``, ``"spearman"``.
    adjust
        p-value adjustments (see :func:`linkwork.stats.multiplicity.p_adjust`), each giving a
        column: ``"holm"`` -> ``p_holm``, ``"BH"``/``"fdr"`` -> ``p_fdr``, ``"BY"`` -> ``p_by``,
        ``"bonferroni"`` -> ``p_bonferroni``, ``"hochberg"`` -> ``p_hochberg``, ``"hommel"`` ->
        ``p_hommel``, ``"none"`` -> ``p_none``.
    family
        The family over which p-values are adjusted. ``"table"`` (default): every row of the
        table together, i.e. all predictors x targets x methods; ``"method"``: the rows of each
        method separately (Pearson and Spearman then count as two analyses of the same
        hypotheses rather than as more hypotheses).
    conf_level
        Level of the Fisher-z confidence intervals.

    Returns
    -------
    pandas.DataFrame
        One row per predictor x target x method, in that nesting order, with columns predictor,
        outcome, method, n, n_dropped, r, conf_low, conf_high, statistic, p_value, p_method and
        one column per adjustment. Each correlation uses its own complete pairs.

    Raises
    ------
    KeyError
        A column not in *frame*.
    ModelError
        Any pair with fewer than 4 complete observations or a constant column (the message
        names the pair); see :func:`correlate`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lw": [1.0, 2, 3, 4, 5, 6], "y": [2.0, 1, 4, 3, 6, 5]})
    >>> correlation_table(df, ["lw"], ["y"])[["method", "n", "p_holm"]].shape
    (2, 3)
    """
    missing = [c for c in [*predictors, *targets] if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    unknown = [m for m in adjust if m not in P_ADJUST_METHODS]
    if unknown:
        raise PlanError(
            "unknown p-value adjustment method",
            value=unknown[0],
            expected="one of " + ", ".join(P_ADJUST_METHODS),
        )
    if family not in ("table", "method"):
        raise PlanError("unknown adjustment family", value=family, expected="'table' or 'method'")
    rows = []
    for predictor in predictors:
        for target in targets:
            for method in methods:
                try:
                    res = correlate(frame[predictor], frame[target], method, conf_level=conf_level)
                except ModelError as error:
                    raise ModelError(f"{predictor!r} with {target!r}: {error}") from error
                except DataFormatError as error:
                    raise DataFormatError(
                        f"{predictor!r} with {target!r}: {error}",
                        column=error.column,
                        value=error.value,
                    ) from error
                row = {"predictor": predictor, "outcome": target}
                row.update({c: getattr(res, c) for c in _TIDY_COLUMNS if c != "df"})
                rows.append(row)
    columns = ["predictor", "outcome", *[c for c in _TIDY_COLUMNS if c != "df"]]
    table = pd.DataFrame(rows, columns=columns)
    table = table.astype({"n": "int64", "n_dropped": "int64"})
    groups = [np.arange(len(table))]
    if family == "method":
        groups = [np.flatnonzero(table["method"].to_numpy() == m) for m in dict.fromkeys(methods)]
    for name in adjust:
        adjusted = np.full(len(table), np.nan)
        for index in groups:
            adjusted[index] = p_adjust(table["p_value"].to_numpy()[index], name)
        table[ADJUSTED_COLUMN[name]] = adjusted
    return table


def _paired_arrays(
    x: pd.Series | Sequence[float] | npt.NDArray[np.floating],
    y: pd.Series | Sequence[float] | npt.NDArray[np.floating],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if isinstance(x, pd.Series) and isinstance(y, pd.Series) and not x.index.equals(y.index):
        raise DataFormatError(
            "x and y are Series with different indexes; align them first",
            expected="the same index (pairs are matched by position)",
        )
    xv = _numeric_vector(x, "x")
    yv = _numeric_vector(y, "y")
    if xv.size != yv.size:
        raise DataFormatError(
            "x and y differ in length", value=(xv.size, yv.size), expected="equal lengths"
        )
    return xv, yv


def _numeric_vector(
    values: pd.Series | Sequence[float] | npt.NDArray[np.floating], name: str
) -> npt.NDArray[np.float64]:
    """Float64 copy of a 1-d numeric input, NaN for missing; rejects text, bools and infinities."""
    column = str(values.name) if isinstance(values, pd.Series) and values.name is not None else name
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    return as_float(series, column)


def _pearson_r(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Pearson's r computed as R's ``cor``: two-pass means, extended-precision sums.

    R accumulates in C ``long double``; numpy's ``longdouble`` is the same 80-bit type on
    x86-64 Linux (elsewhere it may be plain double, which agrees to ~1e-15). Matching R's
    rounding matters only at |r| = 1, where R's clamp decides between r = 1 and t = Inf.
    """
    n = x.size
    n1 = n - 1
    xl = x.astype(np.longdouble)
    yl = y.astype(np.longdouble)
    mx = xl.sum() / n
    mx = np.longdouble(float(mx + (xl - mx).sum() / n))
    my = yl.sum() / n
    my = np.longdouble(float(my + (yl - my).sum() / n))
    dx, dy = xl - mx, yl - my
    sd_x = float(np.sqrt((dx * dx).sum() / n1))
    sd_y = float(np.sqrt((dy * dy).sum() / n1))
    if sd_x == 0.0 or sd_y == 0.0:
        raise ModelError(
            "correlation undefined: x or y is constant over the complete pairs "
            f"(n = {n}, SD x = {sd_x}, SD y = {sd_y})"
        )
    r = float((dx * dy).sum() / n1) / (sd_x * sd_y)
    return min(1.0, max(-1.0, r))


def _fisher_ci(r: float, n: int, conf_level: float) -> tuple[float, float]:
    if abs(r) == 1.0:
        return r, r
    z = math.atanh(r)
    half = float(special.ndtri((1.0 + conf_level) / 2.0)) / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def _t_of_r(r: float, df: float) -> float:
    if abs(r) == 1.0:
        return math.copysign(math.inf, r)
    return math.sqrt(df) * r / math.sqrt(1.0 - r * r)


def _spearman_test(r: float, n: int, *, exact: bool) -> tuple[float, float, str]:
    """S statistic, two-sided p-value and the p method, following R's ``cor.test``."""
    n3 = float(n) ** 3 - n
    q = n3 * (1.0 - r) / 6.0
    upper = q > n3 / 6.0  # rho below 0: the p-value is the upper tail of S
    use_as89 = exact and n <= SPEARMAN_AS89_MAX_N
    if use_as89:
        # R: prho(round(q) + 2 * lower.tail, n, lower.tail)
        p = _prho(n, float(np.round(q)) + (0.0 if upper else 2.0), lower_tail=not upper)
        p_method = "exact" if n <= SPEARMAN_ENUMERATION_MAX_N else "edgeworth"
    else:
        den = n * (float(n) ** 2 - 1.0) / 6.0
        rr = 1.0 - q / den
        if abs(rr) >= 1.0:
            t = math.copysign(math.inf, rr)
        else:
            t = rr / math.sqrt((1.0 - rr * rr) / (n - 2))
        # upper tail of S is the lower tail of t
        p = float(special.stdtr(n - 2, t) if upper else special.stdtr(n - 2, -t))
        p_method = "t-approximation"
    return q, min(2.0 * p, 1.0), p_method


@functools.cache
def _spearman_counts(n: int) -> npt.NDArray[np.int64]:
    """Number of permutations of 1..n with each sum of squared rank differences 0..(n^3-n)/3."""
    top = (n**3 - n) // 3
    counts: dict[int, npt.NDArray[np.int64]] = {0: np.zeros(top + 1, dtype=np.int64)}
    counts[0][0] = 1
    for position in range(n):
        following: dict[int, npt.NDArray[np.int64]] = {}
        for mask, dist in counts.items():
            for value in range(n):
                if mask & (1 << value):
                    continue
                step = (position - value) ** 2
                target = following.setdefault(
                    mask | (1 << value), np.zeros(top + 1, dtype=np.int64)
                )
                target[step:] += dist[: top + 1 - step]
        counts = following
    (dist,) = counts.values()
    return dist


# Edgeworth coefficients of AS 89 (Best & Roberts 1975, Appl. Statist. 24:377).
_AS89 = (0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932, 0.0879, 0.0151, 0.0072, 0.0831, 0.0131)
_AS89_C12 = 4.6e-4


def _prho(n: int, s: float, *, lower_tail: bool) -> float:
    """P(S >= s), or P(S < s) when *lower_tail*, for Spearman's S under independence (AS 89).

    Exact by enumeration for n <= 9, Edgeworth series above, as R's ``prho``.
    """
    if s <= 0.0:
        return 0.0 if lower_tail else 1.0
    top = n * ((float(n) * n - 1.0) / 3.0)  # R's order of operations, for the same rounding
    if s > top:
        return 1.0 if lower_tail else 0.0
    if n <= SPEARMAN_ENUMERATION_MAX_N:
        dist = _spearman_counts(n)
        total = int(dist.sum())
        at_least = int(dist[math.ceil(s) :].sum())
        return (total - at_least if lower_tail else at_least) / total
    c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 = _AS89
    y = float(n)
    b = 1.0 / y
    x = (6.0 * (s - 1.0) * b / (y * y - 1.0) - 1.0) * math.sqrt(y - 1.0)
    y = x * x
    u = (
        x
        * b
        * (
            c1
            + b * (c2 + c3 * b)
            + y
            * (
                -c4
                + b * (c5 + c6 * b)
                - y * b * (c7 + c8 * b - y * (c9 - c10 * b + y * b * (c11 - _AS89_C12 * y)))
            )
        )
    )
    y = u / math.exp(y / 2.0)
    normal = float(special.ndtr(x) if lower_tail else special.ndtr(-x))
    p = (-y if lower_tail else y) + normal
    return min(1.0, max(0.0, p))
