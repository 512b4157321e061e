"""The result's tables and renderings (values are checked against R in test_lmer_vs_r.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from linkwork.errors import ModelError
from linkwork.stats import lmer


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(12)
    ids = np.repeat(np.arange(25), 3)
    df = pd.DataFrame({"id": ids, "wave": ["T1", "T2", "T3"] * 25})
    df["y"] = rng.normal(size=75) + rng.normal(size=25)[ids] + (df["wave"] == "T2")
    df.loc[4, "y"] = np.nan
    return lmer("y ~ wave + (1 | id)", df)


def test_tidy(fit) -> None:
    t = fit.tidy()
    assert list(t.columns) == [
        "term",
        "estimate",
        "std_error",
        "df",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    assert list(t["term"]) == list(fit.fixef.index)
    np.testing.assert_allclose(t["estimate"], fit.fixef)
    np.testing.assert_allclose(t["std_error"], np.sqrt(np.diag(fit.vcov)))
    np.testing.assert_allclose(t["statistic"], t["estimate"] / t["std_error"])
    np.testing.assert_allclose(t["p_value"], 2 * stats.t.sf(np.abs(t["statistic"]), t["df"]))
    np.testing.assert_allclose(
        t["conf_high"], t["estimate"] + stats.t.ppf(0.975, t["df"]) * t["std_error"]
    )


def test_glance(fit) -> None:
    g = fit.glance()
    assert len(g) == 1
    row = g.iloc[0]
    assert row["nobs"] == 74
    assert row["ngroups_id"] == 25
    assert row["loglik"] == fit.loglik
    assert bool(row["converged"]) is True
    assert {"sigma", "aic", "bic", "deviance", "reml_criterion", "singular"} <= set(g.columns)


def test_summary_and_html(fit) -> None:
    text = fit.summary()
    assert "Linear mixed model fit by REML" in text
    assert "waveT2" in text
    assert "1 row(s) excluded" in text
    html = fit._repr_html_()
    assert html.startswith("<div>")
    assert "<td>waveT3</td>" in html
    assert "y ~ wave + (1 | id)" in html


def test_tables_are_copies(fit) -> None:
    modes = fit.ranef["id"]
    modes.iloc[0, 0] = 99.0
    assert fit.ranef["id"].iloc[0, 0] != 99.0
    table = fit.anova()
    table.loc[0, "F"] = -1.0
    assert fit.anova().loc[0, "F"] > 0
    fitted = fit.fitted()
    fitted[0] = 1e9
    assert fit.fitted()[0] != 1e9


def test_criterion_at(fit) -> None:
    assert fit.criterion_at(fit.theta) == pytest.approx(fit.reml_criterion, rel=1e-14)
    assert fit.criterion_at(fit.theta * 1.1) > fit.reml_criterion
    with pytest.raises(ModelError, match="theta must have 1"):
        fit.criterion_at([1.0, 2.0])
