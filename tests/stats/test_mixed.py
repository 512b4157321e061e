"""``lmer()`` end to end: the contract's attributes, identities between them, and errors.

Numerical agreement with R is tested in test_lmer_vs_r.py; here the checks are identities
that must hold whatever the data (fitted + residuals = y, AIC = -2 logLik + 2 npar, BLUPs
solve the mixed-model equations, ...).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from linkwork.errors import ModelError
from linkwork.stats import MixedModelResult, lmer


def study(n_id: int = 40, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(1, n_id + 1), 3)
    df = pd.DataFrame({"id": ids, "wave": ["T1", "T2", "T3"] * n_id})
    df["t"] = np.tile([0.0, 1.0, 2.0], n_id)
    df["site"] = np.where(ids % 4 == 0, "s1", np.where(ids % 4 == 1, "s2", "s3"))
    df["y"] = (
        20
        - df["t"]
        + 3 * rng.normal(size=n_id)[ids - 1]
        + 0.5 * rng.normal(size=n_id)[ids - 1] * df["t"]
        + rng.normal(size=ids.size)
    )
    keep = rng.random(ids.size) > np.where(df["t"] == 0, 0.0, 0.25)
    return df[keep].reset_index(drop=True)


def test_result_attributes() -> None:
    df = study()
    fit = lmer("y ~ wave + (1 | id)", df)
    assert isinstance(fit, MixedModelResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.sigma = 1.0
    assert list(fit.fixef.index) == ["(Intercept)", "waveT2", "waveT3"]
    assert list(fit.vcov.index) == list(fit.vcov.columns) == list(fit.fixef.index)
    np.testing.assert_allclose(fit.vcov.to_numpy(), fit.vcov.to_numpy().T)
    assert fit.nobs == len(df)
    assert fit.ngroups == {"id": 40}
    assert fit.n_excluded == 0
    assert fit.excluded == {}
    assert list(fit.varcorr.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    assert list(fit.varcorr["grp"]) == ["id", "Residual"]
    assert fit.varcorr["vcov"].iloc[-1] == pytest.approx(fit.sigma**2)
    assert fit.varcorr["vcov"].iloc[0] == pytest.approx((fit.theta[0] * fit.sigma) ** 2)
    npar = 3 + 1 + 1
    assert fit.loglik == pytest.approx(-fit.reml_criterion / 2)
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * npar)
    assert fit.bic == pytest.approx(-2 * fit.loglik + npar * math.log(fit.nobs))
    assert fit.deviance == fit.reml_criterion  # lme4's deviance() of a REML fit
    ml = lmer("y ~ wave + (1 | id)", df, REML=False)
    assert ml.deviance == pytest.approx(-2 * ml.loglik)
    assert ml.deviance < ml.reml_criterion


def test_fitted_residuals_and_conditional_modes() -> None:
    df = study()
    fit = lmer("y ~ t + (1 + t | id)", df)
    np.testing.assert_allclose(fit.fitted() + fit.residuals(), df["y"], rtol=1e-12)
    modes = fit.ranef["id"]
    assert list(modes.columns) == ["(Intercept)", "t"]
    assert list(modes.index[:3]) == ["1", "2", "3"]
    # BLUPs satisfy b_i = G Z_i' V_i^-1 (y_i - X_i beta) for each participant
    sd = fit.varcorr.set_index(["var1"])
    lam = np.zeros((2, 2))
    lam[[0, 1, 1], [0, 0, 1]] = fit.theta
    G = fit.sigma**2 * lam @ lam.T
    for pid in (1, 7):
        rows = df["id"] == pid
        Z = np.column_stack([np.ones(rows.sum()), df.loc[rows, "t"]])
        V = Z @ G @ Z.T + fit.sigma**2 * np.eye(rows.sum())
        r = df.loc[rows, "y"].to_numpy() - Z @ fit.fixef.to_numpy()
        np.testing.assert_allclose(
            modes.loc[str(pid)].to_numpy(), G @ Z.T @ np.linalg.solve(V, r), rtol=1e-8
        )
    del sd


def test_missing_rows_are_reported() -> None:
    df = study()
    df.loc[[1, 5, 9], "y"] = np.nan
    fit = lmer("y ~ wave + (1 | id)", df)
    assert fit.n_excluded == 3
    assert fit.excluded == {"y": 3}
    assert fit.nobs == len(df) - 3
    assert fit.fitted().shape == (fit.nobs,)


def test_single_observation_groups_are_fine() -> None:
    df = study()
    first = df.groupby("id").head(1).index
    df = pd.concat([df, df.loc[first[:5]].assign(id=np.arange(1000, 1005))])
    fit = lmer("y ~ wave + (1 | id)", df)
    assert fit.ngroups == {"id": 45}
    assert fit.converged


def test_nested_fit() -> None:
    df = study()
    fit = lmer("y ~ wave + (1 | site/id)", df)
    assert fit.ngroups == {"id:site": 40, "site": 3}
    assert list(fit.varcorr["grp"]) == ["id:site", "site", "Residual"]
    assert set(fit.ranef) == {"id:site", "site"}
    assert fit.ranef["id:site"].index[0] == "1:s2"
    np.testing.assert_allclose(fit.fitted() + fit.residuals(), df["y"])


def test_uncorrelated_slopes_names() -> None:
    fit = lmer("y ~ t + (t || id)", study())
    assert list(fit.varcorr["grp"]) == ["id", "id.1", "Residual"]
    assert list(fit.ranef) == ["id"]
    assert list(fit.ranef["id"].columns) == ["(Intercept)", "t"]
    assert fit.ngroups == {"id": 40}


def test_weights_scale_residual_variances() -> None:
    df = study()
    # Var(e_j) = sigma^2 / w_j: doubling every weight doubles sigma^2 and leaves the fixed
    # effects and the random-effect variance unchanged
    a = lmer("y ~ wave + (1 | id)", df, weights=np.ones(len(df)))
    b = lmer("y ~ wave + (1 | id)", df, weights=np.full(len(df), 2.0))
    plain = lmer("y ~ wave + (1 | id)", df)
    np.testing.assert_allclose(a.fixef, plain.fixef, rtol=1e-10)
    np.testing.assert_allclose(b.fixef, plain.fixef, rtol=1e-8)
    assert b.sigma**2 == pytest.approx(plain.sigma**2 * 2, rel=1e-8)
    assert b.varcorr["vcov"].iloc[0] == pytest.approx(plain.varcorr["vcov"].iloc[0], rel=1e-6)


@pytest.mark.parametrize(
    ("text", "change", "match"),
    [
        ("y ~ wave + (1 | id) + (1 | worker)", "crossed", "out of scope"),
        ("y ~ wave + t + (1 | id)", None, r"\['t'\]"),
        ("y ~ wave + (1 | id)", "bad_reml", "REML"),
    ],
)
def test_errors(text: str, change: str | None, match: str) -> None:
    df = study()
    kwargs: dict[str, object] = {}
    if change == "crossed":
        df["worker"] = np.arange(len(df)) % 3
    if change == "bad_reml":
        kwargs["REML"] = "yes"
    if text == "y ~ wave + t + (1 | id)":
        df["t"] = (df["wave"] == "T2") * 1.0  # = waveT2: aliased
    with pytest.raises(ModelError, match=match):
        lmer(text, df, **kwargs)


def test_too_many_random_effects() -> None:
    df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": [0.0, 1] * 3, "y": [1.0, 2, 2, 5, 3, 3]})
    with pytest.raises(ModelError, match="number of random effects"):
        lmer("y ~ t + (1 + t | id)", df)


R_WEIGHTED = r"""
suppressMessages(library(lme4))
d <- read.csv(commandArgs(TRUE)[1])
m <- lmer(y ~ wave + (1 + t | id), d, weights = w,
          control = lmerControl(optCtrl = list(ftol_abs = 1e-12, xtol_abs = 1e-12)))
cat(sprintf("%.17g", c(REMLcrit(m), fixef(m), sigma(m), getME(m, "theta"))), sep = "\n")
f <- lmer(y ~ wave + (1 + t | id), d, weights = w, devFunOnly = TRUE)
cat(sprintf("%.17g", f(c(0.8, 0.1, 0.3))), sep = "\n")
"""


@pytest.mark.r
def test_weighted_fit_matches_lme4(rscript: str, tmp_path: object) -> None:
    """Prior weights (not in the stored R reference): lme4 1.1-31 fitted live."""
    import subprocess
    from pathlib import Path

    df = study(60, seed=5)
    df["w"] = np.random.default_rng(1).uniform(0.5, 2.0, len(df))
    path = Path(str(tmp_path)) / "d.csv"
    df.to_csv(path, index=False, float_format="%.17g")
    script = Path(str(tmp_path)) / "fit.R"
    script.write_text(R_WEIGHTED)
    out = subprocess.run(
        [rscript, str(script), str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    r = np.array([float(v) for v in out])
    fit = lmer("y ~ wave + (1 + t | id)", df, weights="w")
    assert fit.reml_criterion <= r[0] + 1e-9 * abs(r[0])
    assert fit.reml_criterion == pytest.approx(r[0], rel=1e-9)
    np.testing.assert_allclose(fit.fixef, r[1:4], rtol=1e-6)
    assert fit.sigma == pytest.approx(r[4], rel=1e-5)
    np.testing.assert_allclose(fit.theta, r[5:8], rtol=1e-4, atol=1e-5)
    crit = fit.model.crit
    from linkwork.stats.lmm import profiled_deviance

    ours = profiled_deviance(crit.pieces(np.array([0.8, 0.1, 0.3])), fit.nobs, True)[0]
    assert ours == pytest.approx(r[8], rel=1e-12)


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("constant", "no residual variation"),
        ("exact", "no residual variation"),
        ("one_group", "> 1 sampled level"),
    ],
)
def test_degenerate_data(case: str, match: str) -> None:
    df = pd.DataFrame({"id": np.repeat(np.arange(10), 3), "wave": ["T1", "T2", "T3"] * 10})
    df["y"] = np.random.default_rng(1).normal(size=30)
    if case == "constant":
        df["y"] = 4.0
    elif case == "exact":
        df["y"] = 2.0 + (df["wave"] == "T2")
    else:
        df["id"] = 1
    with pytest.raises(ModelError, match=match):
        lmer("y ~ wave + (1 | id)", df)
