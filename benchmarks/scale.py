"""Benchmark the DuckDB and Spark push-downs of the mixed-model data pass against in-memory.

Usage (from the repository root)::

    PYTHONPATH=src python3 benchmarks/scale.py                     # N = 1M participants
    PYTHONPATH=src python3 benchmarks/scale.py --n 1000000 10000000
    PYTHONPATH=src python3 benchmarks/scale.py --n 10000000 --json scale.json

For each N the synthetic cohort of ``linkwork simulate`` (N participants x 3 waves, 2.5 N rows,
Parquet parts of 1M participants) is written once to ``--data`` (kept between runs). On those
files, each engine runs in its own process (so its peak resident memory, VmHWM, is its own):

* in-memory: ``pandas.read_parquet`` + ``linkwork.stats.lmer``;
* DuckDB: ``linkwork.scale.lmer_duckdb`` on the Parquet glob;
* Spark: ``linkwork.scale.lmer_spark`` on the Parquet glob, in local mode (``local[2]``,
  ``--spark-memory`` of driver heap); its time includes starting the JVM (reported
  separately), and the JVM's peak resident memory (VmHWM of the Python process's child
  processes, i.e. the JVM py4j started) is reported beside the Python process's own;

each then computes the Type III anova (Satterthwaite F) and pairwise contrasts of the wave
means: ``wemwbs ~ wave * arm + (1 | participant_id)``. Each is run with the files in the page
cache ("warm") and after dropping the files' cached pages with ``posix_fadvise(DONTNEED)``
("cold", the disk's speed). The machine's sequential read speed is measured by reading the
same files raw in 8 MiB blocks, warm and cold; the report gives the engines' bytes of Parquet
per second against it. The engines' fixed effects, F, den df and contrast df must agree to
1e-8 (relative).

Targets (issue 6): N = 10M: DuckDB under 15 s and 2 GiB peak memory.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

FORMULA = "wemwbs ~ wave * arm + (1 | participant_id)"

CHILD = r"""
import json, os, sys, time
engine, pattern, formula, spark_memory = sys.argv[1:5]

def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0

def descendants(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids = [int(k) for k in fh.read().split()]
        except OSError:
            kids = []
        for kid in kids:
            out += [kid, *descendants(kid)]
    return out

t0 = time.perf_counter()
t_read = t_start = float("nan")
jvm = 0
if engine == "memory":
    import pandas as pd
    from linkwork.stats import lmer
    df = pd.read_parquet(sorted(__import__("glob").glob(pattern)))
    t_read = time.perf_counter() - t0
    fit = lmer(formula, df)
elif engine == "spark":
    from linkwork.scale import lmer_spark, spark_session
    spark = spark_session(
        "local[2]", log_level="ERROR", config={"spark.driver.memory": spark_memory}
    )
    t_start = time.perf_counter() - t0
    fit = lmer_spark(formula, pattern, spark=spark)
else:
    from linkwork.scale import lmer_duckdb
    fit = lmer_duckdb(formula, pattern)
a = fit.anova()
c = fit.contrasts("wave")
seconds = time.perf_counter() - t0
if engine == "spark":
    jvm = sum(hwm(pid) for pid in descendants(os.getpid()))
print(json.dumps({
    "seconds": seconds, "read_seconds": t_read, "startup_seconds": t_start,
    "peak_bytes": hwm("self"), "jvm_peak_bytes": jvm, "nobs": fit.nobs,
    "fixef": fit.fixef.tolist(), "F": a["F"].tolist(), "den_df": a["den_df"].tolist(),
    "contrast_df": c["df"].tolist(),
}))
"""


def _drop_cache(files: list[str]) -> None:
    for f in files:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _raw_read(files: list[str]) -> float:
    """Seconds to read the files sequentially in 8 MiB blocks."""
    t0 = time.perf_counter()
    for f in files:
        with open(f, "rb", buffering=0) as fh:
            while fh.read(8 << 20):
                pass
    return time.perf_counter() - t0


def _run(engine: str, pattern: str, spark_memory: str) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, engine, pattern, FORMULA, spark_memory],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} failed:\n{proc.stderr}")
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _rel(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / max(abs(x), 1e-300) for x, y in zip(a, b, strict=True))


def bench(n: int, data: Path, engines: list[str], spark_memory: str) -> dict[str, object]:
    from linkwork.scale.simulate import write_scores

    folder = data / f"scores-{n}"
    if not any(folder.glob("part-*.parquet")):
        t0 = time.perf_counter()
        write_scores(folder, n)
        print(f"  wrote N = {n:,} in {time.perf_counter() - t0:.1f} s")
    files = sorted(glob.glob(str(folder / "part-*.parquet")))
    pattern = str(folder / "part-*.parquet")
    size = sum(os.path.getsize(f) for f in files)
    import pyarrow.parquet as pq

    metas = [pq.ParquetFile(f).metadata for f in files]
    rows = sum(m.num_rows for m in metas)
    raw = sum(m.row_group(i).total_byte_size for m in metas for i in range(m.num_row_groups))
    _raw_read(files)
    warm_read = _raw_read(files)
    _drop_cache(files)
    cold_read = _raw_read(files)
    row: dict[str, object] = {
        "n": n,
        "rows": rows,
        "bytes": size,
        "uncompressed_bytes": raw,
        "raw_read_warm_Bps": size / warm_read,
        "raw_read_cold_Bps": size / cold_read,
    }
    for engine in engines:
        for state in ("warm", "cold"):
            if state == "cold":
                _drop_cache(files)
            else:
                _raw_read(files)
            res = _run(engine, pattern, spark_memory)
            row[f"{engine}_{state}"] = res
            extra = ""
            if engine == "spark":
                extra = (
                    f" (JVM start {float(res['startup_seconds']):.1f} s; JVM peak "
                    f"{int(res['jvm_peak_bytes']) / 2**30:.2f} GiB)"
                )
            print(
                f"  {engine:7s} {state}: {res['seconds']:.2f} s, peak "
                f"{int(res['peak_bytes']) / 2**30:.2f} GiB{extra}, "
                f"{rows / float(res['seconds']) / 1e6:.1f} M rows/s, "
                f"{size / float(res['seconds']) / 1e6:.0f} MB/s of Parquet files, "
                f"{raw / float(res['seconds']) / 1e6:.0f} MB/s uncompressed "
                f"(nobs {res['nobs']:,})"
            )
    for i, first in enumerate(engines):
        for second in engines[i + 1 :]:
            a, b = row[f"{first}_warm"], row[f"{second}_warm"]
            assert isinstance(a, dict)
            assert isinstance(b, dict)
            agree = max(_rel(a[k], b[k]) for k in ("fixef", "F", "den_df", "contrast_df"))
            row[f"max_rel_diff_{first}_{second}"] = agree
            print(f"  agreement {first} vs {second}: max relative difference {agree:.1e}")
            if agree > 1e-8:
                print("  FAIL: engines disagree beyond 1e-8")
    print(
        f"  {rows:,} rows; files {size / 1e6:.0f} MB, uncompressed {raw / 1e6:.0f} MB; "
        f"raw sequential read of the files: warm {row['raw_read_warm_Bps'] / 1e9:.2f}"
        f" GB/s, cold {row['raw_read_cold_Bps'] / 1e9:.2f} GB/s"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--data", type=Path, default=Path("/tmp/linkwork-scale-bench"))
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=["duckdb", "spark", "memory"],
        default=["duckdb", "spark", "memory"],
        help="engines to compare (default: all three; spark needs pyspark and Java)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="leave out the in-memory run")
    parser.add_argument("--spark-memory", default="2g", help="Spark driver heap (local mode)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    engines = [e for e in args.engines if not (args.skip_memory and e == "memory")]
    print(f"cores: {os.cpu_count()}, formula: {FORMULA}")
    rows = []
    for n in args.n:
        print(f"N = {n:,} participants")
        row = bench(n, args.data, engines, args.spark_memory)
        rows.append(row)
        if n >= 10_000_000 and "duckdb" in engines:
            d = row["duckdb_warm"]
            assert isinstance(d, dict)
            ok = float(d["seconds"]) < 15 and int(d["peak_bytes"]) < 2 * 2**30
            print(f"  target N = 10M DuckDB < 15 s and < 2 GiB: {'PASS' if ok else 'FAIL'}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
