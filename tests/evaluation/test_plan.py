"""The analysis plan: the default is the study's design; bad plans are clear errors."""

from __future__ import annotations

import re

import pytest

from linkwork.errors import PlanError
from linkwork.evaluation.plan import Plan, default_plan, default_plan_text, load_plan


def _error(text: str) -> PlanError:
    with pytest.raises(PlanError) as info:
        Plan.from_toml(text, file="plan.toml")
    return info.value


def _line_of(text: str, pattern: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if re.search(pattern, line):
            return number
    raise AssertionError(pattern)


def test_default_plan_is_the_study_design():
    # study.md: waves T1 (baseline), T2 (8 weeks), T3 (18 months); loneliness (single item and
    # ULS-8), K6, WEMWBS, trust and self-rated health as outcomes; groups by rank tests;
    # relationship measures at T1 and T2; Holm; d by the baseline SD; suppression 1-7, round 5.
    plan = default_plan()
    assert plan.waves == ("T1", "T2", "T3")
    assert plan.baseline == "T1"
    assert {o.name for o in plan.outcomes} == {
        "ons_loneliness",
        "uls8",
        "k6",
        "wemwbs",
        "trust",
        "srh",
    }
    directions = {o.name: o.direction for o in plan.outcomes}
    assert (
        directions["uls8"] == directions["k6"] == directions["ons_loneliness"] == "higher is worse"
    )
    assert directions["wemwbs"] == directions["srh"] == directions["trust"] == "higher is better"
    assert plan.groups is not None
    assert plan.groups.name == "groups"
    assert {p.name: p.waves for p in plan.predictors} == {
        "lw_relationship": ("T1", "T2"),
        "facilitator_belonging": ("T1", "T2"),
    }
    assert plan.adjust == "holm"
    assert plan.effect_size == "baseline-sd"
    assert (plan.disclosure.suppress, plan.disclosure.threshold, plan.disclosure.rounding) == (
        True,
        7,
        5,
    )
    assert plan.methods == ("pearson", "spearman")
    assert plan.targets == ("last wave", "change")


def test_default_plan_text_has_comments_and_parses():
    text = default_plan_text()
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) > 30
    assert Plan.from_toml(text) == default_plan()


def test_to_toml_round_trips_a_changed_plan():
    text = (
        default_plan_text()
        .replace("alpha = 0.05", "alpha = 0.01")
        .replace("threshold = 7", "threshold = 10")
    )
    plan = Plan.from_toml(text)
    assert plan.alpha == 0.01
    assert plan.disclosure.threshold == 10
    assert Plan.from_toml(plan.to_toml()) == plan


def test_keys_may_be_left_out():
    plan = Plan.from_toml('[[outcomes]]\nname = "k6"\ninstrument = "k6"\n')
    assert plan.waves == ()
    assert plan.alpha == 0.05
    assert plan.adjust == "holm"
    # direction and title default to the instrument's declaration (K6: higher = worse)
    assert plan.outcomes[0].direction == "higher is worse"
    assert plan.outcomes[0].title != ""


@pytest.mark.parametrize(
    ("edit", "key", "pattern"),
    [
        (('adjust = "holm"', 'adjst = "holm"'), "analysis.adjst", r"^adjst ="),
        (("[analysis]", "[analysis]\nconfidence = 0.9"), "analysis.confidence", r"^confidence"),
        (("[waves]", "[wave]"), "wave", None),
        (('title = "Loneliness (ULS-8)"', 'titel = "x"'), "outcomes[1].titel", r"^titel"),
        (('waves = ["T1", "T2"]', 'wave = ["T1"]'), "relationships.predictors[0].wave", r"^wave ="),
    ],
)
def test_unknown_keys_name_the_key_file_and_line(edit, key, pattern):
    text = default_plan_text().replace(*edit, 1)
    error = _error(text)
    message = str(error)
    assert repr(key) in message
    assert "unknown key" in message
    assert "plan.toml" in message
    if pattern is not None:
        assert f"line {_line_of(text, pattern)}" in message


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("alpha = 0.05", "alpha = 1.5"), "analysis.alpha"),
        (("alpha = 0.05", "alpha = 0"), "analysis.alpha"),
        (("alpha = 0.05", 'alpha = "5%"'), "analysis.alpha"),
        (('adjust = "holm"', 'adjust = "tukey"'), "analysis.adjust"),
        (("completers = true", 'completers = "yes"'), "analysis.completers"),
        (("threshold = 7", "threshold = -1"), "disclosure.threshold"),
        (("threshold = 7", "threshold = 2.5"), "disclosure.threshold"),
        (("rounding = 5", "rounding = 0"), "disclosure.rounding"),
        (("suppress = true", "suppress = 1"), "disclosure.suppress"),
        (('definition = "baseline-sd"', 'definition = "hedges"'), "effect_size.definition"),
        (('baseline = "T1"', 'baseline = "T0"'), "waves.baseline"),
        (('order = ["T1", "T2", "T3"]', 'order = ["T1", "T1"]'), "waves.order"),
        (('T3 = "18 months"', 'T9 = "18 months"'), "waves.labels.T9"),
        (('waves = ["T1", "T2"]', 'waves = ["T1", "T5"]'), "relationships.predictors[0].waves"),
        (('methods = ["pearson", "spearman"]', 'methods = ["kendall"]'), "relationships.methods"),
        (('targets = ["last wave", "change"]', 'targets = ["T3"]'), "relationships.targets"),
        (('pairs = "available"', 'pairs = "all"'), "groups.pairs"),
        (('direction = "higher is worse"', 'direction = "lower"'), "outcomes[0].direction"),
        (('instrument = "uls8"', 'instrument = "uls9"'), "outcomes[1].instrument"),
        (('name = "k6"', 'name = "k 6"'), "outcomes[2].name"),
        (('name = "k6"', 'name = "uls8"'), "outcomes"),
        (("covariates = []", 'covariates = "age"'), "design.covariates"),
        (("covariates = []", 'covariates = ["wave"]'), "design.covariates"),
    ],
)
def test_impossible_values_name_the_key(edit, key):
    text = default_plan_text()
    assert edit[0] in text
    error = _error(text.replace(*edit, 1))
    assert repr(key) in str(error)
    assert "plan.toml" in str(error)


def test_not_toml_is_a_plan_error():
    error = _error("[waves\norder = 1")
    assert "not valid TOML" in str(error)


def test_load_plan_names_the_file(tmp_path):
    path = tmp_path / "my-plan.toml"
    path.write_text(default_plan_text().replace("rounding = 5", "rounding = -5"), "utf-8")
    with pytest.raises(PlanError, match=r"my-plan\.toml") as info:
        load_plan(path)
    assert "disclosure.rounding" in str(info.value)
    with pytest.raises(PlanError, match="cannot read"):
        load_plan(tmp_path / "absent.toml")


def test_load_plan_records_its_source(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(default_plan_text(), "utf-8")
    plan = load_plan(path)
    assert plan == default_plan()
    assert plan.source == str(path)
