"""Model sections: formulas, estimability, sensitivity side by side, correlation tables."""

from __future__ import annotations

import pandas as pd

from linkwork.report._source import read_input
from linkwork.report.models import (
    correlation_tables,
    model_formula,
    outcome_model,
    sensitivity_table,
)


def variant(evaluation, meta=None, **tables):
    return read_input(
        type(evaluation)(
            dict(evaluation.tables, **tables),
            meta or evaluation.meta,
            evaluation.plan,
            evaluation.trajectories,
        )
    )


def test_formula_from_meta(fake_evaluation):
    inp = read_input(fake_evaluation)
    assert model_formula(inp, "k6") == "k6 ~ wave + (1 | participant_id)"


def test_formula_rebuilt_from_type_iii_terms_when_meta_has_none(fake_evaluation):
    meta = {k: v for k, v in fake_evaluation.meta.items() if k != "outcomes"}
    anova = pd.DataFrame(
        {
            "outcome": "y",
            "model": "all available",
            "term": ["wave", "arm", "age", "wave:arm"],
            "num_df": 1.0,
            "den_df": 50.0,
            "F": 1.0,
            "p_value": 0.5,
        }
    )
    inp = variant(fake_evaluation, meta, anova=anova)
    assert model_formula(inp, "y") == "y ~ age + wave * arm + (1 | participant)"


def test_not_estimable_outcome_has_no_tables(make_evaluation):
    inp = read_input(make_evaluation(not_estimable=("trust",)))
    model = outcome_model(inp, inp.outcome("trust"))
    assert not model.estimable
    assert model.reason == "no follow-up data for this outcome"
    assert model.contrasts is None
    assert model.emmeans is None


def test_sensitivity_puts_both_models_on_one_row(fake_evaluation):
    table = sensitivity_table(read_input(fake_evaluation))
    contrasts = fake_evaluation.tables["contrasts"]
    rows = [r for r in table.body if r[0].text == "T3 - T1"]
    assert len(rows) == 6
    assert len(rows[0]) == 1 + 3 + 3
    completers = contrasts[
        (contrasts["model"] == "completers")
        & (contrasts["outcome"] == "ons_loneliness")
        & (contrasts["contrast"] == "T3 - T1")
    ]
    assert rows[0][4].text.startswith(f"{completers['estimate'].iloc[0]:.2f}".replace("-", "−"))


def test_sensitivity_reports_a_completers_model_that_could_not_be_fitted(fake_evaluation):
    est = fake_evaluation.tables["estimability"].copy()
    mask = (est["outcome"] == "k6") & (est["model"] == "completers")
    est.loc[mask, ["status", "reason"]] = ["not estimable", "too few completers"]
    contrasts = fake_evaluation.tables["contrasts"]
    contrasts = contrasts[~((contrasts["outcome"] == "k6") & (contrasts["model"] == "completers"))]
    table = sensitivity_table(variant(fake_evaluation, estimability=est, contrasts=contrasts))
    texts = [c.text for row in table.body for c in row]
    assert "not estimable (too few completers)" in texts


def test_correlation_tables_one_per_target(fake_evaluation):
    tables = correlation_tables(read_input(fake_evaluation))
    assert [t.id for t in tables] == ["table-correlations-last-wave", "table-correlations-change"]
    groups = [r[0].text for r in tables[0].body if r[0].css == "group"]
    assert groups == [
        "Relationship with the link worker at T1 (Baseline)",
        "Relationship with the link worker at T2 (8 weeks)",
        "Group facilitator fosters belonging at T1 (Baseline)",
        "Group facilitator fosters belonging at T2 (8 weeks)",
    ]
