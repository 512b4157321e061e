"""Relationships -> outcomes: correlations of relationship scores with later outcomes.

For each predictor (relationship with the link worker, facilitator fosters belonging) at each
of its waves, each outcome and each target — the outcome at the last wave, or its change from
baseline to the last wave (change = last wave - baseline, whatever the outcome's direction) —
Pearson and Spearman correlations with Fisher-z 95% CIs (:func:`linkwork.stats.correlation.
correlate`, validated against R's ``cor.test``), and Holm and FDR (Benjamini-Hochberg)
adjusted p-values within each method over the whole table (R's ``p.adjust``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from linkwork.errors import ModelError
from linkwork.evaluation.cohort import ID, WAVE, Cohort
from linkwork.stats.correlation import correlate
from linkwork.stats.multiplicity import p_adjust

__all__ = ["CORRELATION_COLUMNS", "correlations"]

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


def _wide(cohort: Cohort, columns: list[str]) -> dict[str, pd.DataFrame]:
    """Wave -> participants x columns (every participant, NaN where not observed)."""
    data = cohort.data
    ids = pd.Index(sorted(set(data[ID])), name=ID)
    return {
        wave: data.loc[data[WAVE] == wave, [ID, *columns]]
        .set_index(ID)
        .reindex(ids)
        .astype("float64")
        for wave in cohort.plan.waves
    }


def correlations(
    cohort: Cohort, outcomes: list[str]
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The ``correlations`` table and exclusion rows for pairs that could not be computed.

    Each correlation uses the participants with both values (pairwise complete); ``n`` is their
    number. Fewer than 4 pairs, or a constant variable, leaves r, CI and p missing.
    """
    plan = cohort.plan
    data = cohort.data
    rows: list[dict[str, object]] = []
    exclusions: list[dict[str, object]] = []
    if not cohort.last:
        return pd.DataFrame(columns=CORRELATION_COLUMNS), exclusions
    present = [p.name for p in plan.predictors if p.name in data.columns]
    wide = _wide(cohort, [*outcomes, *present])
    targets: dict[tuple[str, str], pd.Series] = {}
    for outcome in outcomes:
        last = wide[cohort.last][outcome]
        if "last wave" in plan.targets:
            targets[(outcome, "last wave")] = last
        if "change" in plan.targets and plan.baseline != cohort.last:
            targets[(outcome, "change")] = last - wide[plan.baseline][outcome]
    for predictor in plan.predictors:
        if predictor.name not in data.columns:
            continue
        waves = predictor.waves or tuple(w for w in cohort.observed if w != cohort.last)
        for wave in waves:
            if wave not in wide:
                continue
            x = wide[wave][predictor.name]
            if x.notna().sum() == 0:
                exclusions.append(
                    {
                        "table": "correlations",
                        "reason": f"{predictor.name} has no scores at {wave}",
                        "n": 0,
                    }
                )
                continue
            for (outcome, target), y in targets.items():
                n_pairs = int((x.notna() & y.notna()).sum())
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
                        res = correlate(x.to_numpy(), y.to_numpy(), method)
                        row |= {
                            "r": res.r,
                            "conf_low": res.conf_low,
                            "conf_high": res.conf_high,
                            "p_value": res.p_value,
                        }
                    except ModelError as error:
                        row |= dict.fromkeys(("r", "conf_low", "conf_high", "p_value"), math.nan)
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
