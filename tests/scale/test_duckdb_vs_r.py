"""lmer_duckdb directly against lme4 1.1-31 / lmerTest 3.1-3 / emmeans 1.8.4 (external truth).

The in-memory engine is the 1e-8 reference in test_duckdb_engine.py; this test closes the loop
without it: the same Parquet data are fitted by R, and lme4's own REML criterion is evaluated at
our theta (``devFunOnly``), so the likelihood is compared at the same parameters (1e-10) and the
estimates within lme4's optimiser tolerance.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkwork.scale import lmer_duckdb
from linkwork.scale.simulate import write_scores

R_SCRIPT = r"""
suppressMessages({library(lme4); library(lmerTest); library(emmeans); library(jsonlite)})
emm_options(lmerTest.limit = Inf, pbkrtest.limit = Inf)
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
d$participant_id <- factor(d$participant_id)
f <- wemwbs ~ wave * arm + (1 | participant_id)
m <- lmerTest::lmer(f, data = d, REML = TRUE)
dev <- lme4::lmer(f, data = d, REML = TRUE, devFunOnly = TRUE)
a <- anova(m, type = 3, ddf = "Satterthwaite")
pr <- as.data.frame(pairs(emmeans(m, "wave", lmer.df = "satterthwaite"), adjust = "none"))
cat(toJSON(list(
  fixef = unname(fixef(m)), theta = unname(getME(m, "theta")),
  reml = REMLcrit(m), dev_at_ours = dev(as.numeric(args[2])),
  F = unname(a[["F value"]]), den_df = unname(a[["DenDF"]]),
  contrast_est = pr$estimate, contrast_se = pr$SE, contrast_df = pr$df,
  nobs = nobs(m)
), digits = NA))
"""


@pytest.mark.r
def test_duckdb_fit_matches_lme4_lmertest_emmeans(rscript: str, tmp_path: Path) -> None:
    write_scores(tmp_path / "parts", 400, seed=17, chunk=150)
    df = pd.concat([pd.read_parquet(f) for f in sorted((tmp_path / "parts").glob("*.parquet"))])
    df = df.astype({"wave": str, "arm": str})
    df.loc[df.index[::37], "wemwbs"] = np.nan  # missing outcomes: R's na.omit must agree
    df.to_parquet(tmp_path / "data.parquet")
    df.to_csv(tmp_path / "data.csv", index=False, na_rep="NA")
    fit = lmer_duckdb("wemwbs ~ wave * arm + (1 | participant_id)", tmp_path / "data.parquet")
    script = tmp_path / "fit.R"
    script.write_text(R_SCRIPT)
    proc = subprocess.run(
        [rscript, str(script), str(tmp_path / "data.csv"), repr(float(fit.theta[0]))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert fit.nobs == r["nobs"][0]
    # likelihood at the same theta: the same function to rounding
    np.testing.assert_allclose(fit.reml_criterion, r["dev_at_ours"][0], rtol=1e-10)
    # our optimum is never worse than lme4's
    assert fit.reml_criterion <= r["reml"][0] + 1e-8 * abs(r["reml"][0])
    np.testing.assert_allclose(fit.fixef.to_numpy(), r["fixef"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fit.theta, r["theta"], rtol=1e-5)
    a = fit.anova()
    np.testing.assert_allclose(a["F"], r["F"], rtol=1e-5)
    np.testing.assert_allclose(a["den_df"], r["den_df"], rtol=1e-5)
    c = fit.contrasts("wave")
    np.testing.assert_allclose(c["estimate"], r["contrast_est"], rtol=1e-6)
    np.testing.assert_allclose(c["std_error"], r["contrast_se"], rtol=1e-5)
    np.testing.assert_allclose(c["df"], r["contrast_df"], rtol=1e-5)
