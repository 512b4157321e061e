"""Satterthwaite df: lmerTest's combination rule, and exact split-plot df in balanced designs.

In a balanced, complete split-plot design (participants nested in arms, all waves observed)
the Satterthwaite df are the classical ANOVA error df whenever the variance estimates are
interior: between-participant contrasts ``G - a`` and within-participant contrasts
``(G - a)(T - 1)`` for G participants, a arms and T waves (lmerTest reproduces these; see
Kuznetsova et al. 2017, JSS 82(13), section 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkwork.stats import lmer
from linkwork.stats.satterthwaite import fstat_ddf


def split_plot(n_id: int = 24, seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    waves = ["T1", "T2", "T3"]
    ids = np.repeat(np.arange(n_id), 3)
    df = pd.DataFrame(
        {
            "id": ids,
            "wave": waves * n_id,
            "arm": np.where(ids % 2 == 0, "A", "B"),
        }
    )
    df["y"] = (
        rng.normal(size=3 * n_id) + 2.0 * rng.normal(size=n_id)[ids] + (df["wave"] == "T3") * 0.5
    )
    return df


def test_fstat_ddf_rules() -> None:
    assert fstat_ddf(np.array([7.5])) == 7.5
    assert fstat_ddf(np.array([10.0, 10.0 + 1e-9])) == pytest.approx(10.0)
    assert fstat_ddf(np.array([1.5, 40.0])) == 2.0
    nu = np.array([10.0, 20.0, 30.0])
    e = np.sum(nu / (nu - 2))
    assert fstat_ddf(nu) == pytest.approx(2 * e / (e - 3))


def test_balanced_split_plot_df_are_classical() -> None:
    fit = lmer("y ~ wave * arm + (1 | id)", split_plot())
    assert not fit.singular
    df = dict(zip(fit.tidy()["term"], fit.tidy()["df"], strict=True))
    within, between = (24 - 2) * 2, 24 - 2
    for term in ("waveT2", "waveT3", "waveT2:armB", "waveT3:armB"):
        assert df[term] == pytest.approx(within, rel=1e-6)
    # armB (arms at T1) mixes both strata; the Type III arm test averages over waves and is
    # a pure between-participant contrast.
    assert between < df["armB"] < within
    anova = fit.anova().set_index("term")
    assert anova.loc["wave", "den_df"] == pytest.approx(within, rel=1e-6)
    assert anova.loc["arm", "den_df"] == pytest.approx(between, rel=1e-6)
    assert anova.loc["wave:arm", "den_df"] == pytest.approx(within, rel=1e-6)
    assert list(anova["num_df"]) == [2, 1, 2]


def test_balanced_f_equals_classical_anova() -> None:
    # With a balanced complete design, the Type III F for wave equals the split-plot ANOVA
    # F = MS_wave / MS_error(within) computed from sums of squares.
    df = split_plot(30, seed=2)
    fit = lmer("y ~ wave + (1 | id)", df)
    y = df["y"].to_numpy().reshape(30, 3)
    grand = y.mean()
    ss_wave = 30 * np.sum((y.mean(axis=0) - grand) ** 2)
    ss_id = 3 * np.sum((y.mean(axis=1) - grand) ** 2)
    ss_err = np.sum((y - grand) ** 2) - ss_wave - ss_id
    f = (ss_wave / 2) / (ss_err / (29 * 2))
    row = fit.anova().iloc[0]
    assert row["F"] == pytest.approx(f, rel=1e-8)
    assert row["den_df"] == pytest.approx(58, rel=1e-6)
    assert row["sum_sq"] == pytest.approx(ss_wave, rel=1e-8)


def test_contrast_test_is_invariant_to_scaling() -> None:
    fit = lmer("y ~ wave + (1 | id)", split_plot())
    sat = fit.model.est.satterthwaite
    a, b = sat.test1([0, 1, 0]), sat.test1([0, 3, 0])
    assert a.df == pytest.approx(b.df, rel=1e-12)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)
    f = sat.test(np.array([[0, 1.0, 0], [0, 0, 1.0]]))
    g = sat.test(np.array([[0, 2.0, 0], [0, 1.0, 1.0]]))
    np.testing.assert_allclose(f.F, g.F, rtol=1e-10)
    assert f.num_df == 2
