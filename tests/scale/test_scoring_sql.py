"""Instrument scoring in SQL (DuckDB, PostgreSQL) equals linkwork.instruments.score.

The Python scorer is validated against the published rules (tests/instruments); here the SQL
generated from the same specs must give the same scores, bit for bit, on the demo cohort and
on simulated item data with missing items.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

import linkwork.instruments as li
from linkwork.datasets import demo_cohort, simulate_cohort
from linkwork.errors import DataFormatError, InvalidResponse
from linkwork.scale.scoring_sql import score_duckdb, score_expressions, score_postgres

SIMULATED = [
    "uls8",
    "k6",
    "wemwbs",
    "lw_relationship",
    "facilitator_belonging",
    "ons_loneliness",
    "srh",
    "trust",
    "groups",
]


def _instruments(frame: pd.DataFrame) -> list[str]:
    return [n for n, s in li.REGISTRY.items() if all(k in frame.columns for k in s.item_keys)]


def _python_scores(frame: pd.DataFrame, names: list[str], **options: object) -> pd.DataFrame:
    parts = []
    for name in names:
        scored = li.score(name, frame, **options.get(name, {}))  # type: ignore[arg-type]
        parts.append(scored.to_frame() if isinstance(scored, pd.Series) else scored)
    return pd.concat(parts, axis=1).reset_index(drop=True)


def _equal(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    for column in expected.columns:
        e = expected[column].to_numpy(dtype=np.float64)
        g = got[column].to_numpy(dtype=np.float64)
        assert np.array_equal(np.isnan(e), np.isnan(g)), f"{column}: missing scores differ"
        assert np.array_equal(e[~np.isnan(e)], g[~np.isnan(g)]), f"{column}: scores differ"


def _table(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE items AS SELECT row_number() OVER () AS row_id, * FROM frame")
    return con


def test_demo_cohort_scores_equal_the_python_scorer() -> None:
    frame = demo_cohort()
    names = _instruments(frame)
    assert {"k6", "uls8", "wemwbs", "srh"} <= set(names)
    got = score_duckdb(names, table="items", connection=_table(frame), keep=["row_id"])
    assert got["row_id"].tolist() == list(range(1, len(frame) + 1))
    _equal(_python_scores(frame, names), got)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    frame = simulate_cohort(600, seed=3, item_missing={n: 0.08 for n in SIMULATED})
    # items are missing at random: the prorating rules are exercised
    assert frame["k6_1"].isna().any()
    assert frame["wemwbs_1"].isna().any()
    return frame


def test_simulated_items_with_missing_answers(simulated: pd.DataFrame) -> None:
    names = _instruments(simulated)
    got = score_duckdb(names, table="items", connection=_table(simulated))
    expected = _python_scores(simulated, names)
    _equal(expected, got)
    # the K6 one-missing rule was exercised: prorated scores exist, and strict ones are missing
    k6_missing = simulated[[f"k6_{k}" for k in range(1, 7)]].isna().sum(axis=1).to_numpy()
    assert (k6_missing == 1).any()
    assert (k6_missing >= 2).any()
    assert got["k6"][k6_missing == 1].notna().all()
    assert got["k6"][k6_missing >= 2].isna().all()


def test_prorating_options_and_lookup_with_parquet(tmp_path, simulated: pd.DataFrame) -> None:
    frame = simulated.copy()
    rng = np.random.default_rng(5)
    for k in range(1, 8):  # SWEMWBS items from the WEMWBS answers, with holes
        values = frame[f"wemwbs_{k}"].to_numpy(dtype="float64", na_value=np.nan, copy=True)
        values[rng.random(len(values)) < 0.1] = np.nan
        frame[f"swemwbs_{k}"] = values
    names = ["uls8", "wemwbs", "swemwbs", "lw_relationship", "k6"]
    options = {"uls8": 1, "wemwbs": 3, "swemwbs": 2, "lw_relationship": 2, "k6": 0}
    path = tmp_path / "items.parquet"
    frame.to_parquet(path)
    got = score_duckdb(names, path, max_missing=options)
    expected = _python_scores(frame, names, **{n: {"max_missing": k} for n, k in options.items()})
    _equal(expected, got)
    # non-integer prorated raw sums go through the SWEMWBS table's interpolation
    assert frame[[f"swemwbs_{k}" for k in range(1, 8)]].isna().any(axis=1).sum() > 10


def test_transform_and_coding_expressions(simulated: pd.DataFrame) -> None:
    con = _table(simulated)
    uls = score_expressions("uls8", transform="0-100")["uls8"]
    got = con.execute(f"SELECT {uls} AS s FROM items ORDER BY row_id").df()
    _equal(li.score("uls8", simulated, transform="0-100").to_frame("s"), got)
    k6 = simulated[[f"k6_{k}" for k in range(1, 7)]] + 1  # the Australian 1-5 coding
    con.register("k6", k6)
    sql = score_expressions("k6", coding="1-5")["k6"]
    got = con.execute(f"SELECT {sql} AS s FROM k6").df()
    _equal(li.score("k6", k6, coding="1-5").to_frame("s").reset_index(drop=True), got)


def test_ons4_is_scored_item_by_item() -> None:
    frame = pd.DataFrame({f"ons4_{k}": [k, None, 10 - k] for k in range(1, 5)}, dtype="Int64")
    got = score_duckdb(["ons4"], table="items", connection=_table(frame))
    _equal(_python_scores(frame, ["ons4"]), got)


def test_invalid_and_non_numeric_responses_are_refused(simulated: pd.DataFrame) -> None:
    frame = simulated.copy()
    frame.loc[7, "uls8_3"] = 5
    frame.loc[9, "uls8_3"] = 0
    with pytest.raises(InvalidResponse) as info:
        score_duckdb(["uls8"], table="items", connection=_table(frame))
    assert info.value.column == "uls8_3"
    assert info.value.value in (0, 5)
    assert "1 more" in str(info.value)
    with pytest.raises(InvalidResponse):  # the Python scorer refuses it too
        li.score("uls8", frame)
    frame = simulated.assign(k6_2=simulated["k6_2"].astype(str))
    with pytest.raises(DataFormatError, match="not numeric"):
        score_duckdb(["k6"], table="items", connection=_table(frame))
    with pytest.raises(DataFormatError, match="k6_6"):
        score_duckdb(["k6"], table="items", connection=_table(simulated.drop(columns="k6_6")))


@pytest.mark.postgres
def test_postgres_scores_equal_the_python_scorer(postgres_url: str) -> None:
    import psycopg

    frame = simulate_cohort(300, seed=9, item_missing={n: 0.1 for n in SIMULATED})
    names = _instruments(frame)
    items = [c for n in names for c in li.get(n).item_keys]
    frame = frame.reset_index(drop=True)
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute('DROP TABLE IF EXISTS "items"')
        cols = ", ".join(f'"{c}" integer' for c in items)
        con.execute(f'CREATE TABLE "items" (row_id integer, {cols})')
        names_sql = ", ".join(["row_id", *(f'"{c}"' for c in items)])
        with con.cursor() as cur, cur.copy(f'COPY "items" ({names_sql}) FROM STDIN') as copy:
            for i, row in enumerate(frame[items].itertuples(index=False)):
                copy.write_row([i, *(None if pd.isna(v) else int(v) for v in row)])
    got = score_postgres(names, postgres_url, "items", keep=["row_id"])
    assert got["row_id"].tolist() == list(range(len(frame)))
    _equal(_python_scores(frame, names), got)
