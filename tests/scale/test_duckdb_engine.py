"""lmer_duckdb against the in-memory lmer on the same data (itself validated against R)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from tests.scale._compare import cohort, same

from linkwork.errors import ModelError
from linkwork.scale import lmer_duckdb
from linkwork.stats import lmer


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    path = tmp_path_factory.mktemp("scale") / "cohort.parquet"
    cohort(300, 11).to_parquet(path)
    return path, pd.read_parquet(path)


@pytest.mark.parametrize(
    ("formula", "factors"),
    [
        ("score ~ wave + (1 | participant_id)", ["wave"]),
        ("score ~ wave * arm + (1 | participant_id)", ["wave", "arm"]),
        ("score ~ wave + arm + wave:arm + sex + age_band + (1 | participant_id)", ["wave"]),
        ("score ~ 0 + wave + (1 | participant_id)", ["wave"]),
        ("score ~ 1 + (1 | participant_id)", []),
    ],
)
def test_parquet_matches_in_memory(
    parquet: tuple[Path, pd.DataFrame], formula: str, factors: list[str]
) -> None:
    path, df = parquet
    same(lmer(formula, df), lmer_duckdb(formula, path), factors)


def test_ml_matches(parquet: tuple[Path, pd.DataFrame]) -> None:
    path, df = parquet
    formula = "score ~ wave * arm + (1 | participant_id)"
    mem, db = lmer(formula, df, REML=False), lmer_duckdb(formula, str(path), REML=False)
    assert not db.reml
    same(mem, db, ["wave"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_several_designs_glob_of_files(tmp_path: Path, seed: int) -> None:
    """Several simulated cohorts, heavier drop-out, split over files read by a glob."""
    df = cohort(150 + 50 * seed, seed, drop=0.1 * seed)
    half = len(df) // 2
    df.iloc[:half].to_parquet(tmp_path / "a.parquet")
    df.iloc[half:].to_parquet(tmp_path / "b.parquet")
    back = pd.concat([pd.read_parquet(tmp_path / f) for f in ("a.parquet", "b.parquet")])
    formula = "score ~ wave * arm + (1 | participant_id)"
    same(lmer(formula, back), lmer_duckdb(formula, str(tmp_path / "*.parquet")), ["wave"])


def test_csv_source(tmp_path: Path) -> None:
    df = cohort(120, 5)
    path = tmp_path / "cohort.csv"
    df.to_csv(path, index=False)
    formula = "score ~ wave + arm + (1 | participant_id)"
    same(lmer(formula, pd.read_csv(path)), lmer_duckdb(formula, path), ["wave", "arm"])


def test_duckdb_table_and_string_ids() -> None:
    df = cohort(150, 8)
    df["participant_id"] = "p" + df["participant_id"].astype(str)
    con = duckdb.connect()
    con.register("view_df", df)
    con.execute("CREATE TABLE scores AS SELECT * FROM view_df")
    formula = "score ~ wave * arm + (1 | participant_id)"
    db = lmer_duckdb(formula, table="scores", connection=con)
    same(lmer(formula, con.execute("SELECT * FROM scores").df()), db, ["wave"])
    assert not [t for (t,) in con.execute("SHOW TABLES").fetchall() if t.startswith("_lw")]


def test_missing_values_in_every_kind_of_column(tmp_path: Path) -> None:
    df = cohort(120, 9)
    df["age_band"] = df["age_band"].astype(np.float64)
    df.loc[[0, 5, 9], "age_band"] = np.nan
    df["participant_id"] = df["participant_id"].astype(np.float64)
    df.loc[[3, 4], "participant_id"] = np.nan
    df.loc[[1, 3], "wave"] = None
    path = tmp_path / "m.parquet"
    df.to_parquet(path)
    back = pd.read_parquet(path)
    formula = "score ~ wave + arm + age_band + (1 | participant_id)"
    mem, db = lmer(formula, back), lmer_duckdb(formula, path)
    assert set(db.excluded) == {"score", "arm", "age_band", "participant_id", "wave"}
    same(mem, db, ["wave"])


def test_sql_scans_aggregates_not_rows(parquet: tuple[Path, pd.DataFrame]) -> None:
    """The statistics carry no per-participant arrays: only aggregates came back."""
    from linkwork.scale import duckdb_statistics

    path, df = parquet
    design, stats = duckdb_statistics("score ~ wave * arm + (1 | participant_id)", path)
    assert stats.group_zy.shape == (0, 1)
    assert stats.n_patterns <= 2**6
    assert design.frame.shape[0] == 6  # wave x arm: the distinct design rows only
    assert design.nobs == len(df.dropna(subset=["score", "arm"]))
    assert stats.n_groups == df.dropna(subset=["score", "arm"])["participant_id"].nunique()


@pytest.mark.parametrize(
    ("formula", "match"),
    [
        ("score ~ wave + (wave | participant_id)", "random intercept"),
        ("score ~ wave + (1 | participant_id) + (1 | arm)", "one random intercept"),
        ("score ~ wave + (1 | arm/participant_id)", "one random intercept"),
        ("score ~ wave + (1 | nobody)", "unknown column"),
        ("wave ~ arm + (1 | participant_id)", "must be numeric"),
        ("score ~ wave + participant_id + (1 | participant_id)", "also a fixed effect"),
    ],
)
def test_out_of_scope_and_bad_formulas(
    parquet: tuple[Path, pd.DataFrame], formula: str, match: str
) -> None:
    path, _ = parquet
    with pytest.raises(ModelError, match=match):
        lmer_duckdb(formula, path)


def test_one_participant_is_refused_as_lme4_does(tmp_path: Path) -> None:
    df = cohort(30, 4)
    df["participant_id"] = 1
    path = tmp_path / "one.parquet"
    df.to_parquet(path)
    with pytest.raises(ModelError, match="> 1 sampled level"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", path)
    with pytest.raises(ModelError, match="> 1 sampled level"):
        lmer("score ~ wave + (1 | participant_id)", pd.read_parquet(path))


def test_continuous_covariate_is_refused_not_approximated(tmp_path: Path) -> None:
    df = cohort(100, 4)
    df["baseline"] = np.random.default_rng(0).normal(size=len(df))
    path = tmp_path / "c.parquet"
    df.to_parquet(path)
    with pytest.raises(ModelError, match="distinct combinations"):
        lmer_duckdb("score ~ wave + baseline + (1 | participant_id)", path)


def test_infinite_value_is_an_error(tmp_path: Path) -> None:
    df = cohort(50, 4)
    df.loc[2, "score"] = np.inf
    path = tmp_path / "inf.parquet"
    df.to_parquet(path)
    with pytest.raises(ModelError, match=r"'score': 1 infinite"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", path)
    with pytest.raises(ModelError, match="infinite"):
        lmer(formula="score ~ wave + (1 | participant_id)", data=pd.read_parquet(path))


def test_all_rows_missing_and_bad_sources(tmp_path: Path) -> None:
    df = cohort(20, 4)
    df["score"] = np.nan
    path = tmp_path / "nan.parquet"
    df.to_parquet(path)
    with pytest.raises(ModelError, match="no data"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", path)
    with pytest.raises(ModelError, match="unknown file type"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", tmp_path / "x.xlsx")
    with pytest.raises(ModelError, match="cannot be read"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", tmp_path / "absent.parquet")
    with pytest.raises(ModelError, match="no data source"):
        lmer_duckdb("score ~ wave + (1 | participant_id)")
    with pytest.raises(ModelError, match="not both"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", path, table="t")
    with pytest.raises(ModelError, match="REML"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", path, REML="yes")  # type: ignore[arg-type]


def test_many_rows_per_cell_match_and_overflow_is_detected(tmp_path: Path) -> None:
    """Repeated measures within a wave (counts above one digit of 7 cells) still match;
    256 rows in one cell would overflow the packed key and must be an error, not a wrong fit."""
    rng = np.random.default_rng(21)
    n = 40
    reps = rng.integers(1, 12, size=(n, 3))
    rows = [(i, w, r) for i in range(n) for w in range(3) for r in range(reps[i, w])]
    df = pd.DataFrame(rows, columns=["participant_id", "w", "r"])
    df["wave"] = "T" + (df["w"] + 1).astype(str)
    df["score"] = rng.normal(size=n)[df["participant_id"]] + 0.3 * df["w"]
    df["score"] += rng.normal(size=len(df))
    path = tmp_path / "reps.parquet"
    df[["participant_id", "wave", "score"]].to_parquet(path)
    formula = "score ~ wave + (1 | participant_id)"
    same(lmer(formula, pd.read_parquet(path)), lmer_duckdb(formula, path), ["wave"])
    big = pd.DataFrame({"participant_id": np.r_[np.zeros(256, int), np.arange(1, 30)]})
    big["wave"] = "T1"
    big["score"] = rng.normal(size=len(big))
    path2 = tmp_path / "overflow.parquet"
    big.to_parquet(path2)
    with pytest.raises(ModelError, match="256 or more rows in one design cell"):
        lmer_duckdb("score ~ 1 + (1 | participant_id)", path2)
    assert lmer("score ~ 1 + (1 | participant_id)", big).nobs == len(big)


def _categorical(df: pd.DataFrame) -> pd.DataFrame:
    """Waves and arms as pandas Categoricals whose order is not alphabetical."""
    out = df.copy()
    out["wave"] = pd.Categorical(
        out["wave"].map({"T1": "baseline", "T2": "6m", "T3": "12m"}),
        categories=["baseline", "6m", "12m"],
        ordered=True,
    )
    out["arm"] = pd.Categorical(out["arm"], categories=["intervention", "control", "unused"])
    return out


def test_categorical_order_from_parquet_matches_in_memory(tmp_path: Path) -> None:
    df = _categorical(cohort(150, 12))
    half = len(df) // 2
    df.iloc[:half].to_parquet(tmp_path / "a.parquet")
    df.iloc[half:].to_parquet(tmp_path / "b.parquet")
    back = pd.read_parquet(tmp_path)
    formula = "score ~ wave * arm + (1 | participant_id)"
    db = lmer_duckdb(formula, str(tmp_path / "*.parquet"))
    assert list(db.fixef.index)[1:4] == ["wave6m", "wave12m", "armcontrol"]
    same(lmer(formula, back), db, ["wave", "arm"])


def test_explicit_levels_for_csv(tmp_path: Path) -> None:
    df = _categorical(cohort(120, 13))
    path = tmp_path / "c.csv"
    df.to_csv(path, index=False)
    formula = "score ~ wave + arm + (1 | participant_id)"
    levels = {"wave": ["baseline", "6m", "12m"], "arm": ["intervention", "control"]}
    same(lmer(formula, df), lmer_duckdb(formula, path, levels=levels), ["wave", "arm"])
    with pytest.raises(ModelError, match=r"\['12m'\] are not among the levels"):
        lmer_duckdb(formula, path, levels={"wave": ["baseline", "6m"]})
    with pytest.raises(ModelError, match="not fixed-effect variables"):
        lmer_duckdb(formula, path, levels={"sex": ["F", "M"]})


def test_files_with_different_category_orders_are_refused(tmp_path: Path) -> None:
    df = cohort(60, 14)
    a, b = df.iloc[: len(df) // 2].copy(), df.iloc[len(df) // 2 :].copy()
    a["wave"] = pd.Categorical(a["wave"], categories=["T1", "T2", "T3"])
    b["wave"] = pd.Categorical(b["wave"], categories=["T3", "T2", "T1"])
    a.to_parquet(tmp_path / "a.parquet")
    b.to_parquet(tmp_path / "b.parquet")
    with pytest.raises(ModelError, match="different category orders"):
        lmer_duckdb("score ~ wave + (1 | participant_id)", str(tmp_path / "*.parquet"))
    fit = lmer_duckdb(
        "score ~ wave + (1 | participant_id)",
        str(tmp_path / "*.parquet"),
        levels={"wave": ["T3", "T2", "T1"]},
    )
    assert list(fit.fixef.index) == ["(Intercept)", "waveT2", "waveT1"]


def test_executor_execute_and_materialize() -> None:
    from linkwork.scale.duckdb_engine import DuckDBExecutor

    con = duckdb.connect()
    ex = DuckDBExecutor(con)
    ex.execute('CREATE TABLE "probe" AS SELECT 1 AS "x"', "probe")
    ex.materialize("m", 'SELECT "x" + 1 AS "x" FROM "probe"', "probe")
    ex.materialize("m", 'SELECT "x" + 2 AS "x" FROM "probe"', "probe")  # replaced
    assert ex.query('SELECT "x" FROM "m"', "probe")["x"].tolist() == [3]
    temporary = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY 1"
    ).fetchall()
    assert temporary == [("m",)]
    with pytest.raises(ModelError, match=r"^here: the SQL statement failed"):
        ex.execute('DROP TABLE "no_such_table"', "here")
