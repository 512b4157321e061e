"""The evaluation commands: ``linkwork demo``, ``linkwork evaluate`` and ``linkwork plan``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from linkwork.cli import app
from linkwork.datasets import simulate_cohort
from linkwork.evaluation import default_plan, default_plan_text, load_plan

runner = CliRunner()


def test_demo_writes_the_evaluation(tmp_path):
    out = tmp_path / "demo-output"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "results.json").is_file()
    assert (out / "report.html").is_file()
    assert {p.name for p in (out / "tables").iterdir()} >= {
        "flow.csv",
        "descriptives.csv",
        "attrition.csv",
        "groups.csv",
        "models.csv",
        "anova.csv",
        "emmeans.csv",
        "contrasts.csv",
        "correlations.csv",
    }
    assert "64 participants" in result.output
    assert "Loneliness (ULS-8)" in result.output
    meta = json.loads((out / "results.json").read_text("utf-8"))["meta"]
    assert meta["n_participants"] == 64


def test_evaluate_a_file_with_a_plan(tmp_path):
    data = simulate_cohort(n=30, attrition=(30, 24, 18), seed=3)
    source = tmp_path / "cohort.csv"
    data.to_csv(source, index=False)
    plan = tmp_path / "plan.toml"
    text = default_plan_text()
    start = text.index("[[outcomes]]")
    plan.write_text(text[:start] + '[[outcomes]]\nname = "k6"\ninstrument = "k6"\n', "utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["evaluate", str(source), "--out", str(out), "--plan", str(plan)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text("utf-8"))
    assert sorted(results["meta"]["outcomes"]) == ["k6"]
    assert results["meta"]["data_source"] == "cohort.csv"
    assert "Distress" in result.output


def test_evaluate_reports_a_bad_plan_clearly(tmp_path):
    data = simulate_cohort(n=12, attrition=(12, 10, 8), seed=3)
    source = tmp_path / "cohort.csv"
    data.to_csv(source, index=False)
    plan = tmp_path / "plan.toml"
    plan.write_text(default_plan_text().replace("alpha = 0.05", "alpha = 2"), "utf-8")
    result = runner.invoke(
        app, ["evaluate", str(source), "--out", str(tmp_path / "o"), "--plan", str(plan)]
    )
    assert result.exit_code != 0
    assert "analysis.alpha" in str(result.exception)


def test_plan_init_writes_the_commented_default(tmp_path):
    path = tmp_path / "plan.toml"
    result = runner.invoke(app, ["plan", "--init", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text("utf-8") == default_plan_text()
    assert load_plan(path) == default_plan()
    again = runner.invoke(app, ["plan", "--init", str(path)])
    assert again.exit_code == 1
    assert "exists" in again.output
    forced = runner.invoke(app, ["plan", "--init", str(path), "--force"])
    assert forced.exit_code == 0


def test_plan_checks_a_file_and_prints_it_resolved(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(default_plan_text(), "utf-8")
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    assert "[[outcomes]]" in result.output
    assert "#" in result.output.splitlines()[0]


@pytest.mark.parametrize("args", [["plan"], ["plan", "--force"]])
def test_plan_without_a_file_is_an_error(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
