"""Benchmark: linkwork's whole demo evaluation versus R doing the models alone.

Usage (from the repository root)::

    PYTHONPATH=src python3 benchmarks/evaluate.py            # 3 repeats, best time of each
    PYTHONPATH=src python3 benchmarks/evaluate.py --repeat 5

Both sides run as whole processes on the same machine, timed wall-clock from start to exit:

* linkwork: ``python -m linkwork.cli demo --out DIR`` - load the demo cohort, score every
  instrument, flow, descriptives, attrition, rank tests, 12 mixed models (6 outcomes, all
  available data and completers) with Type III F, marginal means, contrasts and d,
  correlations, then write report.html (SVG figures), results.json and tables/*.csv;
* R: ``Rscript`` with lme4 + lmerTest + emmeans fitting the same 12 models on the demo
  cohort's scores (written beforehand by linkwork, not timed) with ``anova(type = 3)``
  (Satterthwaite), ``emmeans(fit, "wave")`` and ``pairs(..., reverse = TRUE, adjust =
  "holm")``: the models alone, no scoring, no other statistics, no report.

The issue's aim is linkwork's whole report in less time than R's models alone, i.e. a ratio
R / linkwork above 1. The R process's own time for the models (after loading its packages)
is printed too, for reference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

R_MODELS = r"""
suppressPackageStartupMessages({library(lme4); library(lmerTest); library(emmeans)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
outcomes <- strsplit(args[2], ",")[[1]]
last <- args[3]
start <- proc.time()[["elapsed"]]
for (o in outcomes) {
  rows <- d[!is.na(d[[o]]), ]
  done <- rows$participant_id[rows$wave == last]
  for (part in list(rows, rows[rows$participant_id %in% done, ])) {
    part$wave <- factor(part$wave, levels = c("T1", "T2", "T3"))
    fit <- lmerTest::lmer(as.formula(paste(o, "~ wave + (1 | participant_id)")), data = part)
    a <- anova(fit, type = 3, ddf = "Satterthwaite")
    e <- emmeans(fit, "wave", lmer.df = "satterthwaite")
    s <- summary(e)
    p <- summary(pairs(e, reverse = TRUE, adjust = "holm"))
    co <- summary(fit)$coefficients
  }
}
cat(sprintf("%.6f\n", proc.time()[["elapsed"]] - start))
"""


def _time(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{run.stderr}")
    return elapsed, run.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best is kept)")
    args = parser.parse_args(argv)
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript not found: install R with lme4, lmerTest and emmeans", file=sys.stderr)
        return 1

    from linkwork.datasets import demo_cohort
    from linkwork.evaluation import analysis_data, default_plan

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scores = folder / "scores.csv"
        analysis_data(demo_cohort()).to_csv(scores, index=False)
        outcomes = ",".join(o.name for o in default_plan().outcomes)
        script = folder / "models.R"
        script.write_text(R_MODELS, encoding="utf-8")

        ours, theirs, inside = [], [], []
        for k in range(args.repeat):
            out = folder / f"demo-output-{k}"
            seconds, _ = _time(
                [sys.executable, "-m", "linkwork.cli", "demo", "--out", str(out)], env
            )
            ours.append(seconds)
            seconds, stdout = _time([rscript, str(script), str(scores), outcomes, "T3"])
            theirs.append(seconds)
            inside.append(float(stdout.strip().splitlines()[-1]))

    best_ours, best_r = min(ours), min(theirs)
    print(
        "Demo cohort: 64 participants, 144 rows, 6 outcomes x 2 models (best of "
        f"{args.repeat} runs, wall-clock, whole processes)"
    )
    print(f"  linkwork demo (whole evaluation + report)   {best_ours:8.2f} s")
    print(
        f"  R: lme4 + lmerTest + emmeans, models alone  {best_r:8.2f} s "
        f"(of which the models themselves {min(inside):.2f} s)"
    )
    print(
        f"  ratio R models / linkwork whole report      {best_r / best_ours:8.2f}x "
        f"({'linkwork faster' if best_r > best_ours else 'R faster'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
