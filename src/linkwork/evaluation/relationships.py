"""Relationships -> outcomes: correlations of relationship scores with later outcomes.

For each predictor (relationship with the link worker, facilitator fosters belonging) at each
of its waves, each outcome and each target — the outcome at the last wave, or its change from
baseline to the last wave (change = last wave - baseline, whatever the outcome's direction) —
Pearson and Spearman correlations with Fisher-z 95% CIs (:func:`linkwork.stats.correlation.
correlate`, validated against R's ``cor.test``), and Holm and FDR (Benjamini-Hochberg)
adjusted p-values within each method over the whole table (R's ``p.adjust``).

:func:`correlations_from_pairs` builds the table from any :class:`PairSource` of (x, y)
arrays: :func:`correlations` reads them from the in-memory :class:`Cohort`,
:func:`linkwork.scale.evaluation_tables.correlations_sql` rebuilds them from counts computed
by a SQL engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.errors import ModelError
from linkwork.evaluation.cohort import ID, WAVE, Cohort
from linkwork.evaluation.plan import Plan
from linkwork.stats.correlation import correlate
from linkwork.stats.multiplicity import p_adjust

__all__ = [
    "CORRELATION_COLUMNS",
    "PairSource",
    "TargetPairs",
    "correlations",
    "correlations_from_pairs",
]

CORRELATION_COLUMNS = [
    "predictor",
    "predictor_wave",
    "outcome",
    "target",
    "method",
    "n",
    "r",
    "conf_low",
    "conf_high",
    "p_value",
    "p_holm",
    "p_fdr",
]


#: ``{target: (x, y)}``: the predictor and target values of each participant, paired by
#: position (NaN = missing; pairs with a missing value are left out of the correlation).
TargetPairs = dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]


class PairSource(Protocol):
    """Where :func:`correlations_from_pairs` takes the (x, y) arrays of each correlation.

    The in-memory source reads the :class:`Cohort`'s frame; the SQL source
    (:func:`linkwork.scale.evaluation_tables.correlations_sql`) rebuilds the pairs from counts
    computed by the engine.
    """

    def has_scores(self, predictor: str, wave: str) -> bool:
        """Whether *predictor* has a score (non-missing) at *wave* for any participant."""
        ...

    def pairs(self, predictor: str, wave: str, outcome: str, targets: list[str]) -> TargetPairs:
        """For each target (``"last wave"``, ``"change"``): x = *predictor* at *wave*, y = the
        *outcome* at the last wave or its change from baseline (last - baseline)."""
        ...


def _wide(cohort: Cohort, columns: list[str]) -> dict[str, pd.DataFrame]:
    """Wave -> participants x columns (every participant, NaN where not observed)."""
    data = cohort.data
    ids = pd.Index(sorted(data[ID].unique().tolist()), name=ID)
    return {
        wave: data.loc[data[WAVE] == wave, [ID, *columns]]
        .set_index(ID)
        .reindex(ids)
        .astype("float64")
        for wave in cohort.plan.waves
    }


@dataclass(frozen=True, slots=True)
class _FramePairs:
    """The pairs from the in-memory frame: every participant, sorted by identifier."""

    wide: dict[str, pd.DataFrame]
    baseline: str
    last: str

    def has_scores(self, predictor: str, wave: str) -> bool:
        return bool(self.wide[wave][predictor].notna().any())

    def pairs(self, predictor: str, wave: str, outcome: str, targets: list[str]) -> TargetPairs:
        x = self.wide[wave][predictor].to_numpy(dtype=np.float64)
        last = self.wide[self.last][outcome].to_numpy(dtype=np.float64)
        out: TargetPairs = {}
        for target in targets:
            if target == "last wave":
                out[target] = (x, last)
            else:
                out[target] = (x, last - self.wide[self.baseline][outcome].to_numpy(np.float64))
        return out


def correlations(
    cohort: Cohort, outcomes: list[str]
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The ``correlations`` table and exclusion rows for pairs that could not be computed.

    Each correlation uses the participants with both values (pairwise complete); ``n`` is their
    number. Fewer than 4 pairs, or a constant variable, leaves r, CI and p missing. The table
    is :func:`correlations_from_pairs` over the cohort's frame.
    """
    if not cohort.last:
        return pd.DataFrame(columns=CORRELATION_COLUMNS), []
    present = [p.name for p in cohort.plan.predictors if p.name in cohort.data.columns]
    source = _FramePairs(_wide(cohort, [*outcomes, *present]), cohort.plan.baseline, cohort.last)
    return correlations_from_pairs(
        cohort.plan, cohort.observed, cohort.last, present, outcomes, source
    )


def correlations_from_pairs(
    plan: Plan,
    observed: Sequence[str],
    last: str,
    present: Sequence[str],
    outcomes: Sequence[str],
    source: PairSource,
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The ``correlations`` table and exclusion rows, with the values taken from *source*.

    Parameters
    ----------
    plan
        The resolved plan (predictors and their waves, methods, targets, baseline).
    observed, last
        The observed waves (in order) and the last of them; a predictor without waves in the
        plan is correlated at every observed wave before *last*.
    present
        The predictors present in the data (the others are skipped).
    outcomes
        The outcomes, in table order.
    source
        Gives the (x, y) arrays (:class:`PairSource`).

    Returns
    -------
    (pandas.DataFrame, list of dict)
        As :func:`correlations`: rows by predictor, wave, outcome, target and method; Holm and
        FDR adjustments within each method over the whole table.
    """
    rows: list[dict[str, object]] = []
    exclusions: list[dict[str, object]] = []
    if not last:
        return pd.DataFrame(columns=CORRELATION_COLUMNS), exclusions
    targets = [t for t in ("last wave",) if t in plan.targets]
    if "change" in plan.targets and plan.baseline != last:
        targets.append("change")
    for predictor in plan.predictors:
        if predictor.name not in present:
            continue
        waves = predictor.waves or tuple(w for w in observed if w != last)
        for wave in waves:
            if wave not in plan.waves:
                continue
            if not source.has_scores(predictor.name, wave):
                exclusions.append(
                    {
                        "table": "correlations",
                        "reason": f"{predictor.name} has no scores at {wave}",
                        "n": 0,
                    }
                )
                continue
            for outcome in outcomes:
                pairs = source.pairs(predictor.name, wave, outcome, targets) if targets else {}
                for target in targets:
                    x, y = pairs[target]
                    n_pairs = int((~np.isnan(x) & ~np.isnan(y)).sum())
                    for method in plan.methods:
                        row: dict[str, object] = {
                            "predictor": predictor.name,
                            "predictor_wave": wave,
                            "outcome": outcome,
                            "target": target,
                            "method": method,
                            "n": n_pairs,
                        }
                        try:
                            res = correlate(x, y, method)
                            row |= {
                                "r": res.r,
                                "conf_low": res.conf_low,
                                "conf_high": res.conf_high,
                                "p_value": res.p_value,
                            }
                        except ModelError as error:
                            row |= dict.fromkeys(
                                ("r", "conf_low", "conf_high", "p_value"), math.nan
                            )
                            exclusions.append(
                                {
                                    "table": "correlations",
                                    "reason": f"{predictor.name} at {wave} with {outcome} "
                                    f"({target}, {method}) not computed: {error}",
                                    "n": n_pairs,
                                }
                            )
                        rows.append(row)
    table = pd.DataFrame(rows, columns=CORRELATION_COLUMNS[:-2])
    table["p_holm"] = np.nan
    table["p_fdr"] = np.nan
    for method in plan.methods:
        index = np.flatnonzero(table["method"].to_numpy() == method)
        if len(index):
            p = table["p_value"].to_numpy(dtype="float64")[index]
            table.loc[table.index[index], "p_holm"] = p_adjust(p, "holm")
            table.loc[table.index[index], "p_fdr"] = p_adjust(p, "BH")
    return table.astype({"n": "int64"}), exclusions
