"""Benchmark the DuckDB push-down of the mixed-model data pass against the in-memory engine.

Usage (from the repository root)::

    PYTHONPATH=src python3 benchmarks/scale.py                     # N = 1M participants
    PYTHONPATH=src python3 benchmarks/scale.py --n 1000000 10000000
    PYTHONPATH=src python3 benchmarks/scale.py --n 10000000 --json scale.json

For each N the synthetic cohort of ``linkwork simulate`` (N participants x 3 waves, 2.5 N rows,
Parquet parts of 1M participants) is written once to ``--data`` (kept between runs). On those
files, each engine runs in its own process (so its peak resident memory, VmHWM, is its own):

* in-memory: ``pandas.read_parquet`` + ``linkwork.stats.lmer``;
* DuckDB: ``linkwork.scale.lmer_duckdb`` on the Parquet glob;

both then compute the Type III anova (Satterthwaite F) and pairwise contrasts of the wave
means: ``wemwbs ~ wave * arm + (1 | participant_id)``. Each is run with the files in the page
cache ("warm") and after dropping the files' cached pages with ``posix_fadvise(DONTNEED)``
("cold", the disk's speed). The machine's sequential read speed is measured by reading the
same files raw in 8 MiB blocks, warm and cold; the report gives the engines' bytes of Parquet
per second against it. The two engines' fixed effects, F and den df must agree to 1e-8.

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
import json, sys, time
engine, pattern, formula = sys.argv[1:4]
t0 = time.perf_counter()
if engine == "memory":
    import pandas as pd
    from linkwork.stats import lmer
    df = pd.read_parquet(sorted(__import__("glob").glob(pattern)))
    t_read = time.perf_counter() - t0
    fit = lmer(formula, df)
else:
    from linkwork.scale import lmer_duckdb
    t_read = float("nan")
    fit = lmer_duckdb(formula, pattern)
a = fit.anova()
c = fit.contrasts("wave")
seconds = time.perf_counter() - t0
hwm = 0
with open("/proc/self/status") as fh:
    for line in fh:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) * 1024
print(json.dumps({
    "seconds": seconds, "read_seconds": t_read, "peak_bytes": hwm, "nobs": fit.nobs,
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


def _run(engine: str, pattern: str) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, engine, pattern, FORMULA],
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


def bench(n: int, data: Path, skip_memory: bool) -> dict[str, object]:
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
    engines = ["duckdb"] if skip_memory else ["duckdb", "memory"]
    for engine in engines:
        for state in ("warm", "cold"):
            if state == "cold":
                _drop_cache(files)
            else:
                _raw_read(files)
            res = _run(engine, pattern)
            row[f"{engine}_{state}"] = res
            print(
                f"  {engine:7s} {state}: {res['seconds']:.2f} s, peak "
                f"{int(res['peak_bytes']) / 2**30:.2f} GiB, "
                f"{rows / float(res['seconds']) / 1e6:.1f} M rows/s, "
                f"{size / float(res['seconds']) / 1e6:.0f} MB/s of Parquet files, "
                f"{raw / float(res['seconds']) / 1e6:.0f} MB/s uncompressed "
                f"(nobs {res['nobs']:,})"
            )
    if not skip_memory:
        d, m = row["duckdb_warm"], row["memory_warm"]
        assert isinstance(d, dict)
        assert isinstance(m, dict)
        agree = max(_rel(m[k], d[k]) for k in ("fixef", "F", "den_df", "contrast_df"))
        row["max_rel_diff"] = agree
        print(f"  agreement DuckDB vs in-memory: max relative difference {agree:.1e}")
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
    parser.add_argument("--skip-memory", action="store_true", help="DuckDB engine only")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, formula: {FORMULA}")
    rows = []
    for n in args.n:
        print(f"N = {n:,} participants")
        row = bench(n, args.data, args.skip_memory)
        rows.append(row)
        if n >= 10_000_000:
            d = row["duckdb_warm"]
            assert isinstance(d, dict)
            ok = float(d["seconds"]) < 15 and int(d["peak_bytes"]) < 2 * 2**30
            print(f"  target N = 10M DuckDB < 15 s and < 2 GiB: {'PASS' if ok else 'FAIL'}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
