"""Hypothesis matrices of lmerTest's anova, and the likelihood-ratio table.

Expected matrices are lmerTest 3.1-3's ``show_tests(anova(fit))`` for the data below (printed
by Rscript; the data are written out here so the test needs no R).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from linkwork.stats import lmer
from linkwork.stats.anova import doolittle, lrt_table, type1_contrasts, type3_contrasts, zapsmall
from linkwork.stats.design import build_design
from linkwork.stats.formula import parse_formula

# R: d <- data.frame(id = rep(1:8, each = 3), wave = rep(c("T1","T2","T3"), 8)); arm by
# parity of id; age per id; rows 3, 5, 9, 14 removed (1-based).
AGES = [30, 41, 35, 52, 60, 47, 38, 55]


def data() -> pd.DataFrame:
    ids = np.repeat(np.arange(1, 9), 3)
    df = pd.DataFrame(
        {
            "id": ids,
            "wave": ["T1", "T2", "T3"] * 8,
            "arm": np.where(ids % 2 == 0, "A", "B"),
            "age": np.repeat(AGES, 3).astype(float),
            "y": np.linspace(0.0, 1.0, 24) ** 2,
        }
    )
    return df.drop(index=[2, 4, 8, 13]).reset_index(drop=True)


def design(text: str):
    return build_design(parse_formula(text), data())


def test_zapsmall_as_r() -> None:
    # R: zapsmall(c(1, 1e-12, 0.123456789)) -> 1.0000000 0.0000000 0.1234568
    np.testing.assert_array_equal(
        zapsmall(np.array([1.0, 1e-12, 0.123456789])), [1.0, 0.0, 0.1234568]
    )
    # R: zapsmall(c(1234.5678, 0.001)) -> 1234.568 0.001
    np.testing.assert_array_equal(zapsmall(np.array([1234.5678, 0.001])), [1234.568, 0.001])
    assert zapsmall(np.zeros(0)).size == 0


def test_doolittle_is_the_unit_lower_ldl_factor() -> None:
    rng = np.random.default_rng(1)
    M = rng.normal(size=(6, 4))
    S = M.T @ M
    L, U = doolittle(S)
    np.testing.assert_allclose(np.diag(L), 1.0)
    np.testing.assert_allclose(np.triu(L, 1), 0.0)
    np.testing.assert_allclose(L @ U, S, rtol=1e-12, atol=1e-12)
    # U = D L' for a symmetric matrix
    np.testing.assert_allclose(U, np.diag(np.diag(U)) @ L.T, rtol=1e-10, atol=1e-10)


def test_single_term_uses_type1_doolittle_rows_as_lmertest() -> None:
    L = type3_contrasts(design("y ~ wave + (1 | id)"))
    expected = np.array([[0.0, 1.0, -0.428571428571428], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(L["wave"], expected, rtol=1e-12)
    assert type1_contrasts(design("y ~ wave + (1 | id)")).keys() == {"wave"}


def test_type3_with_a_covariate_interaction_as_lmertest() -> None:
    L = type3_contrasts(design("y ~ wave * age + arm + (1 | id)"))
    assert list(L) == ["wave", "age", "arm", "wave:age"]
    # columns: (Intercept) waveT2 waveT3 age armB waveT2:age waveT3:age
    np.testing.assert_allclose(L["wave"], np.eye(7)[[1, 2]])
    np.testing.assert_allclose(L["age"], [[0, 0, 0, 1, 0, 1 / 3, 1 / 3]], rtol=1e-7)
    np.testing.assert_allclose(L["arm"], np.eye(7)[[4]])
    np.testing.assert_allclose(L["wave:age"], np.eye(7)[[5, 6]])


def test_type3_with_a_factor_interaction_as_lmertest() -> None:
    L = type3_contrasts(design("y ~ wave * arm + (1 | id)"))
    # columns: (Intercept) waveT2 waveT3 armB waveT2:armB waveT3:armB
    np.testing.assert_allclose(L["wave"], [[0, 1, 0, 0, 0.5, 0], [0, 0, 1, 0, 0, 0.5]])
    np.testing.assert_allclose(L["arm"], [[0, 0, 0, 1, 1 / 3, 1 / 3]], rtol=1e-7)
    np.testing.assert_allclose(L["wave:arm"], np.eye(6)[[4, 5]])


def test_anova_table_columns_and_consistency() -> None:
    fit = lmer("y ~ wave * arm + (1 | id)", data())
    table = fit.anova()
    assert list(table.columns) == ["term", "sum_sq", "mean_sq", "num_df", "den_df", "F", "p_value"]
    assert list(table["term"]) == ["wave", "arm", "wave:arm"]
    np.testing.assert_allclose(table["sum_sq"], table["mean_sq"] * table["num_df"])
    np.testing.assert_allclose(table["mean_sq"], table["F"] * fit.sigma**2)
    np.testing.assert_allclose(
        table["p_value"], stats.f.sf(table["F"], table["num_df"], table["den_df"])
    )
    assert lmer("y ~ 1 + (1 | id)", data()).anova().empty


def test_lrt_table_as_lme4() -> None:
    table = lrt_table(["big", "small"], [6, 4], [-10.0, -12.5], [20, 20])
    assert list(table["model"]) == ["small", "big"]
    assert list(table["npar"]) == [4, 6]
    np.testing.assert_allclose(table["deviance"], [25.0, 20.0])
    np.testing.assert_allclose(table["aic"], [25.0 + 8, 20.0 + 12])
    np.testing.assert_allclose(table["bic"], [25.0 + 4 * np.log(20), 20.0 + 6 * np.log(20)])
    assert np.isnan(table["chisq"][0])
    assert table["chisq"][1] == pytest.approx(5.0)
    assert table["df"][1] == 2
    assert table["p_value"][1] == pytest.approx(stats.chi2.sf(5.0, 2))


def test_lrt_refits_reml_models_by_ml() -> None:
    df = data()
    m0 = lmer("y ~ 1 + (1 | id)", df)
    m1 = lmer("y ~ wave + (1 | id)", df)
    table = m1.anova(m0)
    ml0 = lmer("y ~ 1 + (1 | id)", df, REML=False)
    ml1 = lmer("y ~ wave + (1 | id)", df, REML=False)
    np.testing.assert_allclose(table["loglik"], [ml0.loglik, ml1.loglik], rtol=1e-10)
    assert table["chisq"][1] == pytest.approx(2 * (ml1.loglik - ml0.loglik), rel=1e-8)
