"""attrition_sql, groups_sql and correlations_sql against the in-memory evaluation tables.

The in-memory tables (linkwork.evaluation: attrition_table, groups_analysis, correlations) are
validated against R in tests/evaluation/test_against_r.py; here the engine versions must give
the same tables from the same scored rows loaded into DuckDB or PostgreSQL (marker ``postgres``):
statistics to 1e-10 relative, counts, labels and exclusion rows exactly. (Spark runs the same
SQL through evaluate_sql in tests/scale/test_evaluate_sql.py; a query there costs about a second
of job overhead, too slow to repeat every case here.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from linkwork.datasets import demo_cohort, simulate_cohort
from linkwork.evaluation.attrition import attrition_table
from linkwork.evaluation.cohort import ID, WAVE, Cohort, prepare, wave_masks
from linkwork.evaluation.groups import groups_analysis
from linkwork.evaluation.plan import Plan, default_plan
from linkwork.evaluation.relationships import correlations
from linkwork.evaluation.scores import score_measures
from linkwork.scale.cohort_sql import SqlCohort
from linkwork.scale.dialect import Dialect
from linkwork.scale.duckdb_engine import DuckDBExecutor
from linkwork.scale.engine import Executor
from linkwork.scale.evaluation_tables import attrition_sql, correlations_sql, groups_sql
from linkwork.scale.source import relation

RTOL = 1e-10

Table = tuple[pd.DataFrame, list[dict[str, object]]]
MEMORY: dict[str, Callable[[Cohort], Table]] = {
    "attrition": lambda c: attrition_table(c, _outcomes(c)),
    "groups": groups_analysis,
    "correlations": lambda c: correlations(c, _outcomes(c)),
}
ENGINE: dict[str, Callable[[SqlCohort], Table]] = {
    "attrition": lambda c: attrition_sql(c, _outcomes(c)),
    "groups": groups_sql,
    "correlations": lambda c: correlations_sql(c, _outcomes(c)),
}


def _outcomes(cohort: Cohort | SqlCohort) -> list[str]:
    columns = cohort.data.columns if isinstance(cohort, Cohort) else cohort.columns
    return [o.name for o in cohort.plan.outcomes if o.name in columns]


def _prepare(frame: pd.DataFrame, plan: Plan | None = None) -> Cohort:
    """The cohort exactly as evaluate() / analysis_data() build it."""
    resolved = plan or default_plan()
    scored = score_measures(frame, resolved.measures())
    return prepare(frame, resolved, scored.scores, adapt=plan is None)


def _two_arms() -> Cohort:
    frame = simulate_cohort(
        300,
        attrition=[1.0, 0.8, 0.6],
        seed=11,
        arms={"usual care": None, "social prescribing": {"uls8": [-0.3, -0.5]}},
    )
    return _prepare(frame)


def _messy() -> Cohort:
    """Missing items and scores, late entrants, a returning participant, odd attrition columns."""
    rng = np.random.default_rng(7)
    frame = simulate_cohort(
        90,
        attrition=[1.0, 0.8, 0.6],
        seed=3,
        item_missing={"k6": 0.08, "groups": 0.15, "wemwbs": 0.05},
    )
    ids = frame[ID].unique()
    waves = frame.groupby(ID)[WAVE].apply(lambda w: set(map(str, w)))
    # a participant seen at T1 and T3 but not at T2 (returns after missing a wave)
    back = next(i for i in ids if waves[i] == {"T1", "T2", "T3"})
    frame = frame[~((frame[ID] == back) & (frame[WAVE] == "T2"))]
    # late entrants: participants without a baseline row
    late = [i for i in ids if waves[i] == {"T1", "T2", "T3"} and i != back][:4]
    frame = frame[~(frame[ID].isin(late) & (frame[WAVE] == "T1"))].reset_index(drop=True)
    person = pd.Series(np.arange(len(ids)), index=ids)[frame[ID]].to_numpy()
    employment = rng.choice(np.array(["employed", "retired", "unemployed", "student"]), len(ids))
    frame["employment"] = pd.Series(employment[person], dtype=object)
    frame.loc[rng.random(len(frame)) < 0.1, "employment"] = None
    carer = np.array([True, False, None], dtype=object)[rng.integers(0, 3, len(ids))]
    frame["carer"] = pd.Series(carer[person], dtype=object)
    frame["smoker"] = rng.random(len(ids))[person] < 0.3  # boolean without missing values
    frame["region"] = "north"  # one level only: cannot be compared
    frame["constant"] = 5.0  # continuous and constant: cannot be compared
    # a predictor never scored at T2, an outcome scored for 3 participants only at T3
    items = [c for c in frame.columns if c.startswith("facilitator_belonging_")]
    frame.loc[frame[WAVE] == "T2", items] = pd.NA
    t3 = np.flatnonzero((frame[WAVE] == "T3").to_numpy())
    frame.loc[frame.index[t3[3:]], "trust_1"] = pd.NA
    plan = dataclasses.replace(
        default_plan(),
        attrition=("age", "gender", "employment", "carer", "smoker", "region", "constant"),
        group_pairs="complete",
    )
    return _prepare(frame, plan)


def _tied_groups() -> Cohort:
    """Each participant's groups count the same at every wave: rank tests undefined."""
    frame = demo_cohort()
    first = frame.groupby(ID)["groups_1"].transform("first")
    return _prepare(frame.assign(groups_1=first))


def _one_wave() -> Cohort:
    frame = demo_cohort()
    return _prepare(frame[frame[WAVE] == "T1"].reset_index(drop=True))


def _replicated(copies: int) -> Cohort:
    """The demo cohort with every participant repeated under new identifiers."""
    frame = demo_cohort()
    parts = [frame.assign(**{ID: frame[ID] + f"-{k}"}) for k in range(copies)]
    return _prepare(pd.concat(parts, ignore_index=True))


BUILDERS: dict[str, Callable[[], Cohort]] = {
    "demo": lambda: _prepare(demo_cohort()),
    "two_arms": _two_arms,
    "messy": _messy,
    "tied_groups": _tied_groups,
    "one_wave": _one_wave,
}


@pytest.fixture(scope="module")
def cohorts() -> dict[str, Cohort]:
    return {name: build() for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def memory(cohorts: dict[str, Cohort]) -> dict[tuple[str, str], Table]:
    return {(c, t): MEMORY[t](cohorts[c]) for c in cohorts for t in MEMORY}


def _rows(cohort: Cohort) -> pd.DataFrame:
    """The scored rows as the engine holds them: wave as text, missing values NULL."""
    return cohort.data.assign(**{WAVE: cohort.data[WAVE].astype(str)})


def _sql_cohort(cohort: Cohort, executor: Executor, rows: Any) -> SqlCohort:
    return SqlCohort(
        executor=executor,
        rows=rows,
        plan=cohort.plan,
        observed=cohort.observed,
        last=cohort.last,
        arm=cohort.arm,
        notes=cohort.notes,
        arms=tuple(sorted(str(a) for a in cohort.data[cohort.arm].dropna().unique()))
        if cohort.arm
        else (),
        participants=cohort.participants,
        n_rows=len(cohort.data),
        wave_masks=tuple(wave_masks(cohort).items()),
    )


def _duckdb(cohort: Cohort, executor: Executor | None = None) -> SqlCohort:
    con = duckdb.connect()
    frame = _rows(cohort)
    con.register("frame", frame)
    con.execute("CREATE TABLE rows AS SELECT * FROM frame")
    con.unregister("frame")
    return _sql_cohort(cohort, executor or DuckDBExecutor(con), relation(con, None, "rows"))


@pytest.fixture(scope="module")
def duckdb_cohorts(cohorts: dict[str, Cohort]) -> dict[str, SqlCohort]:
    return {name: _duckdb(c) for name, c in cohorts.items()}


def _same(engine: Table, mem: Table, what: str) -> None:
    """Floats to RTOL (NaN where NaN), everything else exactly; exclusion rows identical."""
    got, want = engine[0], mem[0]
    assert list(got.columns) == list(want.columns), what
    assert len(got) == len(want), f"{what}: {len(got)} rows, expected {len(want)}"
    for column in want.columns:
        a, b = got[column], want[column]
        assert a.dtype == b.dtype, f"{what}, {column}: {a.dtype} != {b.dtype}"
        if pd.api.types.is_float_dtype(b.dtype):
            np.testing.assert_allclose(
                a.to_numpy(), b.to_numpy(), rtol=RTOL, atol=0.0, err_msg=f"{what}, {column}"
            )
        else:
            assert a.tolist() == b.tolist(), f"{what}, {column}"
    assert engine[1] == mem[1], f"{what}: exclusions"


@pytest.mark.parametrize("table", list(MEMORY))
@pytest.mark.parametrize("case", list(BUILDERS))
def test_duckdb_tables_equal_in_memory(
    case: str,
    table: str,
    duckdb_cohorts: dict[str, SqlCohort],
    memory: dict[tuple[str, str], Table],
) -> None:
    _same(ENGINE[table](duckdb_cohorts[case]), memory[(case, table)], f"{case} {table}")


def test_cases_exercise_what_they_claim(memory: dict[tuple[str, str], Table]) -> None:
    def reasons(case: str, table: str) -> str:
        return " | ".join(str(e["reason"]) for e in memory[(case, table)][1])

    attrition = memory[("messy", "attrition")][0]
    assert {"employment", "carer", "smoker"} <= set(attrition["variable"])  # text, booleans
    for flag in ("carer", "smoker"):
        assert set(attrition.loc[attrition["variable"] == flag, "level"]) == {"False", "True"}
    assert "region not compared" in reasons("messy", "attrition")
    assert "constant not compared" in reasons("messy", "attrition")
    assert "facilitator_belonging has no scores at T2" in reasons("messy", "correlations")
    assert "at least 4 complete pairs" in reasons("messy", "correlations")
    assert "without groups at every wave" in reasons("messy", "groups")
    assert "Friedman test: Friedman statistic undefined" in reasons("tied_groups", "groups")
    assert "Wilcoxon T2 - T1" in reasons("tied_groups", "groups")
    assert memory[("one_wave", "attrition")][0].empty
    assert len(memory[("two_arms", "correlations")][0]) == 96
    for case in BUILDERS:
        if case != "one_wave":
            assert not memory[(case, "attrition")][0].empty, case


class _Recording:
    """An executor that records the size of every result."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.sizes: list[int] = []

    @property
    def dialect(self) -> Dialect:
        return self.inner.dialect

    def query(self, sql: str, where: str) -> pd.DataFrame:
        result = self.inner.query(sql, where)
        self.sizes.append(len(result))
        return result


def _recorded(cohort: Cohort) -> tuple[_Recording, SqlCohort]:
    plain = _duckdb(cohort)
    recording = _Recording(plain.executor)
    return recording, dataclasses.replace(plain, executor=recording)


def test_results_are_distinct_values_not_participants() -> None:
    """Twenty copies of each participant: the same small results, counts twenty times larger."""
    one, many = _replicated(1), _replicated(20)
    sizes = []
    for cohort in (one, many):
        recording, sql = _recorded(cohort)
        for table in MEMORY:
            _same(ENGINE[table](sql), MEMORY[table](cohort), table)
        sizes.append(recording.sizes)
    assert sizes[0] == sizes[1]
    assert max(sizes[1]) < one.participants < many.participants / 10


@pytest.fixture
def duck_messy(cohorts: dict[str, Cohort]) -> SqlCohort:
    return _duckdb(cohorts["messy"])


def test_attrition_column_types_decide_the_comparison(duck_messy: SqlCohort) -> None:
    assert duck_messy.rows.types["carer"] == duck_messy.rows.types["smoker"] == "BOOLEAN"
    table, _ = attrition_sql(duck_messy, [])
    kinds = table.groupby("variable")["test"].first()
    assert kinds["age"] == "welch_t"  # BIGINT: continuous
    assert kinds["gender"] == kinds["employment"] == kinds["carer"] == kinds["smoker"] == "fisher"
    assert table.loc[table["variable"] == "age", "level"].tolist() == [""]


# ----------------------------------------------------------------------------- PostgreSQL

_PG_TYPES = {"float64": "double precision", "int64": "bigint", "bool": "boolean"}


def _pg_type(column: pd.Series) -> str:
    if str(column.dtype) in _PG_TYPES:
        return _PG_TYPES[str(column.dtype)]
    present = column.dropna().tolist()
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        return "boolean"
    return "text"


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@pytest.fixture(scope="module")
def postgres_cohorts(
    postgres_url: str, cohorts: dict[str, Cohort]
) -> Iterator[dict[str, SqlCohort]]:
    import psycopg

    from linkwork.scale.postgres_engine import PostgresExecutor, postgres_relation

    con = psycopg.connect(postgres_url, autocommit=True)
    out = {}
    for name, cohort in cohorts.items():
        frame = _rows(cohort)
        table = f"evaluation_rows_{name}"
        cols = ", ".join(f'"{c}" {_pg_type(frame[c])}' for c in frame.columns)
        con.execute(f'DROP TABLE IF EXISTS "{table}"')
        con.execute(f'CREATE TABLE "{table}" ({cols})')
        names = ", ".join(f'"{c}"' for c in frame.columns)
        with con.cursor() as cur, cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in frame.itertuples(index=False):
                copy.write_row([_plain(v) for v in row])
        executor = PostgresExecutor(con)
        out[name] = _sql_cohort(cohort, executor, postgres_relation(executor, table))
    yield out
    con.close()


@pytest.mark.postgres
@pytest.mark.parametrize("table", list(MEMORY))
@pytest.mark.parametrize("case", list(BUILDERS))
def test_postgres_tables_equal_in_memory(
    case: str,
    table: str,
    postgres_cohorts: dict[str, SqlCohort],
    memory: dict[tuple[str, str], Table],
) -> None:
    _same(ENGINE[table](postgres_cohorts[case]), memory[(case, table)], f"{case} {table}")
