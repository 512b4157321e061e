"""Adjusting p-values for multiple comparisons, exactly as R's ``p.adjust``.

The methods are those of R's ``stats::p.adjust`` (R 4.2): Holm (1979), Hochberg (1988),
Hommel (1988), Bonferroni, Benjamini & Hochberg (1995) (``"BH"``, alias ``"fdr"``),
Benjamini & Yekutieli (2001) (``"BY"``) and ``"none"``. Missing p-values (NaN) stay NaN in the
output and are left out of the number of comparisons *n*, as R does with its default
``n = length(p)`` evaluated after dropping ``NA``.

Validated against R 4.2.2 ``p.adjust`` (stored results in ``tests/reference/other_stats.json``
and a live randomised comparison) to 1e-10 relative; the arithmetic follows R's order of
operations, so agreement is normally to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.errors import DataFormatError, PlanError

__all__ = ["P_ADJUST_METHODS", "AdjustMethod", "p_adjust"]

AdjustMethod = Literal["holm", "hochberg", "hommel", "bonferroni", "BH", "fdr", "BY", "none"]

#: Method names accepted by :func:`p_adjust` (R's ``p.adjust.methods`` plus the alias "fdr").
P_ADJUST_METHODS: tuple[str, ...] = (
    "holm",
    "hochberg",
    "hommel",
    "bonferroni",
    "BH",
    "fdr",
    "BY",
    "none",
)


@overload
def p_adjust(p: pd.Series, method: str = "holm") -> pd.Series: ...


@overload
def p_adjust(
    p: Sequence[float] | npt.NDArray[np.floating], method: str = "holm"
) -> npt.NDArray[np.float64]: ...


def p_adjust(
    p: pd.Series | Sequence[float] | npt.NDArray[np.floating], method: str = "holm"
) -> pd.Series | npt.NDArray[np.float64]:
    """Adjust p-values for multiple comparisons as R's ``p.adjust(p, method)``.

    Parameters
    ----------
    p
        One-dimensional p-values in [0, 1]; NaN marks a missing p-value.
    method
        One of :data:`P_ADJUST_METHODS`: ``"holm"``, ``"hochberg"``, ``"hommel"``,
        ``"bonferroni"``, ``"BH"`` (alias ``"fdr"``), ``"BY"`` or ``"none"``.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values in the input order at full precision; a Series (same index and name)
        when given a Series. NaN inputs stay NaN and do not count towards *n*, the number of
        comparisons. With fewer than two non-missing p-values nothing is adjusted, as in R.

    Raises
    ------
    PlanError
        For an unknown method name.
    DataFormatError
        For a p-value outside [0, 1], an infinite value, or input that is not one-dimensional.

    Notes
    -----
    With the *m* non-missing p-values sorted increasingly, :math:`p_{(1)} \\le \\dots \\le
    p_{(m)}`: Bonferroni is :math:`\\min(1, m p)`; Holm is the running maximum of
    :math:`(m + 1 - i) p_{(i)}`; Hochberg and BH are running minima from the largest of
    :math:`(m + 1 - i) p_{(i)}` and :math:`(m / i) p_{(i)}`; BY multiplies BH by
    :math:`\\sum_{j=1}^m 1/j`; Hommel uses the closed-testing shortcut of R's implementation
    (with two p-values it equals Hochberg). Every result is capped at 1.

    Examples
    --------
    >>> p_adjust([0.01, 0.02, 0.03, float("nan")], "holm")
    array([0.03, 0.04, 0.04,  nan])
    >>> p_adjust([0.01, 0.02, 0.03], "BH")  # In R: p.adjust(c(.01, .02, .03), "BH")
    array([0.03, 0.03, 0.03])
    """
    if method not in P_ADJUST_METHODS:
        raise PlanError(
            "unknown p-value adjustment method",
            value=method,
            expected="one of " + ", ".join(P_ADJUST_METHODS),
        )
    values = np.array(p, dtype=np.float64)
    if values.ndim != 1:
        raise DataFormatError(
            "p-values must be one-dimensional", value=values.shape, expected="a 1-d sequence"
        )
    bad = ~np.isnan(values) & ~((values >= 0.0) & (values <= 1.0))
    if bad.any():
        raise DataFormatError(
            "p-value outside [0, 1]",
            row=int(np.flatnonzero(bad)[0]),
            value=float(values[bad][0]),
            expected="a probability in [0, 1] or NaN",
        )
    present = ~np.isnan(values)
    adjusted = values.copy()
    adjusted[present] = _adjust(values[present], "BH" if method == "fdr" else method)
    if isinstance(p, pd.Series):
        return pd.Series(adjusted, index=p.index, name=p.name, dtype="float64")
    return adjusted


def _adjust(p: npt.NDArray[np.float64], method: str) -> npt.NDArray[np.float64]:
    """Adjust complete p-values (no NaN); *n* is their number."""
    n = p.size
    if n <= 1 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, n * p)
    if method == "hommel" and n == 2:
        method = "hochberg"
    if method == "hommel":
        return _hommel(p)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        factors = (n + 1 - np.arange(1, n + 1)).astype(np.float64)
        stepped = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    else:
        # Step-up methods work from the largest p-value down; rank i runs n, n-1, ..., 1.
        order = np.argsort(-p, kind="stable")
        i = np.arange(n, 0, -1).astype(np.float64)
        if method == "hochberg":
            scaled = (n + 1 - i) * p[order]
        elif method == "BH":
            scaled = (n / i) * p[order]
        else:  # "BY"
            harmonic = math.fsum(1.0 / k for k in range(1, n + 1))
            scaled = ((harmonic * n) / i) * p[order]
        stepped = np.minimum(1.0, np.minimum.accumulate(scaled))
    out = np.empty(n, dtype=np.float64)
    out[order] = stepped
    return out


def _hommel(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Hommel's adjustment for n >= 3 complete p-values (R's shortcut algorithm)."""
    n = p.size
    order = np.argsort(p, kind="stable")
    s = p[order]
    ranks = np.arange(1, n + 1, dtype=np.float64)
    start = float(np.min(n * s / ranks))
    q = np.full(n, start)
    pa = np.full(n, start)
    for j in range(n - 1, 1, -1):
        head = n - j + 1  # number of smallest p-values compared with j * p
        q1 = float(np.min(j * s[head:] / np.arange(2, j + 1, dtype=np.float64)))
        q[:head] = np.minimum(j * s[:head], q1)
        q[head:] = q[head - 1]
        pa = np.maximum(pa, q)
    out = np.empty(n, dtype=np.float64)
    out[order] = np.maximum(pa, s)
    return out
