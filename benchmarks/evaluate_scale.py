"""Benchmark the whole evaluation (``linkwork evaluate``) in memory and in each engine.

Usage (from the repository root)::

    PYTHONPATH=src python3 benchmarks/evaluate_scale.py                    # N = 1M participants
    PYTHONPATH=src python3 benchmarks/evaluate_scale.py --n 1000000 10000000 --engines duckdb spark
    PYTHONPATH=src python3 benchmarks/evaluate_scale.py --postgres-url postgresql://... --n 100000

For each N the synthetic score-level cohort of ``linkwork simulate`` (N participants x 3 waves,
2.5 N rows, arms, WEMWBS) is written once to ``--data``. Each engine then runs the complete
evaluation of the default plan (scoring checks, flow, descriptives with exact quartiles,
attrition, both mixed models with Satterthwaite F, contrasts and d, sites, trajectories) and
writes its tables, in its own process, so that its peak resident memory (VmHWM) is its own:

* memory: ``pandas.read_parquet`` of the files + ``linkwork.evaluate``;
* duckdb: ``linkwork.scale.evaluate_sql`` on the Parquet glob;
* spark: the same with a local[2] SparkSession (JVM memory is separate: its VmHWM is reported
  from the Java child process);
* postgres (with ``--postgres-url``): the rows are first loaded into a table with COPY (not
  timed), then evaluated there.

Every engine's tables must agree with the first engine's to 1e-8 relative (the largest relative
difference over all numeric table cells is printed), and the time ratios are printed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, os, sys, time, glob
engine, pattern, out, url = sys.argv[1:5]
t0 = time.perf_counter()
if engine == "memory":
    import pandas as pd
    from linkwork import evaluate
    frame = pd.read_parquet(sorted(glob.glob(pattern)))
    ev = evaluate(frame)
elif engine == "spark":
    from linkwork.scale import evaluate_sql, spark_session
    spark = spark_session("local[2]", config={"spark.driver.memory": "4g"})
    t0 = time.perf_counter()  # the JVM start-up is not the evaluation's
    ev = evaluate_sql(pattern, engine="spark", spark=spark)
elif engine == "postgres":
    from linkwork.scale import evaluate_sql
    ev = evaluate_sql(url, engine="postgres", table="bench_rows")
else:
    from linkwork.scale import evaluate_sql
    ev = evaluate_sql(pattern, engine="duckdb")
seconds = time.perf_counter() - t0
for name, table in ev.tables.items():
    table.to_csv(os.path.join(out, name + ".csv"), index=False)
def hwm(pid="self"):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0
jvm = 0
if engine == "spark":
    import subprocess
    kids = subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True)
    jvm = max([hwm(int(p)) for p in kids.stdout.split()] or [0])
print(json.dumps({"seconds": seconds, "hwm": hwm(), "jvm_hwm": jvm}))
"""


def _run(engine: str, pattern: str, url: str) -> tuple[dict[str, float], str]:
    out = tempfile.mkdtemp(prefix=f"lw-bench-{engine}-")
    env = dict(os.environ, PYTHONPATH="src")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, engine, pattern, out, url],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), out


def _max_rel(a_dir: str, b_dir: str) -> float:
    import numpy as np
    import pandas as pd

    worst = 0.0
    for path in sorted(Path(a_dir).glob("*.csv")):
        a = pd.read_csv(path)
        b = pd.read_csv(Path(b_dir) / path.name)
        if a.shape != b.shape:
            return float("inf")
        for column in a.columns:
            if pd.api.types.is_numeric_dtype(a[column]) and pd.api.types.is_numeric_dtype(
                b[column]
            ):
                x, y = a[column].to_numpy(float), b[column].to_numpy(float)
                if not np.array_equal(np.isnan(x), np.isnan(y)):
                    return float("inf")
                ok = ~np.isnan(x)
                if ok.any():
                    rel = np.abs(x[ok] - y[ok]) / np.maximum(np.abs(x[ok]), 1e-300)
                    worst = max(worst, float(np.max(np.where(x[ok] == y[ok], 0.0, rel))))
            elif not a[column].astype(str).equals(b[column].astype(str)):
                return float("inf")
    return worst


def _load_postgres(url: str, pattern: str) -> None:
    import duckdb
    import psycopg

    con = duckdb.connect()
    with psycopg.connect(url, autocommit=True) as pg, pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_rows")
        cur.execute(
            "CREATE TABLE bench_rows (participant_id text, wave text, arm text, "
            "wemwbs double precision)"
        )
        for path in sorted(glob.glob(pattern)):
            rel = con.execute(
                "SELECT CAST(participant_id AS VARCHAR), CAST(wave AS VARCHAR), "
                f"CAST(arm AS VARCHAR), wemwbs FROM read_parquet('{path}')"
            )
            with cur.copy("COPY bench_rows FROM STDIN") as copy:
                while batch := rel.fetchmany(100_000):
                    for row in batch:
                        copy.write_row(row)
        cur.execute("ANALYZE bench_rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--engines", nargs="+", default=["memory", "duckdb", "spark"])
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--data", type=Path, default=Path("/tmp/linkwork-bench"))
    args = parser.parse_args()
    engines = list(args.engines) + (["postgres"] if args.postgres_url else [])
    from linkwork.scale import write_scores

    for n in args.n:
        folder = args.data / f"scores-{n}"
        if not folder.exists():
            write_scores(folder, n)
        pattern = str(folder / "*.parquet")
        size = sum(os.path.getsize(p) for p in glob.glob(pattern))
        if "postgres" in engines:
            _load_postgres(args.postgres_url, pattern)
        print(f"N = {n:,} participants, {size / 1e6:.0f} MB of Parquet", flush=True)
        results: dict[str, tuple[dict[str, float], str]] = {}
        for engine in engines:
            t = time.perf_counter()
            results[engine] = _run(engine, pattern, args.postgres_url)
            got = results[engine][0]
            jvm = f", JVM peak {got['jvm_hwm'] / 2**30:.2f} GiB" if got["jvm_hwm"] else ""
            print(
                f"  {engine:9s} evaluation {got['seconds']:7.2f} s, process peak "
                f"{got['hwm'] / 2**30:.2f} GiB{jvm} (wall incl. start-up "
                f"{time.perf_counter() - t:.1f} s)",
                flush=True,
            )
        first = engines[0]
        for engine in engines[1:]:
            ratio = results[first][0]["seconds"] / results[engine][0]["seconds"]
            rel = _max_rel(results[first][1], results[engine][1])
            print(
                f"  {engine} vs {first}: {ratio:.2f}x the speed; largest relative "
                f"difference over all tables {rel:.1e}"
            )


if __name__ == "__main__":
    main()
