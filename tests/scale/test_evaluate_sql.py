"""``evaluate_sql`` / ``linkwork evaluate --engine``: the whole evaluation in DuckDB and
PostgreSQL equals the in-memory one (itself compared with R in tests/evaluation) table by table,
trajectory by trajectory, and renders the same report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from linkwork import evaluate
from linkwork.cli import app
from linkwork.datasets import demo_cohort, simulate_cohort
from linkwork.errors import DataFormatError, InvalidResponse, ModelError, PlanError
from linkwork.evaluation import default_plan
from linkwork.evaluation.result import Evaluation
from linkwork.report import render_html
from linkwork.scale import evaluate_sql

ID, WAVE = "participant_id", "wave"
#: meta data that legitimately differ: where the data were and how they were fingerprinted
ENGINE_META = {"data_hash", "data_hash_method", "data_source", "created", "estimation"}


def _two_arms() -> pd.DataFrame:
    frame = simulate_cohort(
        240,
        attrition=[1.0, 0.8, 0.6],
        seed=5,
        arms={"usual care": None, "social prescribing": {"uls8": [-0.3, -0.5]}},
        item_missing={"k6": 0.1, "uls8": 0.05, "groups": 0.1},
    )
    # late entrants (no baseline row) and a returning participant
    ids = frame[ID].unique()
    frame = frame[~(frame[ID].isin(ids[:3]) & (frame[WAVE] == "T1"))]
    frame = frame[~((frame[ID] == ids[5]) & (frame[WAVE] == "T2"))]
    return frame.reset_index(drop=True)


def _other_waves() -> pd.DataFrame:
    """Integer wave labels the default plan does not know (it adapts to the data's waves)."""
    frame = simulate_cohort(80, seed=9, attrition=[1.0, 0.9, 0.7])
    codes = {"T1": 0, "T2": 8, "T3": 78}
    return frame.assign(wave=frame[WAVE].astype(str).map(codes).astype("int64"))


CASES = {
    "demo": (demo_cohort, None),
    "two_arms_covariate": (
        _two_arms,
        dataclasses.replace(default_plan(), covariates=("gender",), adjust="bonferroni"),
    ),
    "other_waves": (_other_waves, None),
}


def _frame_for_files(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as written to files (wave as text, as it is read back)."""
    out = frame.copy()
    if isinstance(out[WAVE].dtype, pd.CategoricalDtype):
        out[WAVE] = out[WAVE].astype(str)
    return out.drop(columns=[c for c in out.columns if c == "date"])


def same_evaluation(engine: Evaluation, memory: Evaluation) -> None:
    """Every table equal (1e-8 relative; counts and text exactly), same trajectories, meta
    equal but for the engine's own entries, and the same report once those are aligned."""
    assert list(engine.tables) == list(memory.tables)
    for name, expected in memory.tables.items():
        got = engine.tables[name]
        assert list(got.columns) == list(expected.columns), name
        assert len(got) == len(expected), name
        for column in expected.columns:
            e, g = expected[column], got[column]
            if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
                np.testing.assert_allclose(
                    g.to_numpy(dtype="float64"),
                    e.to_numpy(dtype="float64"),
                    rtol=1e-8,
                    atol=1e-12,
                    err_msg=f"{name}.{column}",
                )
            else:
                assert [str(v) for v in g] == [str(v) for v in e], f"{name}.{column}"
    pd.testing.assert_frame_equal(
        engine.trajectories.reset_index(drop=True),
        memory.trajectories.reset_index(drop=True),
        check_dtype=False,
    )
    differ = {k for k in memory.meta if engine.meta.get(k) != memory.meta[k]}
    assert differ <= ENGINE_META, differ
    assert engine.meta["data_hash"] == ""
    assert "engine" in engine.meta["data_hash_method"]
    aligned = dataclasses.replace(engine, meta=engine.meta | {k: memory.meta[k] for k in differ})
    assert render_html(aligned) == render_html(memory)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {name: _frame_for_files(build()) for name, (build, _) in CASES.items()}


@pytest.fixture(scope="module")
def memory(frames: dict[str, pd.DataFrame]) -> dict[str, Evaluation]:
    return {name: evaluate(frames[name], CASES[name][1]) for name in CASES}


@pytest.mark.parametrize("case", list(CASES))
def test_duckdb_parquet_equals_in_memory(case, frames, memory, tmp_path):
    path = tmp_path / "rows.parquet"
    frames[case].to_parquet(path)
    same_evaluation(evaluate_sql(str(path), CASES[case][1]), memory[case])


def test_duckdb_csv_glob_and_database_table(frames, memory, tmp_path):
    frame = frames["demo"]
    half = frame[ID].isin(frame[ID].unique()[:30])
    frame[half].to_csv(tmp_path / "a.csv", index=False)
    frame[~half].to_csv(tmp_path / "b.csv", index=False)
    same_evaluation(evaluate_sql(str(tmp_path / "*.csv")), memory["demo"])
    con = duckdb.connect(str(tmp_path / "programme.duckdb"))
    con.register("frame", frame)
    con.execute("CREATE TABLE rows AS SELECT * FROM frame")
    con.close()
    got = evaluate_sql(str(tmp_path / "programme.duckdb"), table="rows")
    same_evaluation(got, memory["demo"])


def test_progress_reports_every_step(frames, tmp_path):
    path = tmp_path / "rows.parquet"
    frames["demo"].to_parquet(path)
    seen: list[tuple[str, int, int]] = []
    evaluate_sql(str(path), progress=lambda m, d, t: seen.append((m, d, t)))
    assert [d for _, d, _ in seen] == list(range(len(seen)))
    assert seen[0][0] == "Scoring instruments"
    assert seen[-1][0] == "Assembling results"


def test_cli_engine_writes_the_same_tables(frames, memory, tmp_path):
    path = tmp_path / "rows.parquet"
    frames["demo"].to_parquet(path)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["evaluate", str(path), "--engine", "duckdb", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for name, expected in memory["demo"].tables.items():
        written = pd.read_csv(out / "tables" / f"{name}.csv")
        assert len(written) == len(expected), name
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "ran in duckdb" in report
    bad = CliRunner().invoke(app, ["evaluate", str(path), "--table", "x", "--out", str(out)])
    assert bad.exit_code == 2
    assert "--engine" in bad.output


def _write(frame: pd.DataFrame, tmp_path: Path) -> str:
    path = tmp_path / "rows.parquet"
    frame.to_parquet(path)
    return str(path)


def test_bad_data_are_refused_as_in_memory(frames, tmp_path):
    demo = frames["demo"]
    with pytest.raises(DataFormatError, match="duplicate participant x wave") as dup:
        evaluate_sql(_write(pd.concat([demo, demo.iloc[[4]]]), tmp_path))
    assert str(demo.iloc[4][ID]) in str(dup.value)
    with pytest.raises(InvalidResponse, match="k6_2"):
        evaluate_sql(_write(demo.assign(k6_2=demo["k6_2"].where(demo.index != 7, 9)), tmp_path))
    with pytest.raises(DataFormatError, match="missing value in a key column"):
        evaluate_sql(_write(demo.assign(wave=demo[WAVE].where(demo.index != 3, None)), tmp_path))
    with pytest.raises(DataFormatError, match="need this column"):
        evaluate_sql(_write(demo.drop(columns=[WAVE]), tmp_path))
    plan = dataclasses.replace(default_plan(), waves=("T1", "T2"))
    with pytest.raises(PlanError, match=r"waves\.order"):
        evaluate_sql(_write(demo, tmp_path), plan)
    with pytest.raises(ModelError, match="unknown engine"):
        evaluate_sql(_write(demo, tmp_path), engine="oracle")
    with pytest.raises(ModelError, match="no table"):
        evaluate_sql("postgresql://nowhere/db", engine="postgres")


def test_continuous_covariate_is_reported_not_estimable(frames, tmp_path):
    """The SQL pass handles few-valued design rows only: a continuous covariate makes the
    models 'not estimable' with the reason, while the rest of the evaluation is complete."""
    plan = dataclasses.replace(default_plan(), covariates=("age",))
    got = evaluate_sql(_write(frames["demo"], tmp_path), plan)
    estimability = got.tables["estimability"]
    assert set(estimability["status"]) == {"not estimable"}
    assert estimability["reason"].str.contains("distinct").all()
    assert len(got.tables["correlations"]) == len(
        evaluate(frames["demo"], plan).tables["correlations"]
    )


@pytest.mark.postgres
def test_postgres_table_equals_in_memory(frames, memory, postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        for case in ("demo", "two_arms_covariate"):
            _load_postgres(con, frames[case], f"rows_{case}")
    for case in ("demo", "two_arms_covariate"):
        got = evaluate_sql(postgres_url, CASES[case][1], engine="postgres", table=f"rows_{case}")
        same_evaluation(got, memory[case])


def _load_postgres(con, frame: pd.DataFrame, table: str) -> None:
    columns = []
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            kind = "boolean"
        elif pd.api.types.is_integer_dtype(dtype):
            kind = "bigint"
        elif pd.api.types.is_float_dtype(dtype):
            kind = "double precision"
        else:
            kind = "text"
        columns.append(f'"{name}" {kind}')
    with con.cursor() as cur:
        cur.execute(f'CREATE TABLE "{table}" ({", ".join(columns)})')
        names = ", ".join(f'"{c}"' for c in frame.columns)
        with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in frame.itertuples(index=False):
                copy.write_row([None if pd.isna(v) else v for v in row])


@pytest.mark.spark
@pytest.mark.parametrize("case", ["demo", "two_arms_covariate"])
def test_spark_equals_in_memory(case, frames, memory, spark, tmp_path):
    path = tmp_path / "rows.parquet"
    frames[case].to_parquet(path)
    got = evaluate_sql(str(path), CASES[case][1], engine="spark", spark=spark)
    same_evaluation(got, memory[case])


def _lw_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    return sorted(str(r[0]) for r in [*views, *tables] if str(r[0]).startswith("lw_"))


def test_temporary_objects_are_dropped_on_a_callers_connection(frames, memory):
    con = duckdb.connect()
    frame = frames["demo"]
    con.register("frame", frame)
    con.execute("CREATE TABLE rows AS SELECT * FROM frame")
    same_evaluation(evaluate_sql(table="rows", connection=con), memory["demo"])
    assert _lw_objects(con) == []
    con.execute("CREATE TABLE twice AS SELECT * FROM rows UNION ALL SELECT * FROM rows LIMIT 200")
    with pytest.raises(DataFormatError, match="duplicate"):
        evaluate_sql(table="twice", connection=con)
    assert _lw_objects(con) == []
    assert con.execute("SELECT count(*) FROM rows").fetchone() == (len(frame),)  # left open


@pytest.mark.spark
def test_spark_reads_pandas_timestamps_and_leaves_no_views(frames, spark, tmp_path):
    """A pandas-written Parquet file with a datetime column (TIMESTAMP(NANOS), which Spark
    refuses by default) is evaluated; no temporary view or cached table stays behind."""
    frame = demo_cohort()  # with its date column
    frame["wave"] = frame["wave"].astype(str)
    path = tmp_path / "dated.parquet"
    frame.to_parquet(path)
    before = {t.name for t in spark.catalog.listTables()}
    got = evaluate_sql(str(path), engine="spark", spark=spark)
    assert got.tables["flow"]["n"].iloc[0] == frame[ID].nunique()
    assert {t.name for t in spark.catalog.listTables()} == before


@pytest.mark.spark
def test_cli_spark_engine_with_master(frames, memory, spark, tmp_path):
    """`evaluate - --table T --engine spark --master local[2]`: a table of the session's
    catalog (the test session is reused: one JVM per process)."""
    path = tmp_path / "rows.parquet"
    frames["demo"].to_parquet(path)
    spark.read.parquet(str(path)).createOrReplaceTempView("cli_rows")
    out = tmp_path / "out"
    args = ["evaluate", "-", "--table", "cli_rows", "--engine", "spark", "--master", "local[2]"]
    args += ["--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    flow = pd.read_csv(out / "tables" / "flow.csv")
    assert flow["n"].tolist() == memory["demo"].tables["flow"]["n"].tolist()
    assert "ran in spark" in (out / "report.html").read_text(encoding="utf-8")
