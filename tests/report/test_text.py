"""The plain-language summary: Cohen's size words, conservative certainty, direction of benefit."""

from __future__ import annotations

import pandas as pd
import pytest

from linkwork.report._source import read_input
from linkwork.report.text import build_summary, change_sentence, magnitude


@pytest.mark.parametrize(
    ("d", "label"),
    # Cohen (1988): 0.2 small, 0.5 medium ("moderate" here), 0.8 large.
    [
        (0.0, "very small"),
        (0.19, "very small"),
        (0.2, "small"),
        (-0.49, "small"),
        (0.5, "moderate"),
        (-0.79, "moderate"),
        (0.8, "large"),
        (-2.5, "large"),
    ],
)
def test_size_words_follow_cohen(d, label):
    assert magnitude(d) == label


def test_a_clear_fall_in_a_bad_thing_is_an_improvement():
    text = change_sentence(-1.1, -1.4, -0.8, 0.0001, higher_is_better=False)
    assert text.startswith("fell by a large amount, an improvement")
    assert "d = −1.10, 95% CI −1.40 to −0.80" in text


def test_a_clear_fall_in_a_good_thing_is_a_deterioration():
    text = change_sentence(-0.6, -0.9, -0.3, 0.001, higher_is_better=True)
    assert text.startswith("fell by a moderate amount, a deterioration")
    assert "between a small and a large fall" in text


def test_unknown_direction_makes_no_value_judgement():
    text = change_sentence(0.6, 0.3, 0.9, 0.001, higher_is_better=None)
    assert text.startswith("rose by a moderate amount (")
    assert "improvement" not in text
    assert "deterioration" not in text


def test_interval_including_zero_is_never_called_a_change():
    # An adjusted p below alpha cannot rescue an interval that includes zero.
    text = change_sentence(-0.3, -0.6, 0.05, 0.01, higher_is_better=False)
    assert text.startswith("showed no clear change")
    assert "anything from a moderate fall to a very small rise" in text


def test_adjusted_p_above_alpha_is_not_a_change_even_if_the_interval_excludes_zero():
    text = change_sentence(-0.3, -0.55, -0.05, 0.08, higher_is_better=False, adjust="Holm")
    assert text.startswith("showed no clear change once the number of comparisons")
    assert "p (Holm) = .080" in text


def test_alpha_is_respected():
    assert change_sentence(0.5, 0.2, 0.8, 0.03, alpha=0.01).startswith("showed no clear change")
    assert change_sentence(0.5, 0.2, 0.8, 0.03, alpha=0.05).startswith("rose")


def test_summary_covers_every_outcome_and_the_caveats(fake_evaluation):
    summary = build_summary(read_input(fake_evaluation))
    leads = [item.lead for item in summary.changes]
    titles = [v["title"] for v in fake_evaluation.meta["outcomes"].values()]
    assert leads[: len(titles)] == titles
    assert leads[-1] == "Meaningful social groups"
    joined = " ".join(summary.cautions)
    assert "cannot be attributed to the programme" in joined
    assert "34 (53%) did not answer" in joined  # 64 enrolled, 30 at T3
    assert any("Cohen" in p for p in summary.reading)


def test_contrast_labelled_earlier_minus_later_is_read_with_its_sign_flipped(fake_evaluation):
    tables = dict(fake_evaluation.tables)
    contrasts = tables["contrasts"].copy()
    flip = contrasts["contrast"] == "T3 - T1"
    contrasts.loc[flip, "contrast"] = "T1 - T3"
    for column in ("estimate", "d"):
        contrasts.loc[flip, column] = -contrasts.loc[flip, column]
    low, high = contrasts.loc[flip, "d_conf_low"].copy(), contrasts.loc[flip, "d_conf_high"].copy()
    contrasts.loc[flip, "d_conf_low"], contrasts.loc[flip, "d_conf_high"] = -high, -low
    tables["contrasts"] = contrasts
    flipped = type(fake_evaluation)(
        tables, fake_evaluation.meta, fake_evaluation.plan, fake_evaluation.trajectories
    )
    original = build_summary(read_input(fake_evaluation)).changes
    assert build_summary(read_input(flipped)).changes == original


def test_relationship_wording_follows_outcome_direction(fake_evaluation):
    rows = []
    for outcome, r in (("uls8", -0.5), ("wemwbs", 0.5), ("k6", 0.45)):
        rows.append(
            dict(
                predictor="lw_relationship",
                predictor_wave="T2",
                outcome=outcome,
                target="change",
                method="pearson",
                n=30,
                r=r,
                conf_low=r - 0.3,
                conf_high=r + 0.3,
                p_value=0.001,
                p_holm=0.01,
                p_fdr=0.01,
            )
        )
    tables = dict(fake_evaluation.tables, correlations=pd.DataFrame(rows))
    evaluation = type(fake_evaluation)(
        tables, fake_evaluation.meta, fake_evaluation.plan, fake_evaluation.trajectories
    )
    text = " ".join(build_summary(read_input(evaluation)).relationships)
    # Loneliness: higher is worse, so r < 0 with change = more improvement; distress r > 0 = less.
    assert "went with more improvement in Loneliness (ULS-8) (" in text
    assert "went with more improvement in Mental wellbeing (WEMWBS) (" in text
    assert "went with less improvement in Psychological distress (K6) (" in text
    assert "3 of 3 correlations were clear after Holm adjustment" in text
    assert "not causes" in text


def test_fdr_only_findings_are_labelled_as_less_strict(fake_evaluation):
    row = dict(
        predictor="lw_relationship",
        predictor_wave="T2",
        outcome="uls8",
        target="change",
        method="pearson",
        n=30,
        r=-0.45,
        conf_low=-0.7,
        conf_high=-0.1,
        p_value=0.01,
        p_holm=0.4,
        p_fdr=0.03,
    )
    tables = dict(fake_evaluation.tables, correlations=pd.DataFrame([row]))
    evaluation = type(fake_evaluation)(
        tables, fake_evaluation.meta, fake_evaluation.plan, fake_evaluation.trajectories
    )
    text = " ".join(build_summary(read_input(evaluation)).relationships)
    assert "none of the 1 correlations was clear after the strict Holm" in text
    assert "less strict false-discovery-rate control" in text
    assert "p (FDR) = .030" in text
