"""Completers versus non-completers at baseline, for the evaluation's attrition table.

Completers are participants observed (with a row) at the last observed wave; everyone with a
baseline row is compared on the baseline outcomes, the groups count and the plan's attrition
variables (e.g. age, gender) with :func:`linkwork.stats.attrition.compare_completers`
(standardised differences; Welch's t test or Fisher's exact test, as R).

:func:`attrition_table` takes the baseline columns from the in-memory :class:`Cohort`;
:func:`attrition_from_columns` turns baseline columns from any source into the table (it is
also used by :func:`linkwork.scale.evaluation_tables.attrition_sql`, whose columns are rebuilt
from counts computed by a SQL engine), so both give the same table for the same data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import pandas as pd

from linkwork.errors import ModelError
from linkwork.evaluation.cohort import ID, WAVE, Cohort
from linkwork.evaluation.plan import Plan
from linkwork.stats.attrition import compare_completers

__all__ = [
    "ATTRITION_COLUMNS",
    "attrition_from_columns",
    "attrition_table",
    "attrition_variables",
]

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


def attrition_variables(plan: Plan, columns: Collection[str], outcomes: list[str]) -> list[str]:
    """The variables compared, in table order: outcomes, the groups count, attrition variables.

    >>> from linkwork.evaluation.plan import default_plan
    >>> attrition_variables(default_plan(), ["k6", "groups", "age", "site"], ["k6"])
    ['k6', 'groups', 'age']
    """
    groups = [plan.groups.name] if plan.groups and plan.groups.name in columns else []
    variables = [*outcomes, *groups]
    variables += [c for c in plan.attrition if c in columns and c not in variables]
    return variables


def attrition_from_columns(
    columns: Iterable[tuple[str, pd.Series, pd.Series]],
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The ``attrition`` table and exclusion rows from baseline columns.

    Parameters
    ----------
    columns
        ``(variable, values, completer)`` triples, in table order: the baseline values of the
        variable (one per participant with a baseline row; its dtype decides continuous
        versus categorical as in :func:`compare_completers`) and the boolean completer status,
        indexed alike. An iterable, so that a caller may compute each column lazily.

    Returns
    -------
    (pandas.DataFrame, list of dict)
        The table (columns :data:`ATTRITION_COLUMNS`) and one exclusion row per variable that
        could not be compared (``n`` = its non-missing baseline values).
    """
    parts = []
    exclusions: list[dict[str, object]] = []
    for variable, values, completer in columns:
        column = values.to_frame(variable)
        if pd.api.types.is_string_dtype(column[variable].dtype):
            column = column.astype({variable: object})
        try:
            tidy = compare_completers(column, completer, [variable]).tidy()
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
        return pd.DataFrame(columns=ATTRITION_COLUMNS), exclusions
    table = pd.concat(parts, ignore_index=True)
    table["statistic"] = table["statistic"].astype("float64")
    return table, exclusions


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
    if not cohort.last or cohort.last == plan.baseline:
        return pd.DataFrame(columns=ATTRITION_COLUMNS), []
    baseline = data[data[WAVE] == plan.baseline].set_index(ID)
    if baseline.empty:
        return pd.DataFrame(columns=ATTRITION_COLUMNS), []
    completers = data.loc[data[WAVE] == cohort.last, ID].unique().tolist()
    status = pd.Series(baseline.index.isin(completers), index=baseline.index)
    variables = attrition_variables(plan, data.columns, outcomes)
    return attrition_from_columns((v, baseline[v], status) for v in variables)
