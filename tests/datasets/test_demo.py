"""The shipped demo cohort: calibration to the published 18-month study, and no drift.

Targets come from the study abstract (Sharman et al. 2025; /work/shared/reference/study.md,
"Demo cohort targets"); scores come from linkwork.instruments, so the calibration holds for the
scores users will compute. "Large" follows Cohen (|d| >= 0.8), "moderate-to-large" 0.5-0.85.
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from linkwork.datasets import DEMO_PARAMETERS, demo_cohort, simulate_cohort
from linkwork.datasets.demo import DEMO_PATH, demo_cohort_text, write_demo_cohort

WAVES = ["T1", "T2", "T3"]
ITEMS = {
    "ons_loneliness": (1, 1, 5),
    "uls8": (8, 1, 4),
    "k6": (6, 0, 4),
    "wemwbs": (14, 1, 5),
    "srh": (1, 1, 5),
    "trust": (1, 0, 10),
    "groups": (1, 0, None),
    "lw_relationship": (5, 1, 7),
    "facilitator_belonging": (4, 1, 7),
}


def test_shipped_file_equals_regenerated_cohort(demo):
    assert DEMO_PATH.read_text(encoding="utf-8") == demo_cohort_text()
    pd.testing.assert_frame_equal(demo, simulate_cohort(**DEMO_PARAMETERS))


def test_shipped_file_is_valid_long_format_for_linkwork_read(demo):
    import linkwork

    pd.testing.assert_frame_equal(linkwork.read(DEMO_PATH), demo)


def test_write_demo_cohort_elsewhere_round_trips(tmp_path):
    path = write_demo_cohort(tmp_path / "copy.csv")
    assert path.read_text(encoding="utf-8") == DEMO_PATH.read_text(encoding="utf-8")


def test_demo_cohort_returns_a_fresh_frame_each_call(demo):
    first = demo_cohort()
    first.loc[0, "age"] = -1
    assert demo_cohort().loc[0, "age"] == demo.loc[0, "age"] != -1


def test_columns_and_dtypes_follow_the_contract(demo):
    items = [f"{name}_{k}" for name, (n, _, _) in ITEMS.items() for k in range(1, n + 1)]
    keys = ["participant_id", "wave", "date", "site", "link_worker", "age", "gender"]
    assert list(demo.columns) == keys + items
    assert isinstance(demo["wave"].dtype, pd.CategoricalDtype)
    assert demo["wave"].cat.ordered
    assert list(demo["wave"].cat.categories) == WAVES
    assert demo["date"].dtype == "datetime64[ns]"
    assert demo["age"].dtype == "int64"
    assert all(demo[c].dtype == "Int64" for c in items)
    assert all(pd.api.types.is_string_dtype(demo[c]) for c in ["participant_id", "site"])


def test_item_responses_are_whole_numbers_in_range(demo):
    for name, (n, low, high) in ITEMS.items():
        values = demo[[f"{name}_{k}" for k in range(1, n + 1)]].stack().dropna().astype(int)
        assert values.min() >= low, name
        if high is not None:
            assert values.max() <= high, name
        assert values.nunique() >= 3, name  # responses actually vary


def test_sample_sizes_and_monotone_dropout(demo):
    counts = demo.groupby("wave", observed=True)["participant_id"].nunique()
    assert counts.tolist() == [64, 50, 30]
    assert not demo.duplicated(["participant_id", "wave"]).any()
    waves_per_person = demo.groupby("participant_id")["wave"].apply(lambda w: list(w.astype(str)))
    assert all(w == WAVES[: len(w)] for w in waves_per_person)


def test_ids_are_pseudonymous_codes(demo):
    ids = demo["participant_id"].drop_duplicates()
    assert len(ids) == 64
    assert all(re.fullmatch(r"P[0-9A-F]{5}", i) for i in ids)
    # Random, not a running number in disguise: the codes do not rise with enrolment order.
    ranks = ids.map(lambda i: int(i[1:], 16))
    assert abs(stats.spearmanr(np.arange(len(ranks)), ranks)[0]) < 0.5


def test_participant_level_columns_are_constant_and_nested(demo):
    per_person = demo.groupby("participant_id")[["age", "gender", "site", "link_worker"]]
    assert (per_person.nunique() == 1).all().all()
    assert demo["site"].nunique() == 5
    sites_per_worker = demo.groupby("link_worker")["site"].nunique()
    assert (sites_per_worker == 1).all()  # link workers are nested in sites
    assert (demo.groupby("site")["link_worker"].nunique() >= 2).all()


def test_mean_age_matches_the_study(demo):
    ages = demo.drop_duplicates("participant_id")["age"]
    assert ages.mean() == pytest.approx(53.59, abs=0.5)
    assert ages.min() >= 18


def test_dates_enrolment_2021_2022_then_8_weeks_and_18_months(demo):
    dates = demo.pivot(index="participant_id", columns="wave", values="date")
    assert dates["T1"].dt.year.between(2021, 2022).all()
    to_t2 = (dates["T2"] - dates["T1"]).dt.days.dropna()
    to_t3 = (dates["T3"] - dates["T1"]).dt.days.dropna()
    assert to_t2.between(56 - 7, 56 + 7).all()
    assert to_t3.between(548 - 10, 548 + 10).all()
    assert to_t2.nunique() > 1  # jittered, not a fixed offset


def test_meaningful_groups_medians_2_3_3(demo_scores):
    medians = demo_scores.groupby("wave", observed=True)["groups"].median()
    assert medians.tolist() == [2, 3, 3]


@pytest.mark.parametrize("outcome", ["ons_loneliness", "uls8"])
@pytest.mark.parametrize("wave", ["T2", "T3"])
def test_loneliness_falls_with_a_large_effect(demo_scores, measure, outcome, wave):
    assert measure.d(demo_scores, outcome, wave) <= -0.8


def test_distress_falls_moderately_to_largely_by_t3(demo_scores, measure):
    d = measure.d(demo_scores, "k6", "T3")
    assert -0.85 <= d <= -0.5
    table = measure.wide(demo_scores, "k6")[["T1", "T3"]].dropna()
    assert stats.wilcoxon(table["T1"], table["T3"]).pvalue < 0.05


def test_self_rated_health_improves(demo_scores, measure):
    assert measure.d(demo_scores, "srh", "T3") > 0.25
    table = measure.wide(demo_scores, "srh")[["T1", "T3"]].dropna()
    assert stats.wilcoxon(table["T1"], table["T3"]).pvalue < 0.05


@pytest.mark.parametrize("outcome", ["wemwbs", "trust"])
@pytest.mark.parametrize("wave", ["T2", "T3"])
def test_wellbeing_and_trust_change_little(demo_scores, measure, outcome, wave):
    assert abs(measure.d(demo_scores, outcome, wave)) < 0.2
    table = measure.wide(demo_scores, outcome)[["T1", wave]].dropna()
    assert stats.wilcoxon(table["T1"], table[wave]).pvalue > 0.05


@pytest.mark.parametrize("scale", ["lw_relationship", "facilitator_belonging"])
@pytest.mark.parametrize("outcome", ["ons_loneliness", "uls8", "k6"])
def test_relationship_at_t2_goes_with_improvement_at_t1_not(demo_scores, measure, scale, outcome):
    table = measure.wide(demo_scores, outcome)
    improvement = table["T1"] - table["T3"]  # positive = less lonely / distressed at 18 months
    relation = measure.wide(demo_scores, scale)
    assert 0.3 <= measure.r(relation["T2"], improvement) <= 0.55
    assert abs(measure.r(relation["T1"], improvement)) < 0.15


def test_relationship_scales_not_measured_at_t3(demo):
    t3 = demo[demo["wave"] == "T3"]
    columns = [c for c in demo.columns if c.startswith(("lw_relationship", "facilitator_"))]
    assert t3[columns].isna().all().all()
    assert demo.loc[demo["wave"] != "T3", columns].notna().mean().min() == 1.0


def test_dropout_depends_on_baseline_distress(demo_scores, measure):
    # Non-completers (no T3 visit) were lonelier and more distressed at baseline: not MCAR.
    at_t3 = demo_scores.loc[demo_scores["wave"] == "T3", "participant_id"]
    for outcome in ["k6", "uls8"]:
        table = measure.wide(demo_scores, outcome)
        completer = table.index.isin(at_t3)
        baseline = table["T1"]
        smd = (baseline[~completer].mean() - baseline[completer].mean()) / baseline.std()
        assert smd > 0.2, outcome


def test_some_items_missing_and_k6_rule_exercised(demo, demo_scores):
    k6_missing = demo[[f"k6_{k}" for k in range(1, 7)]].isna().sum(axis=1)
    assert (k6_missing == 1).sum() >= 2
    # The official K6 rule prorates a score with exactly one item missing.
    assert demo_scores.loc[k6_missing == 1, "k6"].notna().all()
    assert demo[[f"uls8_{k}" for k in range(1, 9)]].isna().sum().sum() >= 2
    outcome_items = [c for c in demo.columns if c.startswith(tuple(ITEMS)[:7])]
    assert demo[outcome_items].isna().mean().mean() < 0.01  # a few, not many


R_ANOVA = """
suppressMessages({library(lme4); library(lmerTest)})
d <- read.csv(commandArgs(TRUE)[1])
d$wave <- factor(d$wave, levels = c("T1", "T2", "T3"))
for (o in commandArgs(TRUE)[-1]) {
  fit <- lmer(as.formula(paste(o, "~ wave + (1 | participant_id)")), data = d, REML = TRUE)
  cat(o, anova(fit)[["Pr(>F)"]], "\\n")
}
"""


@pytest.mark.r
def test_wave_effects_in_lmertest_as_published(demo_scores, rscript, tmp_path):
    # The study's model: score ~ wave + (1 | participant), Type III F test (Satterthwaite).
    path = tmp_path / "scores.csv"
    demo_scores.assign(wave=demo_scores["wave"].astype(str)).to_csv(path, index=False)
    outcomes = ["ons_loneliness", "uls8", "k6", "srh", "wemwbs", "trust"]
    run = subprocess.run(
        [rscript, "-e", R_ANOVA, str(path), *outcomes],
        capture_output=True,
        text=True,
        check=True,
    )
    p = {line.split()[0]: float(line.split()[1]) for line in run.stdout.strip().splitlines()}
    for outcome in ["ons_loneliness", "uls8", "k6", "srh"]:
        assert p[outcome] < 0.05, outcome
    for outcome in ["wemwbs", "trust"]:
        assert p[outcome] > 0.05, outcome
