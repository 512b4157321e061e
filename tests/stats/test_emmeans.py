"""Marginal means and contrasts: emmeans' grid, labels and adjustments.

External truths used here: in a balanced complete design the marginal means are the raw wave
means and a pairwise contrast has SE ``sqrt(2 MS_error / G)`` with ``(G - 1)(T - 1)`` df (the
split-plot ANOVA); labels and default adjustments are emmeans 1.8.4's (``pairs()`` gives
``"T1 - T2"`` with Tukey, ``contrast(, "trt.vs.ctrl")`` gives ``"T2 - T1"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from linkwork.errors import ModelError
from linkwork.stats import lmer


def balanced(n_id: int = 20, seed: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n_id), 3)
    df = pd.DataFrame({"id": ids, "wave": ["T1", "T2", "T3"] * n_id})
    df["arm"] = np.where(ids < n_id // 2, "A", "B b")
    df["age"] = np.repeat(rng.normal(50, 8, n_id), 3)
    df["y"] = rng.normal(size=ids.size) + 2 * rng.normal(size=n_id)[ids] + (df.wave == "T3")
    return df


def test_balanced_means_and_contrasts_are_classical() -> None:
    df = balanced()
    fit = lmer("y ~ wave + (1 | id)", df)
    emm = fit.emmeans("wave")
    assert list(emm.columns) == ["wave", "emmean", "std_error", "df", "conf_low", "conf_high"]
    assert list(emm["wave"]) == ["T1", "T2", "T3"]
    np.testing.assert_allclose(emm["emmean"], df.groupby("wave")["y"].mean(), rtol=1e-10)
    half = stats.t.ppf(0.975, emm["df"]) * emm["std_error"]
    np.testing.assert_allclose(emm["conf_high"] - emm["emmean"], half)

    y = df["y"].to_numpy().reshape(20, 3)
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0) + y.mean()
    ms_error = np.sum(resid**2) / (19 * 2)
    pairs = fit.contrasts("wave")
    assert list(pairs["contrast"]) == ["T1 - T2", "T1 - T3", "T2 - T3"]
    m = y.mean(axis=0)
    np.testing.assert_allclose(pairs["estimate"], [m[0] - m[1], m[0] - m[2], m[1] - m[2]])
    np.testing.assert_allclose(pairs["std_error"], np.sqrt(2 * ms_error / 20), rtol=1e-8)
    np.testing.assert_allclose(pairs["df"], 38, rtol=1e-6)


def test_adjustments() -> None:
    fit = lmer("y ~ wave + (1 | id)", balanced())
    tukey = fit.contrasts("wave")  # default for pairwise: Tukey
    q = np.abs(tukey["statistic"]) * np.sqrt(2)
    expected = [stats.studentized_range.sf(qi, 3, d) for qi, d in zip(q, tukey["df"], strict=True)]
    np.testing.assert_allclose(tukey["p_adjusted"], expected, rtol=1e-8)
    assert np.all(tukey["p_adjusted"] >= tukey["p_value"])
    bonf = fit.contrasts("wave", adjust="bonferroni")
    np.testing.assert_allclose(bonf["p_adjusted"], np.minimum(1, 3 * bonf["p_value"]))
    none = fit.contrasts("wave", adjust="none")
    np.testing.assert_allclose(none["p_adjusted"], none["p_value"])

    ctrl = fit.contrasts("wave", method="trt.vs.ctrl")  # our default there: Holm
    assert list(ctrl["contrast"]) == ["T2 - T1", "T3 - T1"]
    p = ctrl["p_value"].to_numpy()
    order = np.argsort(p)
    holm = np.empty(2)
    holm[order[0]] = min(1, 2 * p[order[0]])
    holm[order[1]] = min(1, max(holm[order[0]], p[order[1]]))
    np.testing.assert_allclose(ctrl["p_adjusted"], holm)
    sidak = fit.contrasts("wave", method="trt.vs.ctrl", adjust="tukey")  # emmeans: -> sidak
    np.testing.assert_allclose(sidak["p_adjusted"], 1 - (1 - sidak["p_value"]) ** 2)


def test_two_factor_spec_labels_and_order() -> None:
    fit = lmer("y ~ wave * arm + (1 | id)", balanced())
    emm = fit.emmeans(["wave", "arm"])
    assert list(zip(emm["wave"], emm["arm"], strict=True)) == [
        ("T1", "A"),
        ("T2", "A"),
        ("T3", "A"),
        ("T1", "B b"),
        ("T2", "B b"),
        ("T3", "B b"),
    ]
    pairs = fit.contrasts(["wave", "arm"])
    assert len(pairs) == 15
    assert pairs["contrast"].iloc[0] == "T1 A - T2 A"
    assert pairs["contrast"].iloc[2] == "T1 A - T1 B b"


def test_other_factors_averaged_and_covariates_at_mean() -> None:
    df = balanced()
    fit = lmer("y ~ wave + arm + age + (1 | id)", df)
    b = fit.fixef
    emm = fit.emmeans("wave").set_index("wave")
    expected = b["(Intercept)"] + b["waveT2"] + 0.5 * b["armB b"] + b["age"] * df["age"].mean()
    assert emm.loc["T2", "emmean"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"spec": "age"}, "not a factor of the fixed part"),
        ({"spec": "nope"}, "not a factor"),
        ({"spec": "wave", "method": "poly"}, "contrast method"),
        ({"spec": "wave", "adjust": "magic"}, "adjustment"),
    ],
)
def test_errors(kwargs: dict[str, str], match: str) -> None:
    fit = lmer("y ~ wave + age + (1 | id)", balanced())
    with pytest.raises(ModelError, match=match):
        fit.contrasts(**kwargs)


def test_tukey_p_matches_r_ptukey() -> None:
    from linkwork.stats.emmeans import _tukey

    # R 4.2.2: ptukey(3.2, 3, c(10, 76.3, 99999), lower.tail = FALSE); R treats df > 25000
    # as infinite
    t = np.full(3, 3.2 / np.sqrt(2))
    p = _tukey(t, np.array([10.0, 76.3, 99999.0]), 3)
    np.testing.assert_allclose(
        p, [0.1081918706628161, 0.0673541192116273, 0.0611600014593288], rtol=1e-8
    )
