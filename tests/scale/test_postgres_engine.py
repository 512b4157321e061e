"""lmer_postgres on a real (throwaway) PostgreSQL server against the in-memory lmer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.scale._compare import cohort, same

from linkwork.errors import ModelError
from linkwork.scale import lmer_duckdb, lmer_postgres
from linkwork.scale.dialect import DUCKDB, POSTGRES, SPARK, Dialect
from linkwork.scale.engine import cells_sql, scan_sql
from linkwork.scale.postgres_engine import PostgresExecutor
from linkwork.scale.source import Relation
from linkwork.stats import lmer

pytestmark = pytest.mark.postgres

COLUMNS = {
    "participant_id": "bigint",
    "wave": "text",
    "arm": "text",
    "sex": "character varying(1)",
    "age_band": "integer",
    "score": "double precision",
}


def _load(url: str, name: str, df: pd.DataFrame, types: dict[str, str] | None = None) -> None:
    """CREATE TABLE *name* and COPY the rows of *df* into it (NaN floats stay NaN)."""
    import psycopg

    types = types or COLUMNS
    cols = ", ".join(f'"{c}" {types[c]}' for c in df.columns)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
        con.execute(f'CREATE TABLE "{name}" ({cols})')
        names = ", ".join(f'"{c}"' for c in df.columns)
        with con.cursor() as cur, cur.copy(f'COPY "{name}" ({names}) FROM STDIN') as copy:
            for row in df.itertuples(index=False):
                copy.write_row([_plain(v) for v in row])


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@pytest.fixture(scope="module")
def scores(postgres_url: str) -> pd.DataFrame:
    df = cohort(300, 11)
    # missing scores both as NULL and as NaN: both are missing to lmer
    df["score"] = df["score"].astype(object)
    df.loc[df["score"].isna(), "score"] = None
    df.loc[[5, 40], "score"] = np.nan
    df["score"] = df["score"].astype(np.float64)
    _load(postgres_url, "scores", df)
    return df


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
def test_postgres_matches_in_memory(
    postgres_url: str, scores: pd.DataFrame, formula: str, factors: list[str]
) -> None:
    same(lmer(formula, scores), lmer_postgres(formula, postgres_url, "scores"), factors)


def test_ml_and_an_open_connection(postgres_url: str, scores: pd.DataFrame) -> None:
    import psycopg

    formula = "score ~ wave * arm + (1 | participant_id)"
    with psycopg.connect(postgres_url) as con:
        db = lmer_postgres(formula, table="scores", connection=con, REML=False)
        assert not con.closed  # a caller's connection is left open, and not mid-transaction
        assert con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    same(lmer(formula, scores, REML=False), db, ["wave"])


def test_same_answers_as_duckdb_on_the_same_rows(postgres_url: str, scores: pd.DataFrame) -> None:
    import duckdb

    con = duckdb.connect()
    con.register("frame", scores)
    con.execute("CREATE TABLE scores AS SELECT * FROM frame")
    formula = "score ~ wave * arm + sex + (1 | participant_id)"
    same(
        lmer_duckdb(formula, table="scores", connection=con),
        lmer_postgres(formula, postgres_url, "scores"),
        ["wave", "arm"],
    )


def test_schema_text_ids_real_numeric_and_levels(postgres_url: str) -> None:
    import psycopg

    df = cohort(150, 8)
    df["participant_id"] = "P" + df["participant_id"].astype(str)
    df["score"] = df["score"].round(2)
    types = {**COLUMNS, "participant_id": "text", "age_band": "numeric(3,1)", "score": "real"}
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS warehouse")
    _load(postgres_url, "scores_text", df, types)
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute('ALTER TABLE "scores_text" SET SCHEMA warehouse')
    formula = "score ~ wave + arm + age_band + (1 | participant_id)"
    levels = {"arm": ["intervention", "control"]}
    mem = df.assign(
        age_band=df["age_band"].astype(np.float64),
        score=df["score"].astype(np.float32).astype(np.float64),  # what `real` stores
        arm=pd.Categorical(df["arm"], categories=["intervention", "control"]),
    )
    db = lmer_postgres(formula, postgres_url, "scores_text", schema="warehouse", levels=levels)
    same(lmer(formula, mem), db, ["wave", "arm"])
    assert db.fixef.index[3] == "armcontrol"


def test_errors_name_the_table_and_column(postgres_url: str, scores: pd.DataFrame) -> None:
    formula = "score ~ wave + (1 | participant_id)"
    with pytest.raises(ModelError, match="no such table"):
        lmer_postgres(formula, postgres_url, "nope")
    with pytest.raises(ModelError, match="unknown column"):
        lmer_postgres("mood ~ wave + (1 | participant_id)", postgres_url, "scores")
    with pytest.raises(ModelError, match="exactly one"):
        lmer_postgres(formula, table="scores")
    with pytest.raises(ModelError, match="cannot connect"):
        lmer_postgres(formula, postgres_url + "_absent", "scores")
    bad = scores.copy()
    bad.loc[3, "score"] = np.inf
    _load(postgres_url, "scores_inf", bad)
    with pytest.raises(ModelError, match=r"'score'.*1 infinite"):
        lmer_postgres(formula, postgres_url, "scores_inf")


def test_sql_is_written_once_and_differs_only_in_the_dialect_pieces() -> None:
    """DuckDB, PostgreSQL and Spark statements are one text once the dialect pieces are
    normalised (no server needed)."""
    rel = Relation('"t"', "t", {"y": "DOUBLE", "w": "VARCHAR", "g": "BIGINT"})
    cells = pd.DataFrame({"w": ["T1", "T2"]})

    def normalised(d: Dialect, text: str) -> str:
        for x in ('"y"', 's."y"'):
            text = text.replace(d.is_nan(x), "NAN").replace(d.is_inf(x), "INF")
        return text.replace(f"AS {d.double})", "AS DBL)").replace(f"{d.long_sum}(", "sum(")

    for make in (
        lambda d: cells_sql(d, rel, "y", "g", ["w"]),
        lambda d: scan_sql(d, rel, "y", "g", ["w"], cells, 1.5),
    ):
        duck = make(DUCKDB)
        for other in (POSTGRES, SPARK):
            text = make(other)
            assert text != duck
            assert normalised(other, text) == normalised(DUCKDB, duck)


def test_executor_execute_and_materialize(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url) as con:
        ex = PostgresExecutor(con)
        ex.execute('CREATE TEMP TABLE "probe" AS SELECT 1 AS "x"', "probe")
        ex.execute('CREATE TABLE IF NOT EXISTS "kept" ("x" integer)', "probe")
        ex.materialize("kept", 'SELECT "x" + 1 AS "x" FROM "probe"', "probe")
        ex.materialize("kept", 'SELECT "x" + 2 AS "x" FROM "probe"', "probe")  # replaced
        assert ex.query('SELECT "x" FROM "kept"', "probe")["x"].tolist() == [3]
        analysed = ex.query(
            "SELECT count(*) AS n FROM pg_stats WHERE tablename = 'kept' "
            "AND schemaname LIKE 'pg_temp%'",
            "probe",
        )
        assert analysed["n"].tolist() == [1]
        with pytest.raises(ModelError, match=r"^here: the SQL statement failed"):
            ex.execute('DROP TABLE "no_such_table"', "here")
        assert con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with psycopg.connect(postgres_url) as con:  # the permanent table of that name was kept
        assert PostgresExecutor(con).query('SELECT count(*) AS n FROM "kept"', "p")["n"][0] == 0
        con.execute('DROP TABLE "kept"')
