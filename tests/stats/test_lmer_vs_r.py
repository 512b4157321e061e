"""linkwork.stats.lmer against stored lme4 1.1-31 / lmerTest 3.1-3 / emmeans 1.8.4 results.

The reference (tests/reference/results/*.json) was written by tests/reference/make_reference.R
from the committed CSVs of tests/reference/make_designs.py and lme4's sleepstudy; see
tests/reference/README.md. Each design is a test id. R fitted every design twice: with lme4's
default optimiser settings (the fit R users see) and with the same optimiser at tight
tolerances (the optimum of lme4's own deviance function). Everything is compared with the tight
fit at the tolerances listed in tests/reference/lmm_compare.py; variance components are also
compared with the default fit, with the tolerance widened by lme4's recorded optimiser gap.
A failure lists every differing quantity and term with both values.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from tests.reference import lmm_checks as C

MANIFEST: dict[str, dict[str, Any]] = C.load_manifest()
DESIGNS = sorted(MANIFEST)
EMMEANS = [(d, i) for d in DESIGNS for i in range(len(MANIFEST[d]["emmeans"]))]
LRTS = [(d, i) for d in DESIGNS for i in range(len(MANIFEST[d]["lrt"]))]
EXPECTED_VERSIONS = {"R": "4.2.2", "lme4": "1.1.31", "lmerTest": "3.1.3"}


@functools.cache
def _result(name: str) -> dict[str, Any]:
    return C.load_result(name)


@functools.cache
def _data(name: str) -> Any:
    return C.read_design_data(MANIFEST[name])


@functools.cache
def _fit(name: str, formula: str | None = None) -> Any:
    from linkwork.stats import lmer

    entry = MANIFEST[name]
    return lmer(formula or entry["formula"], _data(name), REML=entry["reml"])


# ---------------------------------------------------------------------------------------------
# The reference itself (no engine needed)


@pytest.mark.parametrize("name", DESIGNS)
def test_reference_is_complete_and_same_data(name: str) -> None:
    """R parsed exactly the doubles pandas parses, and the stored record is usable."""
    result = _result(name)
    assert result["formula"] == MANIFEST[name]["formula"]
    assert result["reml"] == MANIFEST[name]["reml"]
    assert C.data_md5(_data(name)) == result["data"]["md5"], "R and pandas read different data"
    for key, version in EXPECTED_VERSIONS.items():
        assert result["versions"][key] == version
    assert result["versions"]["emmeans"].startswith("1.8.4")
    # The tight optimum is at least as good as lme4's default one (else the slack is wrong).
    points = {p["label"]: p["value"] for p in result["devfun"]}
    assert points["tight"] <= points["default"] + 1e-9 * abs(points["default"])
    assert points["tight x 0.8"] > points["tight"]
    assert points["tight x 1.25"] > points["tight"]
    assert len(result["tight"]["emmeans"]) == len(MANIFEST[name]["emmeans"])


def test_reference_covers_the_required_designs() -> None:
    formulas = {MANIFEST[d]["formula"] for d in DESIGNS}
    assert len(DESIGNS) >= 20
    assert "Reaction ~ Days + (Days | Subject)" in formulas
    assert "Reaction ~ Days + (1 | Subject)" in formulas
    assert "Reaction ~ Days + (Days || Subject)" in formulas
    assert any("||" in f and "Days" not in f for f in formulas)
    assert any("site/id" in f for f in formulas)
    assert any("wave * arm" in f for f in formulas)
    assert any(_result(d)["tight"]["singular"] for d in DESIGNS)
    assert any(_result(d)["tight"]["n_excluded"] > 0 for d in DESIGNS)
    assert any(not MANIFEST[d]["reml"] for d in DESIGNS)
    assert max(_result(d)["tight"]["ngroups"].get("id", 0) for d in DESIGNS) >= 5000


# ---------------------------------------------------------------------------------------------
# The engine against R


@pytest.mark.parametrize("name", DESIGNS)
def test_fit_matches_lme4_lmertest(name: str) -> None:
    """Fixed effects, vcov, variance components, likelihood, summary table, Type III anova,
    conditional modes and fitted values at the optimum of lme4's deviance function."""
    cmp = C.Comparison(name, "vs tight lme4 fit")
    C.compare_fit(cmp, _fit(name), _result(name)["tight"])
    cmp.check()


@pytest.mark.parametrize("name", DESIGNS)
def test_variance_components_match_lme4_default_fit(name: str) -> None:
    """What an R user sees: lme4's default fit, within its own optimiser tolerance."""
    result = _result(name)
    slack = C.default_slack(result)
    cmp = C.Comparison(name, f"vs default lme4 fit (varcomp slack {slack:.2g})")
    C.compare_varcomp(cmp, _fit(name), result["default"], slack=slack)
    cmp.close("loglik", "", _fit(name).loglik, result["default"]["loglik"], C.Tol(C.FIXED))
    cmp.check()


@pytest.mark.parametrize("name", DESIGNS)
def test_criterion_matches_lme4_devfun(name: str) -> None:
    """The likelihood itself, independent of either optimiser's tolerance."""
    cmp = C.Comparison(name, "criterion vs lme4 devFunOnly")
    C.compare_criterion(cmp, _fit(name), _result(name))
    cmp.check()


@pytest.mark.parametrize("name", DESIGNS)
def test_criterion_at_same_theta_matches_lme4_devfun(name: str) -> None:
    """lme4's devFunOnly at its default and tight optima and two points away from them."""
    cmp = C.Comparison(name, "criterion at lme4's theta")
    C.compare_criterion_at(cmp, _fit(name), _result(name))
    cmp.check()


@pytest.mark.parametrize(("name", "index"), EMMEANS, ids=[f"{d}-{i}" for d, i in EMMEANS])
def test_emmeans_and_contrasts_match_emmeans(name: str, index: int) -> None:
    emm = _result(name)["tight"]["emmeans"][index]
    cmp = C.Comparison(name, f"emmeans {emm['spec']}")
    C.compare_emmeans(cmp, _fit(name), emm)
    cmp.check()


@pytest.mark.parametrize(("name", "index"), LRTS, ids=[f"{d}-{i}" for d, i in LRTS])
def test_likelihood_ratio_test_matches_anova(name: str, index: int) -> None:
    """anova(m0, m1): both refitted by ML, compared with R's ML fits at the tight optimum."""
    rec = _result(name)["lrt"][index]
    m0 = _fit(name, rec["m0"])
    m1 = _fit(name, rec["m1"])
    cmp = C.Comparison(name, f"LRT {rec['m0']} vs {rec['m1']}")
    C.compare_lrt(cmp, m1.anova(m0), rec["tight"], "lrt")
    cmp.check()
