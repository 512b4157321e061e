"""Score the plan's measures from a long item-level data set (the first step of an evaluation).

A measure with an instrument is scored from its item columns (``<instrument>_1`` ...) by
:func:`linkwork.instruments.score` when they are present; otherwise a column with the
measure's name is taken as the score as supplied. Each measure's scoring is recorded (version,
missing-item rule, numbers scored, prorated and missing) for the report's methods section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linkwork import instruments
from linkwork.errors import DataFormatError
from linkwork.evaluation.plan import Measure

__all__ = ["SCORING_COLUMNS", "ScoredMeasures", "score_measures"]

SCORING_COLUMNS = ["instrument", "version", "missing_rule", "n_scored", "n_prorated", "n_missing"]
SUPPLIED = "supplied as a score column"


@dataclass(frozen=True, slots=True)
class ScoredMeasures:
    """The plan's measures scored for every row of the data.

    Attributes
    ----------
    scores
        One float column per measure found (named by the measure), indexed like the data.
    scoring
        The ``scoring`` table: instrument, version, missing_rule, n_scored, n_prorated,
        n_missing (one row per instrument scored or score column taken).
    absent
        Measures with neither item columns nor a score column in the data.
    """

    scores: pd.DataFrame
    scoring: pd.DataFrame
    absent: tuple[str, ...]


def _has_items(frame: pd.DataFrame, instrument: str) -> bool:
    spec = instruments.get(instrument)
    return any(key in frame.columns for key in spec.item_keys)


def _as_score(frame: pd.DataFrame, name: str) -> pd.Series:
    column = frame[name]
    values = pd.to_numeric(column, errors="coerce")
    bad = column.notna() & values.isna()
    if bad.any():
        row = bad[bad].index[0]
        raise DataFormatError(
            "a score column holds a value that is not a number",
            row=row,
            column=name,
            value=column.loc[row],
            expected="numbers (missing allowed)",
        )
    return values.astype("float64")


def score_measures(frame: pd.DataFrame, measures: Sequence[Measure]) -> ScoredMeasures:
    """Score each measure (from items when present, else its score column).

    Parameters
    ----------
    frame
        Long data (see :func:`linkwork.read`).
    measures
        The plan's measures (:meth:`linkwork.evaluation.Plan.measures`).

    Raises
    ------
    linkwork.InvalidResponse, linkwork.DataFormatError, linkwork.PlanError
        From the scorer: out-of-range responses, partial item sets, bad scoring options.
    """
    columns: dict[str, pd.Series] = {}
    rows: list[dict[str, Any]] = []
    absent: list[str] = []
    cache: dict[tuple[str, str], pd.Series | pd.DataFrame] = {}
    for measure in measures:
        if measure.instrument and _has_items(frame, measure.instrument):
            key = (measure.instrument, repr(sorted(measure.options.items())))
            if key not in cache:
                cache[key] = instruments.score(measure.instrument, frame, **dict(measure.options))
            result = cache[key]
            if isinstance(result, pd.DataFrame):
                if measure.name not in result.columns:
                    raise DataFormatError(
                        f"instrument {measure.instrument!r} gives several scores; the measure "
                        "name must be one of them",
                        value=measure.name,
                        expected=f"one of {list(result.columns)}",
                    )
                values = result[measure.name].astype("float64")
            else:
                values = result.astype("float64")
            attrs = result.attrs
            n_missing = int(values.isna().sum())
            rows.append(
                {
                    "instrument": measure.name
                    if measure.name != measure.instrument
                    else measure.instrument,
                    "version": str(attrs.get("version", "")),
                    "missing_rule": str(attrs.get("missing_rule", "")),
                    "n_scored": int(values.notna().sum()),
                    "n_prorated": int(attrs.get("n_prorated", 0))
                    if not isinstance(result, pd.DataFrame)
                    else 0,
                    "n_missing": n_missing,
                }
            )
        elif measure.name in frame.columns:
            values = _as_score(frame, measure.name)
            rows.append(
                {
                    "instrument": measure.name,
                    "version": SUPPLIED,
                    "missing_rule": SUPPLIED,
                    "n_scored": int(values.notna().sum()),
                    "n_prorated": 0,
                    "n_missing": int(values.isna().sum()),
                }
            )
        else:
            absent.append(measure.name)
            continue
        columns[measure.name] = pd.Series(
            np.asarray(values, dtype="float64"), index=frame.index, name=measure.name
        )
    scores = pd.DataFrame(columns, index=frame.index)
    return ScoredMeasures(scores, pd.DataFrame(rows, columns=SCORING_COLUMNS), tuple(absent))
