"""The meaningful-groups analysis: medians per wave, Friedman, Wilcoxon pairs with r.

The number of meaningful social groups is a count, so the study summarises it with medians
and IQRs and tests change with rank tests: Friedman on participants with every wave, and
Wilcoxon signed-rank tests of each pair of waves (later minus earlier) with Holm adjustment and
the effect size r = z / sqrt(n non-zero differences) (see :mod:`linkwork.stats.nonparametric`,
validated against R's ``friedman.test`` and ``wilcox.test``).

:func:`groups_from_wide` computes the table from the participants x waves counts:
:func:`groups_analysis` takes them from the in-memory :class:`Cohort` (:func:`groups_wide`),
:func:`linkwork.scale.evaluation_tables.groups_sql` rebuilds them from counts computed by a SQL
engine.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from linkwork.errors import ModelError
from linkwork.evaluation.cohort import ID, WAVE, Cohort
from linkwork.evaluation.plan import Plan
from linkwork.stats.multiplicity import p_adjust
from linkwork.stats.nonparametric import friedman, wilcoxon_signed_rank

__all__ = ["GROUPS_COLUMNS", "groups_analysis", "groups_from_wide", "groups_wide"]

GROUPS_COLUMNS = [
    "kind",
    "wave",
    "contrast",
    "n",
    "median",
    "q1",
    "q3",
    "statistic",
    "df",
    "p_value",
    "p_adjusted",
    "r",
]


def _row(**values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(GROUPS_COLUMNS, math.nan)
    row.update(wave="", contrast="")
    row.update(values)
    return row


def groups_wide(cohort: Cohort) -> pd.DataFrame:
    """Participants x waves (float64) of the groups count, as :func:`groups_analysis` uses it.

    One row per participant with a count at one wave at least, one column per observed wave
    with a count (in the plan's order); NaN where the participant has no count at that wave.
    """
    plan = cohort.plan
    measure = plan.groups
    if measure is None or measure.name not in cohort.data.columns:
        return pd.DataFrame(dtype="float64")
    data = cohort.data
    wide = data.pivot_table(
        index=ID, columns=WAVE, values=measure.name, aggfunc="first", observed=False
    )
    waves = [w for w in cohort.observed if w in wide.columns and wide[w].notna().any()]
    return wide.reindex(columns=waves).astype("float64")


def groups_analysis(cohort: Cohort) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The ``groups`` table and its exclusion rows.

    Rows of kind ``summary`` (wave, n, median, q1, q3; R's type 7 quantiles), ``friedman``
    (complete cases: n, statistic, df, p_value) and ``wilcoxon`` (contrast ``"T2 - T1"``, n =
    participants with both waves, statistic V, p_value, p_adjusted per the plan's adjustment,
    r). A test that cannot be computed (too few participants, no non-zero difference) has
    missing statistics and an exclusion row saying why. The table is
    :func:`groups_from_wide` of :func:`groups_wide`.
    """
    measure = cohort.plan.groups
    if measure is None or measure.name not in cohort.data.columns:
        return pd.DataFrame(columns=GROUPS_COLUMNS), []
    return groups_from_wide(cohort.plan, groups_wide(cohort))


def groups_from_wide(
    plan: Plan, wide: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The ``groups`` table and its exclusion rows from the participants x waves counts.

    Parameters
    ----------
    plan
        The resolved plan (its groups measure, waves, ``group_pairs`` and ``adjust``).
    wide
        One row per participant with a count at one wave at least (any index), one float64
        column per wave with a count, in the plan's wave order; NaN = no count at that wave.
        The summary of a wave is over ``wide[wave].dropna()``: with one row per participant x
        wave these are exactly the wave's counts in the long data.

    Returns
    -------
    (pandas.DataFrame, list of dict)
        As :func:`groups_analysis`.
    """
    if plan.groups is None:
        return pd.DataFrame(columns=GROUPS_COLUMNS), []
    name = plan.groups.name
    waves = [str(w) for w in wide.columns]
    rows = []
    exclusions: list[dict[str, object]] = []
    for wave in plan.waves:
        if wave not in waves:
            continue
        values = wide[wave].dropna().astype("float64")
        if values.empty:
            continue
        rows.append(
            _row(
                kind="summary",
                wave=wave,
                n=len(values),
                median=values.median(),
                q1=values.quantile(0.25),
                q3=values.quantile(0.75),
            )
        )
    complete = wide.dropna()
    if len(waves) >= 2:
        try:
            res = friedman(wide, waves)
            rows.append(
                _row(
                    kind="friedman",
                    n=res.n,
                    statistic=res.statistic,
                    df=res.df,
                    p_value=res.p_value,
                )
            )
        except ModelError as error:
            rows.append(_row(kind="friedman", n=len(complete)))
            exclusions.append({"table": "groups", "reason": f"Friedman test: {error}", "n": 0})
        excluded = int(wide.notna().any(axis=1).sum() - len(complete))
        if excluded:
            exclusions.append(
                {
                    "table": "groups",
                    "reason": f"Friedman test: participants without {name} at every wave "
                    f"({', '.join(waves)})",
                    "n": excluded,
                }
            )
        source = complete if plan.group_pairs == "complete" else wide
        tests = []
        for a, b in itertools.combinations(waves, 2):
            pair = source[[a, b]].dropna()
            try:
                res_w = wilcoxon_signed_rank(pair[b], pair[a])
                tests.append(
                    _row(
                        kind="wilcoxon",
                        contrast=f"{b} - {a}",
                        n=res_w.n_pairs,
                        statistic=res_w.statistic,
                        p_value=res_w.p_value,
                        r=res_w.r,
                    )
                )
            except ModelError as error:
                tests.append(_row(kind="wilcoxon", contrast=f"{b} - {a}", n=len(pair)))
                exclusions.append(
                    {"table": "groups", "reason": f"Wilcoxon {b} - {a}: {error}", "n": 0}
                )
        p = np.array([t["p_value"] for t in tests], dtype="float64")
        adjusted = p_adjust(p, plan.adjust) if len(p) else p
        for test, value in zip(tests, adjusted, strict=True):
            test["p_adjusted"] = float(value)
        rows += tests
    table = pd.DataFrame(rows, columns=GROUPS_COLUMNS)
    return table.astype({"n": "int64"}), exclusions
