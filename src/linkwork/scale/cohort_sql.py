"""The cohort of an evaluation whose rows stay in a SQL engine (DuckDB, PostgreSQL, Spark).

:class:`SqlCohort` is the engine counterpart of :class:`linkwork.evaluation.cohort.Cohort`: the
same resolved plan, observed waves, last wave and arm, but instead of a pandas frame a relation
(``rows``) of the scored long data inside the engine, queried through an executor. Every table of
the evaluation is computed from it with aggregate queries; only small results reach Python.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from linkwork import instruments
from linkwork.errors import DataFormatError, LinkworkError, PlanError
from linkwork.evaluation.cohort import check_covariates, check_keys, resolve_waves
from linkwork.evaluation.plan import Measure, Plan
from linkwork.evaluation.scores import SCORING_COLUMNS, SUPPLIED
from linkwork.instruments.scoring import resolve
from linkwork.instruments.spec import InstrumentSpec
from linkwork.scale.dialect import Dialect
from linkwork.scale.engine import Executor, numeric_type
from linkwork.scale.scoring_sql import check_responses, score_expressions
from linkwork.scale.source import Relation, ident, literal

__all__ = [
    "ID",
    "MATERIALIZE_ROWS",
    "WAVE",
    "SqlCohort",
    "at_wave",
    "count_of",
    "drop_created",
    "prepare_sql",
    "temp_view",
]

ID = "participant_id"
WAVE = "wave"


@dataclass(frozen=True, slots=True)
class SqlCohort:
    """The scored long data as a relation in an engine, and what was resolved about it.

    Attributes
    ----------
    executor
        Runs queries on the engine (``query``, ``execute``, ``materialize``; ``dialect``).
    rows
        One row per participant x wave: ``participant_id`` (text), ``wave`` (text, one of
        ``plan.waves``), the design columns present under their own names (arm, site,
        covariates, attrition variables) and one double column per scored measure, named by
        the measure (NULL = no score).
    plan
        The plan with its waves resolved against the data (as :class:`Cohort`'s).
    observed
        Waves with at least one row, in the plan's order.
    last
        The last observed wave.
    arm
        The arm column when the data have two or more arms, else ``None``.
    notes
        Plain-language notes on choices made.
    arms
        The arms (text, sorted) when ``arm`` is set, else empty.
    participants
        Number of distinct participants.
    n_rows
        Number of rows.
    wave_masks
        Participants per wave-presence pattern (bit k: observed at ``plan.waves[k]``), as
        ``(pattern, participants)`` pairs, as :func:`linkwork.evaluation.cohort.wave_masks`.
    created
        Temporary objects made in the engine for this evaluation, ``("view" | "table",
        name)`` in creation order (dropped in reverse order by :func:`drop_created`).
    columns
        Columns of ``rows`` (design columns and measures present).
    """

    executor: Executor
    rows: Relation
    plan: Plan
    observed: tuple[str, ...]
    last: str
    arm: str | None
    notes: tuple[str, ...]
    arms: tuple[str, ...]
    participants: int
    n_rows: int
    wave_masks: tuple[tuple[int, int], ...]
    created: list[tuple[str, str]] = field(default_factory=list, compare=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of the scored rows."""
        return tuple(self.rows.types)


#: Largest number of rows whose scored view is materialised in the engine (a temporary table,
#: or Spark's cache) rather than re-scored by each query.
MATERIALIZE_ROWS = 2_000_000


def at_wave(wave: str) -> str:
    """SQL that is true on the rows of *wave* (of the scored rows, whose wave is text)."""
    return f"{ident(WAVE)} = {literal(wave)}"


def _clean_double(d: Dialect, expression: str) -> str:
    x = d.to_double(expression)
    return f"(CASE WHEN {d.is_nan(x)} THEN NULL ELSE {x} END)"


@dataclass(frozen=True, slots=True)
class _Scored:
    select: list[str]
    scoring: pd.DataFrame
    absent: tuple[str, ...]
    counted: list[tuple[str, str]]  # per measure: score SQL, "some item missing" SQL or ""


def _score_measures(ex: Executor, rel: Relation, measures: Sequence[Measure]) -> _Scored:
    """SQL of each measure's score, and what the scoring table needs besides counts."""
    d = ex.dialect
    select: list[str] = []
    rows: list[dict[str, Any]] = []
    absent: list[str] = []
    counted: list[tuple[str, str]] = []
    checked: dict[tuple[str, str], InstrumentSpec] = {}
    for measure in measures:
        instrument = measure.instrument
        options = dict(measure.options)
        spec = instruments.get(instrument) if instrument else None
        if spec is not None and any(k in rel.types for k in spec.item_keys):
            present = [k for k in spec.item_keys if k in rel.types]
            # the in-memory scorer on no rows: the same errors (partial item sets, options)
            empty = pd.DataFrame({k: pd.Series([], dtype="float64") for k in present})
            made = instruments.score(spec.name, empty, **options)
            if isinstance(made, pd.DataFrame) and measure.name not in made.columns:
                raise DataFormatError(
                    f"instrument {instrument!r} gives several scores; the measure "
                    "name must be one of them",
                    value=measure.name,
                    expected=f"one of {list(made.columns)}",
                )
            coding = options.get("coding")
            checked.setdefault((spec.name, str(coding)), resolve(spec.name, coding=coding))
            expressions = score_expressions(spec.name, d, **options)
            sql = expressions[measure.name if len(expressions) > 1 else spec.name]
            missing_item = ""
            if spec.scoring != "separate":
                missing_item = " OR ".join(
                    f"{ident(k)} IS NULL OR {d.is_nan(d.to_double(ident(k)))}" for k in present
                )
            rows.append(
                {
                    "instrument": measure.name if measure.name != spec.name else spec.name,
                    "version": str(made.attrs.get("version", "")),
                    "missing_rule": str(made.attrs.get("missing_rule", "")),
                }
            )
        elif measure.name in rel.types:
            if not numeric_type(rel.types[measure.name]):
                raise DataFormatError(
                    f"{rel.description}: a score column is not numeric",
                    column=measure.name,
                    value=rel.types[measure.name],
                    expected="a numeric column (missing allowed)",
                )
            sql = _clean_double(d, ident(measure.name))
            missing_item = ""
            rows.append({"instrument": measure.name, "version": SUPPLIED, "missing_rule": SUPPLIED})
        else:
            absent.append(measure.name)
            continue
        select.append(f"{sql} AS {ident(measure.name)}")
        counted.append((sql, missing_item))
    # every instrument's responses in one scan; the first invalid one in the plan's order
    check_responses(ex, rel, list(checked.values()))
    return _Scored(select, pd.DataFrame(rows), tuple(absent), counted)


def _one(ex: Executor, sql: str, where: str) -> dict[str, Any]:
    return {str(k): v for k, v in ex.query(sql, where).iloc[0].items()}


def count_of(value: Any) -> int:
    """A count from a query result (NULL, NaN or a numpy/Decimal number) as an int."""
    return 0 if value is None or pd.isna(value) else int(value)


def prepare_sql(
    ex: Executor,
    rel: Relation,
    plan: Plan,
    *,
    adapt: bool,
    created: list[tuple[str, str]] | None = None,
) -> tuple[SqlCohort, pd.DataFrame, tuple[str, ...]]:
    """Score the plan's measures in the engine and check the rows, as :func:`prepare` does.

    Creates a temporary view of the scored rows (participant_id and wave as text, design
    columns, one double column per measure) and returns the :class:`SqlCohort`, the
    ``scoring`` table and the measures not in the data.

    Raises
    ------
    DataFormatError, InvalidResponse, PlanError
        As the in-memory pipeline: key columns absent or missing, duplicate participant x wave
        rows (naming the first), out-of-range responses, waves the plan does not list.
    """
    d = ex.dialect
    where = rel.description
    check_keys(tuple(rel.types), where)
    check_covariates(plan, tuple(rel.types))
    scored = _score_measures(ex, rel, plan.measures())
    measures = [m.name for m in plan.measures() if m.name not in scored.absent]
    extra = [plan.arm, plan.site, *plan.covariates, *plan.attrition]
    design = [
        c for c in dict.fromkeys(c for c in extra if c) if c in rel.types and c not in measures
    ]
    select = [
        f"{d.to_text(ident(ID))} AS {ident(ID)}",
        f"{d.to_text(ident(WAVE))} AS {ident(WAVE)}",
        *(
            f"{_clean_double(d, ident(c)) if rel.is_float(c) else ident(c)} AS {ident(c)}"
            for c in design
        ),
        *scored.select,
    ]
    created = [] if created is None else created
    types = {ID: d.text, WAVE: d.text}
    types |= {c: rel.types[c] for c in design}
    types |= {m: d.double for m in measures}
    rows = temp_view(ex, created, "lw_rows", f"SELECT {', '.join(select)} FROM {rel.sql}", where)
    rows = Relation(rows.sql, where, types, rel.files)
    i, w = ident(ID), ident(WAVE)
    keys = _one(
        ex,
        f"SELECT count(*) AS n, sum(CASE WHEN {i} IS NULL THEN 1 ELSE 0 END) AS id_missing, "
        f"sum(CASE WHEN {w} IS NULL THEN 1 ELSE 0 END) AS wave_missing, "
        f"count(DISTINCT {i}) AS participants FROM {rows.sql}",
        where,
    )
    if count_of(keys["n"]) <= MATERIALIZE_ROWS:
        # small enough to hold: score once instead of at every one of the ~100 queries
        name = f"lw_scored_{uuid.uuid4().hex[:12]}"
        created.append(("table", name))
        ex.materialize(name, f"SELECT * FROM {rows.sql}", where)
        rows = Relation(ident(name), where, types, rel.files)
    for column, count in ((ID, keys["id_missing"]), (WAVE, keys["wave_missing"])):
        if count_of(count):
            raise DataFormatError(
                f"{where}: missing value in a key column ({count_of(count)} rows)", column=column
            )
    counts = ex.query(f"SELECT {w} AS wave, count(*) AS n FROM {rows.sql} GROUP BY 1", where)
    waves = pd.Series(sorted(str(v) for v in counts["wave"]), dtype=object)
    try:
        plan = resolve_waves(plan, waves, adapt=adapt)
    except PlanError:
        _no_duplicates(ex, rows)  # in memory, duplicates are reported first
        raise
    # participants per wave-presence pattern (the flow); a participant whose number of rows
    # differs from the number of bits set has a wave twice
    bits = " ".join(f"WHEN {literal(x)} THEN {1 << k}" for k, x in enumerate(plan.waves))
    found = ex.query(
        f"SELECT m, r, count(*) AS n FROM (SELECT {i}, sum(CASE {w} {bits} ELSE 0 END) AS m, "
        f"count(*) AS r FROM {rows.sql} GROUP BY {i}) p GROUP BY m, r",
        where,
    )
    masks: dict[int, int] = {}
    for m, r, n in zip(found["m"], found["r"], found["n"], strict=True):
        if count_of(r) != bin(count_of(m)).count("1"):
            _no_duplicates(ex, rows)
        masks[count_of(m)] = masks.get(count_of(m), 0) + count_of(n)
    seen = set(waves)
    observed = tuple(x for x in plan.waves if x in seen)
    notes: list[str] = []
    arm: str | None = None
    arms: tuple[str, ...] = ()
    if plan.arm and plan.arm in types:
        a = ident(plan.arm)
        found = ex.query(f"SELECT DISTINCT {a} AS a FROM {rows.sql} WHERE {a} IS NOT NULL", where)
        if len(found) >= 2:
            arm, arms = plan.arm, tuple(sorted(str(x) for x in found["a"]))
        else:
            notes.append(f"the arm column {plan.arm!r} has one arm only: models use wave alone")
    cohort = SqlCohort(
        ex,
        rows,
        plan,
        observed,
        observed[-1] if observed else "",
        arm,
        tuple(notes),
        arms,
        count_of(keys["participants"]),
        count_of(keys["n"]),
        tuple(sorted(masks.items())),
        created,
    )
    return cohort, _scoring_table(ex, rel, scored), scored.absent


def temp_view(
    ex: Executor, created: list[tuple[str, str]], prefix: str, select: str, where: str
) -> Relation:
    """A new temporary view of *select* (named *prefix* + a random suffix), recorded in
    *created*; its types are the caller's to fill in."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    created.append(("view", name))
    ex.execute(f"CREATE OR REPLACE TEMPORARY VIEW {ident(name)} AS {select}", where)
    return Relation(ident(name), where, {})


def drop_created(ex: Executor, created: list[tuple[str, str]]) -> None:
    """Drop the temporary views and tables of an evaluation, newest first (best effort: a
    failure here must not hide the evaluation's own result or error)."""
    while created:
        kind, name = created.pop()
        with contextlib.suppress(LinkworkError):
            ex.release(name, kind, "dropping the evaluation's temporary objects")


def _no_duplicates(ex: Executor, rows: Relation) -> None:
    """Raise the in-memory pipeline's error for the first duplicate participant x wave."""
    i, w = ident(ID), ident(WAVE)
    duplicate = ex.query(
        f"SELECT {i} AS id, {w} AS wave, count(*) AS n FROM {rows.sql} GROUP BY 1, 2 "
        "HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 1",
        rows.description,
    )
    if len(duplicate):
        first = duplicate.iloc[0]
        raise DataFormatError(
            f"{rows.description}: duplicate participant x wave row ({int(first['n'])} rows)",
            column=ID,
            value=(str(first["id"]), str(first["wave"])),
            expected="one row per wave",
        )


def _scoring_table(ex: Executor, rel: Relation, scored: _Scored) -> pd.DataFrame:
    """Scored, prorated and missing counts per measure, in one scan of the source."""
    if scored.scoring.empty:
        return pd.DataFrame(columns=SCORING_COLUMNS)
    parts = []
    for k, (sql, rule) in enumerate(scored.counted):
        parts.append(f"count({sql}) AS s{k}")
        parts.append(
            f"sum(CASE WHEN ({sql}) IS NOT NULL AND ({rule}) THEN 1 ELSE 0 END) AS p{k}"
            if rule
            else f"0 AS p{k}"
        )
    got = _one(ex, f"SELECT count(*) AS n, {', '.join(parts)} FROM {rel.sql}", rel.description)
    table = scored.scoring.copy()
    table["n_scored"] = [count_of(got[f"s{k}"]) for k in range(len(scored.counted))]
    table["n_prorated"] = [count_of(got[f"p{k}"]) for k in range(len(scored.counted))]
    table["n_missing"] = count_of(got["n"]) - table["n_scored"]
    return table[SCORING_COLUMNS].astype(
        {"n_scored": "int64", "n_prorated": "int64", "n_missing": "int64"}
    )
