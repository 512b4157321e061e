"""The evaluation's attrition, groups and correlations tables computed where the data live.

Each table of :mod:`linkwork.evaluation` that needs participant-level values is computed from
small ``GROUP BY`` queries on the :class:`~linkwork.scale.cohort_sql.SqlCohort`'s rows: the
engine returns the *distinct* participant-level values (or tuples of values) with their counts,
not one row per participant (never more rows than participants, and for the scored
instruments, sums of a few Likert items, far fewer). The columns are then rebuilt in Python by
repeating each distinct value by its count (:func:`numpy.repeat`), and the same finishing code
as the in-memory tables runs on them (:func:`~linkwork.evaluation.attrition.attrition_from_columns`,
:func:`~linkwork.evaluation.groups.groups_from_wide`,
:func:`~linkwork.evaluation.relationships.correlations_from_pairs`), so the tables are those of
:func:`~linkwork.evaluation.attrition.attrition_table`,
:func:`~linkwork.evaluation.groups.groups_analysis` and
:func:`~linkwork.evaluation.relationships.correlations` for the same data.

Memory: a rebuilt array holds one float64 (8 bytes; an object pointer for text and booleans)
per participant, so each comparison needs 8 bytes x participants per array in Python, a few
arrays (and the statistics' temporary copies) at a time: about 80 MB per array for ten million
participants. Only one variable, wave set or correlation is rebuilt at a time.

The SQL is portable across DuckDB, PostgreSQL and Spark SQL: ``SELECT``, ``CASE``, ``CAST`` (the
dialect's double type), ``count``/``max``, ``GROUP BY`` positions, ``LEFT JOIN``, ``IN`` and
aliased subqueries; identifiers are quoted with :func:`~linkwork.scale.source.ident` and wave
labels passed as string literals (:func:`~linkwork.scale.source.literal`) compared with the
``wave`` column as text. NULL is a missing value. Result rows are put in a fixed order in
Python (engines differ in where they sort NULLs), so a table does not depend on the engine
beyond the last bits of floating-point sums.

Validated against the in-memory tables (themselves validated against R's ``t.test``,
``fisher.test``, ``friedman.test``, ``wilcox.test``, ``cor.test`` and ``p.adjust``) on the demo
cohort, a simulated two-arm cohort and a cohort with missing values, late entrants, a returning
participant, text, boolean and uncomparable attrition variables, on DuckDB and PostgreSQL:
tests/scale/test_evaluation_tables.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkwork.evaluation.attrition import (
    ATTRITION_COLUMNS,
    attrition_from_columns,
    attrition_variables,
)
from linkwork.evaluation.groups import GROUPS_COLUMNS, groups_from_wide
from linkwork.evaluation.relationships import (
    CORRELATION_COLUMNS,
    TargetPairs,
    correlations_from_pairs,
)
from linkwork.scale.cohort_sql import ID, WAVE, SqlCohort, at_wave
from linkwork.scale.dialect import type_kind
from linkwork.scale.source import ident, literal

__all__ = ["attrition_sql", "correlations_sql", "groups_sql"]

Exclusions = list[dict[str, object]]
FloatArray = npt.NDArray[np.float64]


def _query(cohort: SqlCohort, sql: str) -> pd.DataFrame:
    return cohort.executor.query(sql, cohort.rows.description)


def _at_any(waves: Sequence[str]) -> str:
    """SQL that is true on the rows of any of *waves* (non-empty)."""
    return f"{ident(WAVE)} IN ({', '.join(literal(w) for w in waves)})"


def _double(cohort: SqlCohort, column: str) -> str:
    return cohort.executor.dialect.to_double(ident(column))


def _at_wave(cohort: SqlCohort, column: str, wave: str) -> str:
    """The participant's value of *column* at *wave* (aggregate over the participant's rows)."""
    return f"max(CASE WHEN {at_wave(wave)} THEN {_double(cohort, column)} END)"


def _floats(values: pd.Series) -> FloatArray:
    """Engine doubles (NULL as None or NaN) as float64, NaN = missing."""
    return pd.to_numeric(values.astype(object)).to_numpy(dtype=np.float64, na_value=np.nan)


def _ordered(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in a fixed order whatever the engine (missing values last)."""
    return table.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------- attrition


def _baseline_values(cohort: SqlCohort, variable: str) -> tuple[str, pd.Series, pd.Series]:
    """The baseline values of *variable* and the completer status, rebuilt from counts.

    Numeric SQL types come back as float64 (continuous), booleans as bool (object with None
    when some are missing) and anything else as text objects (categorical), as the in-memory
    frame's dtypes decide in :func:`~linkwork.stats.attrition.compare_completers`.
    """
    rel = cohort.rows
    kind = type_kind(rel.types[variable])
    numeric = kind in ("int", "float", "decimal")
    value = _double(cohort, variable) if numeric else ident(variable)
    pid = ident(ID)
    sql = (
        "SELECT CASE WHEN l._lw_id IS NULL THEN 0 ELSE 1 END AS _lw_completer, "
        "b._lw_value AS _lw_value, count(*) AS _lw_n "
        f"FROM (SELECT {pid} AS _lw_id, {value} AS _lw_value FROM {rel.sql} "
        f"WHERE {at_wave(cohort.plan.baseline)}) b "
        f"LEFT JOIN (SELECT DISTINCT {pid} AS _lw_id FROM {rel.sql} "
        f"WHERE {at_wave(cohort.last)}) l "
        "ON b._lw_id = l._lw_id GROUP BY 1, 2"
    )
    table = _query(cohort, sql)
    values: npt.NDArray[np.generic]
    if numeric:
        table["_lw_value"] = _floats(table["_lw_value"])
        table = _ordered(table, ["_lw_completer", "_lw_value"])
        values = table["_lw_value"].to_numpy(dtype=np.float64)
    else:
        raw = [None if pd.isna(v) else v for v in table["_lw_value"].astype(object).tolist()]
        if kind == "bool":
            raw = [None if v is None else bool(v) for v in raw]
        table["_lw_value"] = pd.Series(raw, index=table.index, dtype=object)
        # sort on the text of the values: a total order whatever their type
        table["_lw_key"] = [None if v is None else str(v) for v in raw]
        table = _ordered(table, ["_lw_completer", "_lw_key"])
        values = np.array(table["_lw_value"].tolist(), dtype=object)
        if kind == "bool" and not any(v is None for v in values.tolist()):
            values = values.astype(bool)
    counts = table["_lw_n"].to_numpy(dtype=np.int64)
    completer = table["_lw_completer"].to_numpy(dtype=np.int64) == 1
    expanded = np.repeat(values, counts)
    index = pd.RangeIndex(len(expanded))
    return (
        variable,
        pd.Series(expanded, index=index, name=variable),
        pd.Series(np.repeat(completer, counts), index=index),
    )


def attrition_sql(cohort: SqlCohort, outcomes: list[str]) -> tuple[pd.DataFrame, Exclusions]:
    """The ``attrition`` table of :func:`~linkwork.evaluation.attrition.attrition_table`.

    Completers are participants with a row at ``cohort.last``. Per variable one query returns
    the distinct (completer, baseline value) pairs with their counts (baseline rows left-joined
    to the distinct participants of the last wave); the baseline column is rebuilt by repeating
    each value by its count (8 bytes x participants with a baseline row for a number) and
    compared by the same code as in memory.

    Parameters
    ----------
    cohort
        The rows in the engine and the resolved plan.
    outcomes
        The outcomes to compare (then the groups count and the plan's attrition variables
        present in the rows).

    Returns
    -------
    (pandas.DataFrame, list of dict)
        The table and its exclusion rows, as
        :func:`~linkwork.evaluation.attrition.attrition_table` gives for the same data.

    Raises
    ------
    linkwork.ModelError
        When the engine refuses a query (naming the relation).
    """
    plan = cohort.plan
    if not cohort.last or cohort.last == plan.baseline:
        return pd.DataFrame(columns=ATTRITION_COLUMNS), []
    n = _query(
        cohort,
        f"SELECT count(*) AS _lw_n FROM {cohort.rows.sql} WHERE {at_wave(plan.baseline)}",
    )
    if int(n["_lw_n"].iloc[0]) == 0:
        return pd.DataFrame(columns=ATTRITION_COLUMNS), []
    variables = attrition_variables(plan, cohort.columns, outcomes)
    return attrition_from_columns(_baseline_values(cohort, v) for v in variables)


# ------------------------------------------------------------------------------------- groups


def groups_sql(cohort: SqlCohort) -> tuple[pd.DataFrame, Exclusions]:
    """The ``groups`` table of :func:`~linkwork.evaluation.groups.groups_analysis`.

    One query: each participant's tuple of counts at the observed waves (conditional
    aggregation ``max(CASE WHEN wave = ... END)`` grouped by participant, over the rows with a
    count), grouped again by the tuple with the number of participants. The participants x
    waves frame is rebuilt by repeating each tuple by its number (8 bytes x participants per
    wave) and summarised and tested by
    :func:`~linkwork.evaluation.groups.groups_from_wide`.

    Returns
    -------
    (pandas.DataFrame, list of dict)
        As :func:`~linkwork.evaluation.groups.groups_analysis` for the same data.

    Raises
    ------
    linkwork.ModelError
        When the engine refuses the query (naming the relation).
    """
    plan = cohort.plan
    measure = plan.groups
    if measure is None or measure.name not in cohort.columns:
        return pd.DataFrame(columns=GROUPS_COLUMNS), []
    waves = list(cohort.observed)
    if not waves:
        return groups_from_wide(plan, pd.DataFrame(dtype="float64"))
    aliases = [f"_lw_w{i}" for i in range(len(waves))]
    per_wave = ", ".join(
        f"{_at_wave(cohort, measure.name, w)} AS {a}" for w, a in zip(waves, aliases, strict=True)
    )
    sql = (
        f"SELECT {', '.join(aliases)}, count(*) AS _lw_n FROM (SELECT {per_wave} "
        f"FROM {cohort.rows.sql} WHERE {ident(measure.name)} IS NOT NULL AND {_at_any(waves)} "
        f"GROUP BY {ident(ID)}) p GROUP BY {', '.join(str(i + 1) for i in range(len(waves)))}"
    )
    table = _query(cohort, sql)
    for a in aliases:
        table[a] = _floats(table[a])
    table = _ordered(table, aliases)
    counts = table["_lw_n"].to_numpy(dtype=np.int64)
    columns = {
        w: np.repeat(table[a].to_numpy(dtype=np.float64), counts)
        for w, a in zip(waves, aliases, strict=True)
        if table[a].notna().any()
    }
    wide = pd.DataFrame(columns, index=pd.RangeIndex(int(counts.sum())), dtype="float64")
    return groups_from_wide(plan, wide)


# ------------------------------------------------------------------------------- correlations


@dataclass(frozen=True, slots=True)
class _EnginePairs:
    """(x, y) pairs rebuilt from the engine's counts of distinct participant-level triples."""

    cohort: SqlCohort

    def has_scores(self, predictor: str, wave: str) -> bool:
        rel = self.cohort.rows
        n = _query(
            self.cohort,
            f"SELECT count(*) AS _lw_n FROM {rel.sql} "
            f"WHERE {at_wave(wave)} AND {ident(predictor)} IS NOT NULL",
        )
        return int(n["_lw_n"].iloc[0]) > 0

    def pairs(self, predictor: str, wave: str, outcome: str, targets: list[str]) -> TargetPairs:
        cohort = self.cohort
        baseline, last = cohort.plan.baseline, cohort.last
        change = "change" in targets
        select = [
            f"{_at_wave(cohort, predictor, wave)} AS _lw_x",
            f"{_at_wave(cohort, outcome, last)} AS _lw_yl",
        ]
        keys = ["_lw_x", "_lw_yl"]
        if change:
            select.append(f"{_at_wave(cohort, outcome, baseline)} AS _lw_yb")
            keys.append("_lw_yb")
        complete = "_lw_x IS NOT NULL AND _lw_yl IS NOT NULL"
        if "last wave" not in targets:
            complete += " AND _lw_yb IS NOT NULL"
        waves = list(dict.fromkeys([wave, last, *([baseline] if change else [])]))
        sql = (
            f"SELECT {', '.join(keys)}, count(*) AS _lw_n FROM (SELECT {', '.join(select)} "
            f"FROM {cohort.rows.sql} WHERE {_at_any(waves)} GROUP BY {ident(ID)}) p "
            f"WHERE {complete} GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}"
        )
        table = _query(cohort, sql)
        for key in keys:
            table[key] = _floats(table[key])
        table = _ordered(table, keys)
        counts = table["_lw_n"].to_numpy(dtype=np.int64)
        # every participant, as in memory: the others as missing pairs, so that the number of
        # incomplete pairs correlate() reports in its messages is the same
        pad = max(cohort.participants - int(counts.sum()), 0)

        def column(key: str) -> FloatArray:
            values = np.repeat(table[key].to_numpy(dtype=np.float64), counts)
            return np.concatenate([values, np.full(pad, np.nan)])

        x, y_last = column("_lw_x"), column("_lw_yl")
        out: TargetPairs = {}
        for target in targets:
            if target == "last wave":
                out[target] = (x, y_last)
            else:
                out[target] = (x, y_last - column("_lw_yb"))
        return out


def correlations_sql(cohort: SqlCohort, outcomes: list[str]) -> tuple[pd.DataFrame, Exclusions]:
    """The ``correlations`` table of :func:`~linkwork.evaluation.relationships.correlations`.

    Per predictor and wave, one count of the participants scored there ("no scores at wave"
    exclusions); per predictor, wave and outcome, one query returning the distinct
    participant-level triples (predictor at the wave, outcome at the last wave, outcome at
    baseline) with both the predictor and the last-wave outcome present, with their counts.
    The arrays are rebuilt by repeating each triple by its count and padded with missing pairs
    to every participant (``cohort.participants``), as the in-memory arrays are, so that the
    incomplete pairs :func:`~linkwork.stats.correlation.correlate` counts in its messages are
    the same: 8 bytes x participants per array, four arrays at a time. They are correlated by
    the same code as in memory (Holm and FDR adjustments over the whole table).

    Returns
    -------
    (pandas.DataFrame, list of dict)
        As :func:`~linkwork.evaluation.relationships.correlations` for the same data.

    Raises
    ------
    linkwork.ModelError
        When the engine refuses a query (naming the relation).
    """
    if not cohort.last:
        return pd.DataFrame(columns=CORRELATION_COLUMNS), []
    present = [p.name for p in cohort.plan.predictors if p.name in cohort.columns]
    return correlations_from_pairs(
        cohort.plan, cohort.observed, cohort.last, present, outcomes, _EnginePairs(cohort)
    )
