"""lmer_spark (Spark local mode) against the in-memory lmer on the same data (itself validated
against R), and the Spark descriptives and scoring against their in-memory references."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tests.scale.test_descriptives as described
import tests.scale.test_scoring_sql as scored
from tests.scale._compare import cohort, same

from linkwork.datasets import demo_cohort, simulate_cohort
from linkwork.errors import InvalidResponse, ModelError
from linkwork.scale import describe_spark, lmer_duckdb, lmer_spark, score_spark
from linkwork.scale.dialect import SPARK
from linkwork.scale.spark_engine import SparkExecutor, spark_relation
from linkwork.stats import lmer
from linkwork.stats.descriptives import describe_by_wave

pytestmark = pytest.mark.spark

FORMULA = "score ~ wave * arm + (1 | participant_id)"


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    path = tmp_path_factory.mktemp("spark") / "cohort.parquet"
    cohort(300, 11).to_parquet(path)
    return path, pd.read_parquet(path)


def _views(spark: Any) -> set[str]:
    return {t.name for t in spark.catalog.listTables() if t.name.startswith("_lw")}


@pytest.fixture
def no_views_left(spark: Any) -> Iterator[None]:
    """The test's fits leave no temporary view of theirs in the (shared) session."""
    before = _views(spark)
    yield
    assert _views(spark) <= before


@pytest.mark.parametrize(
    ("formula", "factors"),
    [
        ("score ~ wave + (1 | participant_id)", ["wave"]),
        (FORMULA, ["wave", "arm"]),
        ("score ~ wave + arm + wave:arm + sex + age_band + (1 | participant_id)", ["wave"]),
        ("score ~ 0 + wave + (1 | participant_id)", ["wave"]),
        ("score ~ 1 + (1 | participant_id)", []),
    ],
)
@pytest.mark.usefixtures("no_views_left")
def test_parquet_matches_in_memory(
    spark: Any, parquet: tuple[Path, pd.DataFrame], formula: str, factors: list[str]
) -> None:
    path, df = parquet
    same(lmer(formula, df), lmer_spark(formula, path, spark=spark), factors)


def test_ml_matches(spark: Any, parquet: tuple[Path, pd.DataFrame]) -> None:
    path, df = parquet
    fit = lmer_spark(FORMULA, str(path), spark=spark, REML=False)
    assert not fit.reml
    same(lmer(FORMULA, df, REML=False), fit, ["wave"])


def _nan_and_null(values: pd.Series, nan_rows: list[int], null_rows: list[int]) -> pa.Array:
    """A double column holding real NaNs at *nan_rows* and NULLs at *null_rows*."""
    data = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    data[nan_rows] = np.nan
    mask = np.zeros(len(data), dtype=bool)
    mask[null_rows] = True
    return pa.array(data, type=pa.float64(), mask=mask, from_pandas=False)


def _text(values: pd.Series) -> pa.Array:
    return pa.array([None if pd.isna(v) else str(v) for v in values], pa.string())


def test_missing_values_null_and_nan_in_every_kind_of_column(spark: Any, tmp_path: Path) -> None:
    df = cohort(120, 9)
    df.loc[[1, 3], "wave"] = None
    columns = {
        "participant_id": _nan_and_null(df["participant_id"], [3], [4]),
        "wave": _text(df["wave"]),  # NULL text
        "arm": _text(df["arm"]),
        "age_band": _nan_and_null(df["age_band"], [0, 5], [9]),
        "score": _nan_and_null(df["score"], [11, 12], [13]),
    }
    table = pa.table(columns)
    for name in ("participant_id", "age_band", "score"):  # both kinds really are in the file
        assert table[name].null_count > 0
        assert pa.compute.sum(pa.compute.is_nan(table[name])).as_py() > 0
    path = tmp_path / "m.parquet"
    pq.write_table(table, path)
    back = pd.read_parquet(path)
    formula = "score ~ wave + arm + age_band + (1 | participant_id)"
    mem = lmer(formula, back)
    for source in (path, spark.createDataFrame(table)):  # a file, and a DataFrame with NaNs
        fit = lmer_spark(formula, source, spark=spark)
        assert set(fit.excluded) == {"score", "arm", "age_band", "participant_id", "wave"}
        same(mem, fit, ["wave"])


def _categorical(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["wave"] = pd.Categorical(
        out["wave"].map({"T1": "baseline", "T2": "6m", "T3": "12m"}),
        categories=["baseline", "6m", "12m"],
        ordered=True,
    )
    out["arm"] = pd.Categorical(out["arm"], categories=["intervention", "control", "unused"])
    return out


def test_categorical_order_from_parquet_glob(spark: Any, tmp_path: Path) -> None:
    df = _categorical(cohort(150, 12))
    half = len(df) // 2
    df.iloc[:half].to_parquet(tmp_path / "a.parquet")
    df.iloc[half:].to_parquet(tmp_path / "b.parquet")
    fit = lmer_spark(FORMULA, str(tmp_path / "*.parquet"), spark=spark)
    assert list(fit.fixef.index)[1:4] == ["wave6m", "wave12m", "armcontrol"]
    same(lmer(FORMULA, pd.read_parquet(tmp_path)), fit, ["wave", "arm"])


@pytest.mark.parametrize("seed", [1, 3])
def test_glob_and_list_of_several_files(spark: Any, tmp_path: Path, seed: int) -> None:
    df = cohort(150 + 50 * seed, seed, drop=0.1 * seed)
    parts = np.array_split(np.arange(len(df)), 3)
    paths = [tmp_path / f"part-{i}.parquet" for i in range(3)]
    for path, rows in zip(paths, parts, strict=True):
        df.iloc[rows].to_parquet(path)
    back = pd.concat([pd.read_parquet(p) for p in paths])
    mem = lmer(FORMULA, back)
    same(mem, lmer_spark(FORMULA, str(tmp_path / "part-*.parquet"), spark=spark), ["wave"])
    same(mem, lmer_spark(FORMULA, [str(p) for p in paths]), ["wave"])  # the active session


@pytest.mark.usefixtures("no_views_left")
def test_session_table_and_dataframe_with_text_ids(spark: Any, tmp_path: Path) -> None:
    df = cohort(150, 8)
    df["participant_id"] = "p" + df["participant_id"].astype(str)
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    frame = spark.read.parquet(str(path))
    frame.createOrReplaceTempView("scores")
    formula = "score ~ wave * arm + sex + (1 | participant_id)"
    mem = lmer(formula, pd.read_parquet(path))
    same(mem, lmer_spark(formula, table="scores", spark=spark), ["wave", "arm"])
    same(mem, lmer_spark(formula, frame), ["wave", "arm"])  # the DataFrame's own session
    same(lmer_duckdb(formula, path), lmer_spark(formula, frame, spark=spark), ["wave"])
    spark.catalog.dropTempView("scores")


def test_csv_with_explicit_levels(spark: Any, tmp_path: Path) -> None:
    df = _categorical(cohort(120, 13))
    path = tmp_path / "c.csv"
    df.to_csv(path, index=False)
    formula = "score ~ wave + arm + (1 | participant_id)"
    levels = {"wave": ["baseline", "6m", "12m"], "arm": ["intervention", "control"]}
    same(lmer(formula, df), lmer_spark(formula, path, spark=spark, levels=levels), ["wave"])


def test_overflow_of_the_pattern_key_is_detected(spark: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(21)
    big = pd.DataFrame({"participant_id": np.r_[np.zeros(256, int), np.arange(1, 30)]})
    big["wave"] = "T1"
    big["score"] = rng.normal(size=len(big))
    path = tmp_path / "overflow.parquet"
    big.to_parquet(path)
    with pytest.raises(ModelError, match="256 or more rows in one design cell"):
        lmer_spark("score ~ 1 + (1 | participant_id)", path, spark=spark)


@pytest.mark.parametrize(
    ("formula", "match"),
    [
        ("score ~ wave + (wave | participant_id)", "random intercept"),
        ("score ~ wave + (1 | participant_id) + (1 | arm)", "one random intercept"),
        ("score ~ wave + (1 | nobody)", "unknown column"),
        ("wave ~ arm + (1 | participant_id)", "must be numeric"),
    ],
)
def test_out_of_scope_and_bad_formulas(
    spark: Any, parquet: tuple[Path, pd.DataFrame], formula: str, match: str
) -> None:
    path, _ = parquet
    with pytest.raises(ModelError, match=match):
        lmer_spark(formula, path, spark=spark)


@pytest.mark.usefixtures("no_views_left")
def test_errors_name_the_source(spark: Any, tmp_path: Path) -> None:
    formula = "score ~ wave + (1 | participant_id)"
    df = cohort(50, 4)
    df.loc[2, "score"] = np.inf
    path = tmp_path / "inf.parquet"
    df.to_parquet(path)
    with pytest.raises(ModelError, match=r"'score': 1 infinite"):
        lmer_spark(formula, path, spark=spark)
    with pytest.raises(ModelError, match=r"Spark table 'nope'.*no such table"):
        lmer_spark(formula, table="nope", spark=spark)
    with pytest.raises(ModelError, match="cannot be read by Spark"):
        lmer_spark(formula, tmp_path / "absent.parquet", spark=spark)
    with pytest.raises(ModelError, match="unknown file type"):
        lmer_spark(formula, tmp_path / "x.xlsx", spark=spark)
    with pytest.raises(ModelError, match="no data source"):
        lmer_spark(formula, spark=spark)
    with pytest.raises(ModelError, match="not both"):
        lmer_spark(formula, spark.read.parquet(str(path)), table="t", spark=spark)
    with pytest.raises(ModelError, match="REML"):
        lmer_spark(formula, path, spark=spark, REML="yes")  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_views_left")
def test_executor_results_statements_and_the_callers_settings(spark: Any) -> None:
    ex = SparkExecutor(spark)
    key = "spark.sql.ansi.doubleQuotedIdentifiers"
    spark.conf.set(key, "false")
    try:
        got = ex.query(
            'SELECT 1 AS "i", CAST(2.5 AS DECIMAL(3, 1)) AS "d", CAST(NULL AS INT) AS "n", '
            '\'x\' AS "s", true AS "b", CAST(\'NaN\' AS DOUBLE) AS "f"',
            "probe",
        )
        # the caller's session keeps its own setting: "x" is a string literal again
        assert spark.conf.get(key) == "false"
        assert spark.sql('SELECT "x" AS v').collect()[0]["v"] == "x"
    finally:
        spark.conf.unset(key)
    assert {c: str(t) for c, t in got.dtypes.items()} == {
        "i": "int64",
        "d": "float64",
        "n": "float64",
        "s": "object",
        "b": "bool",
        "f": "float64",
    }
    assert got["d"].iloc[0] == 2.5
    assert np.isnan(got["f"].iloc[0])
    ex.materialize("_lw_probe", 'SELECT 1 AS "x"', "probe")
    ex.materialize("_lw_probe", 'SELECT 2 AS "x" UNION ALL SELECT 3', "probe")  # replaced
    assert spark.catalog.isCached("_lw_probe")
    ex.execute(
        'CREATE OR REPLACE TEMP VIEW "_lw_probe2" AS SELECT "x" + 1 AS "y" FROM _lw_probe', "p"
    )
    assert ex.query('SELECT sum("y") AS "t" FROM "_lw_probe2"', "probe")["t"].tolist() == [7]
    with pytest.raises(ModelError, match=r"^probe: the SQL pass failed: .*UNRESOLVED_COLUMN"):
        ex.query('SELECT "nope" FROM "_lw_probe"', "probe")
    with pytest.raises(ModelError, match=r"^here: the SQL statement failed"):
        ex.execute("DROP VIEW no_such_view_anywhere", "here")
    for name in ("_lw_probe", "_lw_probe2"):
        spark.catalog.dropTempView(name)


def test_relation_reports_spark_types(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "types.parquet"
    pd.DataFrame({"a": [1], "b": [1.5], "c": ["x"], "d": [True]}).to_parquet(path)
    rel = spark_relation(spark, path)
    assert rel.types == {"a": "bigint", "b": "double", "c": "string", "d": "boolean"}
    assert rel.files == (str(path),)
    spark.catalog.dropTempView(rel.sql.strip('"'))


def test_percentile_is_type_7_as_numpy(spark: Any) -> None:
    """Spark's percentile against numpy's default (linear, R type 7) quantile, with ties."""
    rng = np.random.default_rng(7)
    x = np.r_[rng.integers(0, 20, 37).astype(np.float64), rng.normal(size=20), [1e6, -3.5]]
    ps = [0.0, 0.1, 0.25, 0.333, 0.5, 0.75, 0.9, 1.0]
    rows = ", ".join(f"({SPARK.double_literal(float(v))})" for v in x)
    select = ", ".join(f"{SPARK.quantile('x', p)} AS q{i}" for i, p in enumerate(ps))
    got = SparkExecutor(spark).query(f'SELECT {select} FROM VALUES {rows} AS t("x")', "q")
    expected = np.quantile(x, ps)
    np.testing.assert_allclose(got.iloc[0].to_numpy(), expected, rtol=1e-15, atol=0)
    assert np.allclose(expected, pd.Series(x).quantile(ps).to_numpy(), rtol=0, atol=0)


def test_describe_matches_in_memory(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    described._data(tmp_path).to_parquet(path)
    back = pd.read_parquet(path)
    got = describe_spark(["wemwbs", "k6"], path, spark=spark)
    described._same(describe_by_wave(back, ["wemwbs", "k6"]), got)
    with pytest.raises(ModelError, match="expected numbers"):
        describe_spark(["arm"], path, spark=spark)


def test_scores_equal_the_python_scorer(spark: Any, tmp_path: Path) -> None:
    for name, frame in (
        ("demo", demo_cohort()),
        (
            "simulated",
            simulate_cohort(600, seed=3, item_missing=dict.fromkeys(scored.SIMULATED, 0.08)),
        ),
    ):
        names = scored._instruments(frame)
        items = [c for n in names for c in scored.li.get(n).item_keys]
        data = frame[items].reset_index(drop=True).assign(row_id=np.arange(len(frame)))
        path = tmp_path / f"{name}.parquet"
        data.to_parquet(path)
        got = score_spark(names, path, spark=spark, keep=["row_id"])
        assert got["row_id"].tolist() == list(range(len(frame)))
        scored._equal(scored._python_scores(frame, names), got)
    assert frame["k6_1"].isna().any()  # the simulated items had missing answers
    bad = data.copy()
    bad.loc[7, "uls8_3"] = 5
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InvalidResponse) as info:
        score_spark(["uls8"], tmp_path / "bad.parquet", spark=spark)
    assert (info.value.column, info.value.value) == ("uls8_3", 5)
