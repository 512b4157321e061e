"""Completers versus non-completers at baseline, for the evaluation's attrition table.

Completers are participants observed (with a row) at the last observed wave; everyone with a
baseline row is compared on the baseline outcomes, the groups count and the plan's attrition
variables (e.g. age, gender) with :func:`linkwork.stats.attrition.compare_completers`
(standardised differences; Welch's t test or Fisher's exact test, as R).
"""

from __future__ import annotations

import pandas as pd

from linkwork.errors import ModelError
from linkwork.evaluation.cohort import ID, WAVE, Cohort
from linkwork.stats.attrition import compare_completers

__all__ = ["ATTRITION_COLUMNS", "attrition_table"]

ATTRITION_COLUMNS = [
    "variable",
    "level",
    "n_completers",
    "n_noncompleters",
    "mean_completers",
    "sd_completers",
    "mean_noncompleters",
    "sd_noncompleters",
    "smd",
    "test",
    "statistic",
    "p_value",
]


def attrition_table(
    cohort: Cohort, outcomes: list[str]
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The ``attrition`` table and exclusion rows for variables that could not be compared.

    Continuous variables: means and SDs per group, standardised difference (Austin 2009),
    Welch's t. Categorical variables: one row per level with the proportion at that level in
    ``mean_completers`` / ``mean_noncompleters`` (SD columns empty), the standardised
    difference of proportions, and Fisher's exact test of the group x level table.
    """
    plan = cohort.plan
    data = cohort.data
    empty = pd.DataFrame(columns=ATTRITION_COLUMNS)
    if not cohort.last or cohort.last == plan.baseline:
        return empty, []
    baseline = data[data[WAVE] == plan.baseline].set_index(ID)
    if baseline.empty:
        return empty, []
    completers = set(data.loc[data[WAVE] == cohort.last, ID])
    status = pd.Series(baseline.index.isin(list(completers)), index=baseline.index)
    groups = [plan.groups.name] if plan.groups and plan.groups.name in data.columns else []
    variables = [*outcomes, *groups]
    variables += [c for c in plan.attrition if c in data.columns and c not in variables]
    parts = []
    exclusions: list[dict[str, object]] = []
    for variable in variables:
        column = baseline[[variable]]
        if pd.api.types.is_string_dtype(column[variable].dtype):
            column = column.astype({variable: object})
        try:
            tidy = compare_completers(column, status, [variable]).tidy()
        except ModelError as error:
            exclusions.append(
                {
                    "table": "attrition",
                    "reason": f"{variable} not compared: {error}",
                    "n": int(column[variable].notna().sum()),
                }
            )
            continue
        categorical = tidy["kind"] == "categorical"
        tidy.loc[categorical, "mean_completers"] = tidy.loc[categorical, "prop_completers"]
        tidy.loc[categorical, "mean_noncompleters"] = tidy.loc[categorical, "prop_noncompleters"]
        tidy["level"] = tidy["level"].astype(object).where(tidy["level"].notna(), "")
        parts.append(tidy[ATTRITION_COLUMNS])
    if not parts:
        return empty, exclusions
    table = pd.concat(parts, ignore_index=True)
    table["statistic"] = table["statistic"].astype("float64")
    return table, exclusions
