"""Presentation formatting: the only place where report numbers are rounded.

Conventions follow APA style (7th edition, section 6.36): p values to three decimals without a
leading zero and "< .001" below that; correlations without a leading zero; estimates to two
decimals; a true minus sign (U+2212) rather than a hyphen. Missing values print as an em dash.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "MISSING",
    "as_float",
    "fmt_ci",
    "fmt_df",
    "fmt_int",
    "fmt_num",
    "fmt_p",
    "fmt_p_is",
    "fmt_r",
    "is_missing",
]

#: What a missing or not-applicable number prints as.
MISSING = "—"
_MINUS = "\u2212"


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and empty strings.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0.0), is_missing("")
    (True, True, False, True)
    """
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(value != value)  # NaN, pd.NA comparisons
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float | None:
    """*value* as a float, or None when it is missing or not a number.

    Examples
    --------
    >>> as_float("2.5"), as_float(None), as_float("x")
    (2.5, None, None)
    """
    if is_missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _signed(text: str) -> str:
    return text.replace("-", _MINUS)


def fmt_num(value: Any, digits: int = 2) -> str:
    """Format an estimate with *digits* decimals and a true minus sign.

    A value that rounds to zero prints without a sign.

    Examples
    --------
    >>> fmt_num(-1.2345), fmt_num(0.004), fmt_num(-0.004), fmt_num(None)
    ('−1.23', '0.00', '0.00', '—')
    >>> fmt_num(12.5, 1)
    '12.5'
    """
    number = as_float(value)
    if number is None:
        return MISSING
    text = f"{number:.{digits}f}"
    if float(text) == 0.0:
        text = text.lstrip("-")
    return _signed(text)


def fmt_int(value: Any) -> str:
    """Format a count (no decimals, thousands separated by a thin space).

    Examples
    --------
    >>> fmt_int(64), fmt_int(12000.0), fmt_int(float("nan"))
    ('64', '12\u2009000', '—')
    """
    number = as_float(value)
    if number is None:
        return MISSING
    return f"{round(number):,}".replace(",", "\u2009")


def fmt_p(value: Any) -> str:
    """Format a p value: three decimals, no leading zero, "< .001" and "> .999" at the ends.

    Examples
    --------
    >>> fmt_p(0.0004), fmt_p(0.0234), fmt_p(0.05), fmt_p(1.0), fmt_p(None)
    ('< .001', '.023', '.050', '> .999', '—')
    """
    number = as_float(value)
    if number is None:
        return MISSING
    if number < 0.001:
        return "< .001"
    if number > 0.999:
        return "> .999"
    return f"{number:.3f}".lstrip("0")


def fmt_p_is(value: Any, label: str = "p") -> str:
    """A p value with its relation sign, for running text.

    Examples
    --------
    >>> fmt_p_is(0.0004), fmt_p_is(0.0234, "p (Holm)"), fmt_p_is(1.0)
    ('p < .001', 'p (Holm) = .023', 'p > .999')
    """
    text = fmt_p(value)
    if text[:1] in "<>":
        return f"{label} {text}"
    return f"{label} = {text}"


def fmt_r(value: Any) -> str:
    """Format a correlation: two decimals, no leading zero, true minus sign.

    Examples
    --------
    >>> fmt_r(0.412), fmt_r(-0.034), fmt_r(1.0), fmt_r(None)
    ('.41', '−.03', '1.00', '—')
    """
    number = as_float(value)
    if number is None:
        return MISSING
    text = fmt_num(number, 2)
    if abs(number) < 0.995:
        text = text.replace("0.", ".", 1)
    return text


def fmt_df(value: Any) -> str:
    """Format degrees of freedom: whole numbers as integers, Satterthwaite df to one decimal.

    Examples
    --------
    >>> fmt_df(2), fmt_df(2.0), fmt_df(87.2961), fmt_df(None)
    ('2', '2', '87.3', '—')
    """
    number = as_float(value)
    if number is None:
        return MISSING
    if abs(number - round(number)) < 1e-9:
        return str(round(number))
    return f"{number:.1f}"


def fmt_ci(low: Any, high: Any, digits: int = 2, *, r: bool = False) -> str:
    """Format a confidence interval as "[low, high]".

    Examples
    --------
    >>> fmt_ci(-1.414, -0.826), fmt_ci(0.1, 0.62, r=True), fmt_ci(None, 1)
    ('[−1.41, −0.83]', '[.10, .62]', '—')
    """
    if as_float(low) is None or as_float(high) is None:
        return MISSING
    fmt = fmt_r if r else (lambda v: fmt_num(v, digits))
    return f"[{fmt(low)}, {fmt(high)}]"
