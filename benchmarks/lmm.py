"""Benchmark linkwork's mixed-model engine against lme4 + lmerTest + emmeans and statsmodels.

Usage (from the repository root)::

    PYTHONPATH=src python3 benchmarks/lmm.py                  # N = 10k, 200k, 1M participants
    PYTHONPATH=src python3 benchmarks/lmm.py --n 10000 50000  # chosen sizes
    PYTHONPATH=src python3 benchmarks/lmm.py --with-10m       # adds N = 10M (linkwork only)
    PYTHONPATH=src python3 benchmarks/lmm.py --json out.json  # also save the figures

For each N it draws ONE data set - N participants x 3 waves, 20% missing at T2 and 30% at T3
(about 2.5 N rows) - and times, on that same data, each tool in its own process so that its
peak resident memory (VmHWM) is its own:

* linkwork: ``lmer("y ~ wave + (1 | id)")`` + Type III anova (Satterthwaite) + pairwise
  contrasts of the wave means (Holm); then the random-slopes model ``y ~ t + (1 + t | id)``;
* lme4 + lmerTest + emmeans (Rscript): ``lmerTest::lmer`` + ``anova(type = 3)`` +
  ``pairs(emmeans(fit, "wave"), adjust = "holm")`` with ``lmer.df = "satterthwaite"``; time
  measured inside R, excluding reading the data (binary vectors via readBin, faster than CSV),
  and the total process time; random slopes too up to ``--r-slopes-max-n``;
* statsmodels MixedLM (REML fit only: it has no Satterthwaite df), skipped above
  ``--statsmodels-max-n`` (default 200k) because it takes many minutes.

Times are wall-clock seconds; linkwork's are the best of a few repeats at small N (after a
warm-up fit, so imports are excluded). The run also checks that the tools' estimates agree
(fixed effects, variance components, F, denominator df, contrasts) and prints the targets of
issue 3 with PASS / FAIL: at N >= 200k linkwork >= 100x faster than lme4 + lmerTest and >= 1000x
faster than statsmodels; N = 1M under 0.5 s; N = 10M under 5 s and 3 GiB; random slopes within
3x of the random-intercept time; lme4's sleepstudy in milliseconds (< 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SLEEPSTUDY = ROOT / "tests" / "reference" / "data" / "sleepstudy.csv"
WAVES = ("T1", "T2", "T3")

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lme4); library(lmerTest); library(emmeans)})
emm_options(lmer.df = "satterthwaite", lmerTest.limit = Inf, pbkrtest.limit = Inf)
args <- commandArgs(trailingOnly = TRUE)
prefix <- args[1]; n <- as.integer(args[2]); slopes <- args[3] == "1"
rd <- function(suffix, what, size) {
  con <- file(paste0(prefix, suffix), "rb"); on.exit(close(con))
  readBin(con, what, n = n, size = size)
}
d <- data.frame(id = rd(".id", "integer", 4L), wave = rd(".wave", "integer", 4L),
                y = rd(".y", "double", 8L))
d$wave <- factor(c("T1", "T2", "T3")[d$wave], levels = c("T1", "T2", "T3"))
d$t <- as.numeric(d$wave) - 1
el <- function() proc.time()[["elapsed"]]
t0 <- el()
m <- lmerTest::lmer(y ~ wave + (1 | id), data = d)
t1 <- el()
a <- anova(m, type = 3, ddf = "Satterthwaite")
t2 <- el()
p <- summary(pairs(emmeans(m, "wave"), adjust = "holm"))
t3 <- el()
out <- list(fit = t1 - t0, anova = t2 - t1, emmeans = t3 - t2, total = t3 - t0,
            fixef = unname(fixef(m)), sigma = sigma(m),
            varcorr = as.data.frame(VarCorr(m))$vcov,
            F = a[["F value"]], den_df = a[["DenDF"]],
            contrast_estimate = p$estimate, contrast_df = p$df, contrast_p = p$p.value)
if (slopes) {
  t4 <- el()
  m2 <- lme4::lmer(y ~ t + (1 + t | id), data = d)
  out$slopes_fit <- el() - t4
  out$slopes_fixef <- unname(fixef(m2))
}
status <- readLines("/proc/self/status")
out$peak_rss_kib <- as.numeric(gsub("[^0-9]", "", grep("^VmHWM", status, value = TRUE)))
cat(paste0(names(out), "=", vapply(out, function(v) paste(sprintf("%.17g", v),
    collapse = ","), ""), collapse = "\n"), "\n")
"""


# ---------------------------------------------------------------------------------------------
# Data


def make_data(n: int, seed: int) -> dict[str, np.ndarray]:
    """N participants x 3 waves; T2 observed with prob 0.8, T3 with 0.7; y ~ wave + (1 | id)."""
    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, 4.0, n)
    keep = np.column_stack([np.ones(n, bool), rng.random(n) < 0.8, rng.random(n) < 0.7])
    pid, wave = np.nonzero(keep)
    mean = np.array([20.0, 17.0, 16.0])[wave] + u[pid]
    y = mean + rng.normal(0.0, 3.0, pid.size)
    return {"id": (pid + 1).astype(np.int32), "wave": wave.astype(np.int32), "y": y}


def _frame(data: dict[str, np.ndarray]) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "id": data["id"].astype(np.int64),
            "wave": pd.Categorical.from_codes(data["wave"], categories=pd.Index(WAVES)),
            "t": data["wave"].astype(float),
            "y": data["y"],
        }
    )


def _peak_rss_kib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return float(line.split()[1])
    return float("nan")


def _current_rss_kib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return float(line.split()[1])
    return float("nan")


# ---------------------------------------------------------------------------------------------
# Workers (each runs in its own process)


def worker_linkwork(path: str, repeats: int) -> dict[str, Any]:
    from linkwork.stats import lmer

    # Warm-up on a tiny data set: imports and first-call costs are not part of the timing.
    warm = _frame(make_data(50, 1))
    lmer("y ~ wave + (1 | id)", warm).anova()
    lmer("y ~ t + (1 + t | id)", warm)
    frame = _frame(dict(np.load(path)))
    rss_data = _current_rss_kib()
    best: dict[str, float] = {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit = lmer("y ~ wave + (1 | id)", frame)
        t1 = time.perf_counter()
        anova = fit.anova()
        t2 = time.perf_counter()
        pairs = fit.contrasts("wave", method="pairwise", adjust="holm")
        t3 = time.perf_counter()
        peak_ri = _peak_rss_kib()  # before the random-slopes fit
        slopes = lmer("y ~ t + (1 + t | id)", frame)
        t4 = time.perf_counter()
        times = {
            "fit": t1 - t0,
            "anova": t2 - t1,
            "contrasts": t3 - t2,
            "total": t3 - t0,
            "slopes_fit": t4 - t3,
        }
        best = {k: min(v, best.get(k, np.inf)) for k, v in times.items()}
    vc = fit.varcorr
    return {
        **best,
        "fixef": [float(v) for v in fit.fixef],
        "sigma": float(fit.sigma),
        "varcorr": [float(v) for v in vc["vcov"]],
        "F": [float(v) for v in anova["F"]],
        "den_df": [float(v) for v in anova["den_df"]],
        "contrast_estimate": [float(v) for v in pairs["estimate"]],
        "contrast_df": [float(v) for v in pairs["df"]],
        "contrast_p": [float(v) for v in pairs["p_adjusted"]],
        "slopes_fixef": [float(v) for v in slopes.fixef],
        "peak_rss_kib": _peak_rss_kib(),
        "peak_rss_ri_kib": peak_ri,
        "data_rss_kib": rss_data,
    }


def worker_statsmodels(path: str) -> dict[str, Any]:
    import warnings

    import statsmodels.formula.api as smf

    frame = _frame(dict(np.load(path)))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.mixedlm("y ~ wave", frame, groups=frame["id"]).fit(reml=True)
    t1 = time.perf_counter()
    return {
        "fit": t1 - t0,
        "total": t1 - t0,
        "fixef": [float(v) for v in res.fe_params],
        "sigma": float(np.sqrt(res.scale)),
        "varcorr": [float(res.cov_re.iloc[0, 0]), float(res.scale)],
        "peak_rss_kib": _peak_rss_kib(),
    }


def worker_sleepstudy(repeats: int) -> dict[str, Any]:
    import pandas as pd

    from linkwork.stats import lmer

    frame = pd.read_csv(SLEEPSTUDY)
    lmer("Reaction ~ Days + (Days | Subject)", frame)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit = lmer("Reaction ~ Days + (Days | Subject)", frame)
        fit.anova()
        times.append(time.perf_counter() - t0)
    return {"fit_anova_median": float(np.median(times)), "fixef": [float(v) for v in fit.fixef]}


def _run_worker(args: list[str], timeout: float) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    elapsed = time.perf_counter() - t0
    if run.returncode != 0:
        raise RuntimeError(f"worker {args[:2]} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1]), elapsed


def run_r(prefix: str, n_rows: int, slopes: bool, timeout: float) -> dict[str, Any]:
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise RuntimeError("Rscript not found")
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as handle:
        handle.write(R_SCRIPT)
    t0 = time.perf_counter()
    run = subprocess.run(
        [rscript, handle.name, prefix, str(n_rows), "1" if slopes else "0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    elapsed = time.perf_counter() - t0
    os.unlink(handle.name)
    if run.returncode != 0:
        raise RuntimeError(f"R failed:\n{run.stderr[-3000:]}")
    out: dict[str, Any] = {"process": elapsed}
    for line in run.stdout.strip().splitlines():
        key, _, value = line.strip().partition("=")
        values = [float(v) for v in value.split(",")]
        out[key] = values if len(values) > 1 or key in {"fixef", "F", "den_df"} else values[0]
    return out


# ---------------------------------------------------------------------------------------------
# Report


def _max_rel(a: Any, b: Any, floor: float = 1e-300) -> float:
    """Largest relative difference; below *floor* (tiny p values) the absolute one."""
    x, y = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    if x.shape != y.shape:
        return float("inf")
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(y), floor)))


AGREEMENT = {  # quantity -> (relative tolerance vs lme4, vs statsmodels)
    "fixef": (1e-6, 1e-4),
    "varcorr": (1e-4, 1e-3),
    "F": (1e-4, None),
    "den_df": (1e-4, None),
    "contrast_estimate": (1e-6, None),
    "contrast_df": (1e-4, None),
    "contrast_p": (1e-4, None),
}


def agreement(ours: dict[str, Any], other: dict[str, Any], which: int) -> list[str]:
    lines = []
    for key, tols in AGREEMENT.items():
        tol = tols[which]
        if tol is None or key not in other:
            continue
        rel = _max_rel(ours[key], other[key], 1e-6 if key == "contrast_p" else 1e-300)
        lines.append(f"{key} {rel:.1e} {'ok' if rel <= tol else 'MISMATCH'} (tol {tol:g})")
    return lines


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mem(kib: float) -> str:
    return f"{kib / 1024**2:.2f} GiB" if kib > 1024**2 / 2 else f"{kib / 1024:.0f} MiB"


def benchmark(n: int, opts: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    data = make_data(n, seed=opts.seed + n)
    rows = int(data["y"].size)
    print(f"\n=== N = {n:,} participants, {rows:,} rows (y ~ wave + (1 | id)) ===", flush=True)
    npz = workdir / f"data_{n}.npz"
    np.savez(npz, id=data["id"], wave=data["wave"], y=data["y"])
    record: dict[str, Any] = {"n": n, "rows": rows}

    repeats = max(1, min(5, int(2e6 // rows)))
    lw, lw_process = _run_worker(
        ["--worker", "linkwork", "--data", str(npz), "--repeats", str(repeats)], opts.timeout
    )
    record["linkwork"] = {**lw, "process": lw_process}
    print(
        f"linkwork      fit+anova+pairs {fmt_s(lw['total'])} (fit {fmt_s(lw['fit'])}, anova "
        f"{fmt_s(lw['anova'])}, contrasts {fmt_s(lw['contrasts'])}); peak RSS "
        f"{fmt_mem(lw['peak_rss_ri_kib'])} (process with data loaded "
        f"{fmt_mem(lw['data_rss_kib'])}; with the random-slopes fit too "
        f"{fmt_mem(lw['peak_rss_kib'])}); "
        f"random slopes fit {fmt_s(lw['slopes_fit'])} = {lw['slopes_fit'] / lw['fit']:.2f}x "
        f"the random-intercept fit",
        flush=True,
    )

    if n <= opts.r_max_n and shutil.which("Rscript"):
        prefix = str(workdir / f"data_{n}")
        data["id"].astype("<i4").tofile(prefix + ".id")
        (data["wave"] + 1).astype("<i4").tofile(prefix + ".wave")
        data["y"].astype("<f8").tofile(prefix + ".y")
        r = run_r(prefix, rows, n <= opts.r_slopes_max_n, opts.timeout)
        record["lme4"] = r
        ratio = r["total"] / lw["total"]
        print(
            f"lme4+lmerTest fit+anova+emmeans {fmt_s(r['total'])} (fit {fmt_s(r['fit'])}, "
            f"anova {fmt_s(r['anova'])}, emmeans {fmt_s(r['emmeans'])}); process "
            f"{fmt_s(r['process'])}; peak RSS {fmt_mem(r['peak_rss_kib'])}"
            + (f"; lme4 random slopes fit {fmt_s(r['slopes_fit'])}" if "slopes_fit" in r else ""),
            flush=True,
        )
        print(
            f"  linkwork/lme4 time ratio {lw['total'] / r['total']:.2e} "
            f"(linkwork {ratio:,.0f}x faster)"
        )
        print("  agreement with lme4: " + "; ".join(agreement(lw, r, 0)))
        if "slopes_fixef" in r:
            rel = _max_rel(lw["slopes_fixef"], r["slopes_fixef"])
            print(f"  random slopes fixef vs lme4 {rel:.1e}")
    else:
        print(f"lme4+lmerTest skipped (N > --r-max-n {opts.r_max_n:,} or no Rscript)")

    if n <= opts.statsmodels_max_n:
        sm, sm_process = _run_worker(["--worker", "statsmodels", "--data", str(npz)], opts.timeout)
        record["statsmodels"] = {**sm, "process": sm_process}
        print(
            f"statsmodels   MixedLM REML fit {fmt_s(sm['fit'])}; peak RSS "
            f"{fmt_mem(sm['peak_rss_kib'])}",
            flush=True,
        )
        print(
            f"  linkwork/statsmodels time ratio {lw['total'] / sm['fit']:.2e} "
            f"(linkwork {sm['fit'] / lw['total']:,.0f}x faster)"
        )
        print("  agreement with statsmodels: " + "; ".join(agreement(lw, sm, 1)))
    else:
        print(f"statsmodels skipped: N > {opts.statsmodels_max_n:,} takes many minutes")
    return record


def targets(records: list[dict[str, Any]], sleep: dict[str, Any]) -> list[str]:
    lines = []

    def line(ok: bool, text: str) -> None:
        lines.append(f"{'PASS' if ok else 'FAIL'}  {text}")

    for rec in records:
        n, lw = rec["n"], rec["linkwork"]
        if n >= 200_000 and "lme4" in rec:
            x = rec["lme4"]["total"] / lw["total"]
            line(x >= 100, f"N={n:,}: {x:,.0f}x faster than lme4+lmerTest (target >= 100x)")
        if n >= 200_000 and "statsmodels" in rec:
            x = rec["statsmodels"]["fit"] / lw["total"]
            line(x >= 1000, f"N={n:,}: {x:,.0f}x faster than statsmodels (target >= 1000x)")
        if n == 1_000_000:
            line(lw["total"] < 0.5, f"N=1M: {fmt_s(lw['total'])} (target < 0.5 s)")
        if n == 10_000_000:
            line(lw["total"] < 5, f"N=10M: {fmt_s(lw['total'])} (target < 5 s)")
            gib = lw["peak_rss_ri_kib"] / 1024**2
            line(gib < 3, f"N=10M: peak RSS {gib:.2f} GiB (target < 3 GiB)")
            gib = lw["peak_rss_kib"] / 1024**2
            line(gib < 3, f"N=10M: peak RSS incl. random slopes {gib:.2f} GiB (target < 3 GiB)")
        x = lw["slopes_fit"] / lw["fit"]
        line(x <= 3, f"N={n:,}: random slopes {x:.2f}x random-intercept fit (target <= 3x)")
    if sleep:
        t = sleep["fit_anova_median"]
        line(t < 0.05, f"sleepstudy fit + anova {fmt_s(t)} (target: milliseconds, < 50 ms)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 200_000, 1_000_000])
    parser.add_argument("--with-10m", action="store_true", help="also N = 10,000,000")
    parser.add_argument("--r-max-n", type=int, default=1_000_000)
    parser.add_argument("--r-slopes-max-n", type=int, default=200_000)
    parser.add_argument("--statsmodels-max-n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--json", type=Path, help="save all figures to this JSON file")
    parser.add_argument(
        "--worker", choices=["linkwork", "statsmodels", "sleepstudy"], help=argparse.SUPPRESS
    )
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    opts = parser.parse_args()

    if opts.worker == "linkwork":
        print(json.dumps(worker_linkwork(opts.data, opts.repeats)))
        return
    if opts.worker == "statsmodels":
        print(json.dumps(worker_statsmodels(opts.data)))
        return
    if opts.worker == "sleepstudy":
        print(json.dumps(worker_sleepstudy(opts.repeats)))
        return

    sizes = list(opts.n) + ([10_000_000] if opts.with_10m else [])
    print(f"linkwork mixed-model benchmark; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    records = []
    with tempfile.TemporaryDirectory(prefix="lmm_bench_") as tmp:
        for n in sizes:
            records.append(benchmark(n, opts, Path(tmp)))
    sleep, _ = _run_worker(["--worker", "sleepstudy", "--repeats", "20"], opts.timeout)
    print(
        f"\nsleepstudy Reaction ~ Days + (Days | Subject): fit + anova "
        f"{fmt_s(sleep['fit_anova_median'])} (median of 20)"
    )
    print("\nTargets (issue 3):")
    lines = targets(records, sleep)
    print("\n".join(lines))
    if opts.json:
        opts.json.write_text(
            json.dumps({"records": records, "sleepstudy": sleep, "targets": lines}, indent=1)
        )


if __name__ == "__main__":
    main()
