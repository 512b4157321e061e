"""describe_duckdb against the in-memory describe_by_wave on the same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkwork.errors import ModelError
from linkwork.scale import describe_duckdb, describe_postgres, write_scores
from linkwork.stats.descriptives import describe_by_wave


def _data(tmp_path: Path) -> pd.DataFrame:
    write_scores(tmp_path / "p", 3_000, seed=4, chunk=1_000)
    df = pd.read_parquet(tmp_path / "p").astype({"wave": str, "arm": str})
    rng = np.random.default_rng(0)
    df["k6"] = rng.normal(10, 3, len(df))
    df.loc[rng.random(len(df)) < 0.1, "wemwbs"] = np.nan
    df.loc[df["wave"] == "T3", "k6"] = np.nan  # an outcome never observed at a wave
    t1 = df.index[df["wave"] == "T1"]
    df.loc[t1[:8], "k6"] = 1e6  # far outliers: means must stay accurate
    df.loc[t1[8:12], "wave"] = None
    return df


def _same(mem: pd.DataFrame, db: pd.DataFrame) -> None:
    assert db["outcome"].tolist() == mem["outcome"].tolist()
    assert db["wave"].tolist() == [str(w) for w in mem["wave"]]
    assert db["n"].tolist() == mem["n"].tolist()
    assert db.loc[db["wave"] == "T3", "n"].tolist()[1] == 0
    for col in ("mean", "sd", "median", "q1", "q3"):
        np.testing.assert_allclose(db[col], mem[col].astype(float), rtol=1e-12, err_msg=col)


def test_matches_in_memory_with_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    _data(tmp_path).to_parquet(path)
    back = pd.read_parquet(path)
    _same(describe_by_wave(back, ["wemwbs", "k6"]), describe_duckdb(["wemwbs", "k6"], path))


@pytest.mark.postgres
def test_postgres_matches_in_memory(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    df = _data(tmp_path)[["wave", "arm", "wemwbs", "k6"]]
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute('DROP TABLE IF EXISTS "described"')
        con.execute(
            'CREATE TABLE "described" (wave text, arm text, wemwbs double precision, '
            "k6 double precision)"
        )
        with con.cursor() as cur, cur.copy('COPY "described" FROM STDIN') as copy:
            for w, a, y, k in df.itertuples(index=False):
                copy.write_row([None if pd.isna(w) else w, a, float(y), float(k)])
    db = describe_postgres(["wemwbs", "k6"], postgres_url, "described")
    _same(describe_by_wave(df, ["wemwbs", "k6"]), db)
    with pytest.raises(ModelError, match="expected numbers"):
        describe_postgres(["arm"], postgres_url, "described")


def test_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"wave": ["T1"], "arm": ["a"], "y": [1.0]}).to_parquet(path)
    with pytest.raises(ModelError, match="not in"):
        describe_duckdb(["nope"], path)
    with pytest.raises(ModelError, match="expected numbers"):
        describe_duckdb(["arm"], path)
