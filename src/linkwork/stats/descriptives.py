"""Descriptive statistics per wave: the first table of any evaluation.

Quantiles use R's default (type 7, linear interpolation), the same as pandas and numpy, and
the standard deviation the n - 1 denominator, as R's ``sd``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["describe_by_wave"]

COLUMNS = ["outcome", "wave", "n", "mean", "sd", "median", "q1", "q3"]


def describe_by_wave(
    frame: pd.DataFrame, outcomes: Sequence[str], *, wave: str = "wave"
) -> pd.DataFrame:
    """Summarise each outcome at each wave over the non-missing values.

    Parameters
    ----------
    frame
        Long data: one row per participant x wave, with a ``wave`` column (ordered categorical
        for a meaningful wave order) and one column per outcome.
    outcomes
        Columns to summarise, in the order wanted in the table.
    wave
        Name of the wave column.

    Returns
    -------
    pandas.DataFrame
        Columns outcome, wave, n, mean, sd, median, q1, q3 at full precision; a wave with no
        observed value has n = 0 and missing statistics.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"wave": ["T1", "T1", "T2"], "y": [1.0, 3.0, 5.0]})
    >>> describe_by_wave(df, ["y"])[["wave", "n", "mean", "median"]].to_string(index=False)
    'wave  n  mean  median\\n  T1  2   2.0     2.0\\n  T2  1   5.0     5.0'
    """
    missing = [c for c in [wave, *outcomes] if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    waves = frame[wave]
    levels = list(waves.cat.categories) if isinstance(waves.dtype, pd.CategoricalDtype) else None
    if levels is None:
        levels = sorted(waves.dropna().unique())
    rows = []
    for outcome in outcomes:
        values = pd.to_numeric(frame[outcome], errors="raise").astype("float64")
        for level in levels:
            v = values[(waves == level).to_numpy()].dropna()
            rows.append(
                {
                    "outcome": outcome,
                    "wave": level,
                    "n": len(v),
                    "mean": v.mean() if len(v) else float("nan"),
                    "sd": v.std(ddof=1) if len(v) > 1 else float("nan"),
                    "median": v.median() if len(v) else float("nan"),
                    "q1": v.quantile(0.25) if len(v) else float("nan"),
                    "q3": v.quantile(0.75) if len(v) else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
