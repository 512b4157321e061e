"""Statistical disclosure control of counts in tables broken down below the whole programme.

The rule is the one NHS England (HES) and OpenSAFELY apply to published sub-national tables:
counts from 1 to a threshold (7) are suppressed and every other count is rounded to the
nearest multiple of a base (5). Zero stays zero. The rule is configurable and can be switched
off for internal use. Model estimates and confidence intervals are never suppressed; programme-
level counts (the flow diagram, descriptives) are not breakdowns and are shown as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkwork.errors import PlanError

__all__ = ["Disclosure", "suppress_counts"]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Small-number suppression settings.

    Attributes
    ----------
    suppress
        Apply the rule (``False`` only for internal, unpublished use).
    threshold
        Counts from 1 to ``threshold`` are suppressed.
    rounding
        Other counts are rounded to the nearest multiple of ``rounding`` (1 = no rounding);
        halves round up, so 8 becomes 10 and 12 becomes 10.

    Examples
    --------
    >>> Disclosure().describe()
    'counts of 1-7 suppressed, other counts rounded to the nearest 5'
    """

    suppress: bool = True
    threshold: int = 7
    rounding: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.suppress, bool):
            raise PlanError("disclosure.suppress must be true or false", value=self.suppress)
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise PlanError(
                "disclosure.threshold", value=self.threshold, expected="a whole number >= 0"
            )
        if self.threshold < 0:
            raise PlanError(
                "disclosure.threshold", value=self.threshold, expected="a whole number >= 0"
            )
        if isinstance(self.rounding, bool) or not isinstance(self.rounding, int):
            raise PlanError(
                "disclosure.rounding", value=self.rounding, expected="a whole number >= 1"
            )
        if self.rounding < 1:
            raise PlanError(
                "disclosure.rounding", value=self.rounding, expected="a whole number >= 1"
            )

    def describe(self) -> str:
        """One line saying what the rule does, for the report's methods section."""
        if not self.suppress:
            return "no suppression (internal use only)"
        parts = []
        if self.threshold >= 1:
            low = "1" if self.threshold > 1 else ""
            span = f"{low}-{self.threshold}" if low else "1"
            parts.append(f"counts of {span} suppressed")
        if self.rounding > 1:
            parts.append(f"other counts rounded to the nearest {self.rounding}")
        return ", ".join(parts) if parts else "no suppression"


def _round_half_up(values: np.ndarray, base: int) -> np.ndarray:
    return np.floor(values / base + 0.5) * base


def suppress_counts(
    table: pd.DataFrame,
    counts: Sequence[str],
    rule: Disclosure | None = None,
    *,
    flag: str = "suppressed",
) -> pd.DataFrame:
    """Apply small-number suppression and rounding to the count columns of a breakdown table.

    Parameters
    ----------
    table
        A table broken down below the whole programme (one row per site x wave, say).
    counts
        Names of the count columns to protect.
    rule
        The settings (default :class:`Disclosure`: suppress 1-7, round the rest to 5).
    flag
        Name of the boolean column added: ``True`` where any count in the row was suppressed.

    Returns
    -------
    pandas.DataFrame
        A copy with the counts as nullable floats: suppressed cells missing, others rounded;
        with ``rule.suppress`` false the counts are unchanged and the flag is all ``False``.

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["A", "B", "C", "D"], "n": [0, 5, 8, 12]})
    >>> out = suppress_counts(t, ["n"])
    >>> out["n"].tolist(), out["suppressed"].tolist()
    ([0.0, nan, 10.0, 10.0], [False, True, False, False])
    """
    rule = rule or Disclosure()
    result = table.copy()
    flagged = np.zeros(len(result), dtype=bool)
    for column in counts:
        values = pd.to_numeric(result[column], errors="raise").astype("float64").to_numpy()
        if rule.suppress:
            small = (values >= 1) & (values <= rule.threshold)
            protected = _round_half_up(values, rule.rounding)
            protected[small] = np.nan
            flagged |= small
            result[column] = protected
        else:
            result[column] = values
    result[flag] = flagged
    return result
