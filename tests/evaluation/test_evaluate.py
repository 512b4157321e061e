"""The whole evaluation on the demo cohort and on awkward cohorts (one wave, no follow-up, arms).

The numbers themselves are checked against R in test_against_r.py; these tests check the
structure the issue and the report rely on, the estimability rules and the privacy rules.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from linkwork.datasets import demo_cohort, simulate_cohort
from linkwork.errors import DataFormatError, PlanError
from linkwork.evaluation import Evaluation, Plan, default_plan, default_plan_text, evaluate

#: Columns the issue fixes for the CSV tables (``model`` added where the contract says).
ISSUE_COLUMNS = {
    "descriptives": ["outcome", "wave", "n", "mean", "sd", "median", "q1", "q3"],
    "models": [
        "outcome",
        "model",
        "term",
        "estimate",
        "std_error",
        "df",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ],
    "anova": ["outcome", "model", "term", "num_df", "den_df", "F", "p_value"],
    "emmeans": ["outcome", "model", "wave", "emmean", "std_error", "df", "conf_low", "conf_high"],
    "contrasts": [
        "outcome",
        "model",
        "contrast",
        "estimate",
        "std_error",
        "df",
        "statistic",
        "p_value",
        "p_adjusted",
        "d",
        "d_conf_low",
        "d_conf_high",
    ],
    "correlations": [
        "predictor",
        "predictor_wave",
        "outcome",
        "target",
        "method",
        "n",
        "r",
        "conf_low",
        "conf_high",
        "p_value",
        "p_holm",
        "p_fdr",
    ],
}
#: Columns the evaluation <-> report contract fixes for the other tables.
CONTRACT_COLUMNS = {
    "flow": ["stage", "wave", "n", "lost", "reason"],
    "attrition": [
        "variable",
        "level",
        "n_completers",
        "n_noncompleters",
        "mean_completers",
        "sd_completers",
        "mean_noncompleters",
        "sd_noncompleters",
        "smd",
        "test",
        "statistic",
        "p_value",
    ],
    "groups": [
        "kind",
        "wave",
        "contrast",
        "n",
        "median",
        "q1",
        "q3",
        "statistic",
        "df",
        "p_value",
        "p_adjusted",
        "r",
    ],
    "estimability": ["outcome", "model", "status", "reason"],
    "exclusions": ["table", "reason", "n"],
    "scoring": ["instrument", "version", "missing_rule", "n_scored", "n_prorated", "n_missing"],
    "sites": ["site", "wave", "n", "suppressed"],
}


@pytest.fixture(scope="module")
def demo() -> Evaluation:
    return evaluate(demo_cohort())


@pytest.fixture(scope="module")
def written(demo: Evaluation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-output")
    demo.write(out)
    return out


def _outcome_rows(table: pd.DataFrame, outcome: str, model: str = "all available") -> pd.DataFrame:
    return table[(table["outcome"] == outcome) & (table["model"] == model)]


def test_demo_tables_have_the_issue_columns(demo):
    for name, columns in ISSUE_COLUMNS.items():
        assert list(demo.tables[name].columns) == columns, name
    for name, columns in CONTRACT_COLUMNS.items():
        # flow also names the outcome of its "analysed" rows (the report reads it)
        assert list(demo.tables[name].columns)[: len(columns)] == columns, name
    assert set(demo.tables) == set(ISSUE_COLUMNS) | set(CONTRACT_COLUMNS)


def test_demo_evaluation_follows_the_study_design(demo):
    outcomes = ["ons_loneliness", "uls8", "k6", "wemwbs", "trust", "srh"]
    status = demo.tables["estimability"]
    assert (status["status"] == "estimated").all()
    assert sorted(status["outcome"].unique()) == sorted(outcomes)
    assert set(status["model"]) == {"all available", "completers"}
    for outcome in outcomes:
        anova = _outcome_rows(demo.tables["anova"], outcome)
        assert anova["term"].tolist() == ["wave"]
        emm = _outcome_rows(demo.tables["emmeans"], outcome)
        assert emm["wave"].tolist() == ["T1", "T2", "T3"]
        con = _outcome_rows(demo.tables["contrasts"], outcome)
        # later minus earlier, in emmeans' revpairwise order
        assert con["contrast"].tolist() == ["T2 - T1", "T3 - T1", "T3 - T2"]
        e = emm.set_index("wave")["emmean"]
        assert con["estimate"].tolist() == pytest.approx(
            [e["T2"] - e["T1"], e["T3"] - e["T1"], e["T3"] - e["T2"]], rel=1e-9
        )
        # d = contrast / SD at T1 (the observed T1 SD in the descriptives)
        sd = demo.tables["descriptives"].query("outcome == @outcome and wave == 'T1'")["sd"]
        assert con["d"].tolist() == pytest.approx((con["estimate"] / float(sd.iloc[0])).tolist())
        assert (con["d_conf_low"] < con["d"]).all()
        assert (con["d"] < con["d_conf_high"]).all()
    flow = demo.tables["flow"]
    observed = flow[flow["stage"] == "observed"]
    assert observed["n"].tolist() == [64, 50, 30]
    assert flow.iloc[0][["stage", "n"]].tolist() == ["enrolled", 64]
    groups = demo.tables["groups"]
    assert groups["kind"].tolist() == ["summary"] * 3 + ["friedman"] + ["wilcoxon"] * 3
    assert groups[groups["kind"] == "summary"]["median"].tolist() == [2.0, 3.0, 3.0]
    corr = demo.tables["correlations"]
    assert set(corr["predictor"]) == {"lw_relationship", "facilitator_belonging"}
    assert set(corr["predictor_wave"]) == {"T1", "T2"}
    assert set(corr["target"]) == {"last wave", "change"}
    assert set(corr["method"]) == {"pearson", "spearman"}
    assert len(corr) == 2 * 2 * 6 * 2 * 2


def test_meta_says_how_to_reproduce(demo):
    meta = demo.meta
    for key in (
        "data_hash",
        "versions",
        "created",
        "d_formula",
        "df_method",
        "contrast_sign",
        "change_definition",
        "suppression",
        "waves",
        "wave_labels",
        "outcomes",
    ):
        assert meta[key], key
    assert len(meta["data_hash"]) == 64
    assert meta["versions"]["numpy"]
    assert meta["versions"]["linkwork"]
    assert meta["outcomes"]["uls8"]["direction"] == "higher is worse"
    assert meta["outcomes"]["uls8"]["formula"] == "uls8 ~ wave + (1 | participant_id)"
    assert meta["n_participants"] == 64


def test_written_outputs(demo, written):
    tables = sorted(p.stem for p in (written / "tables").glob("*.csv"))
    assert tables == sorted(demo.tables)
    for name, frame in demo.tables.items():
        read = pd.read_csv(written / "tables" / f"{name}.csv")
        assert list(read.columns) == list(frame.columns)
        assert len(read) == len(frame)
    models = pd.read_csv(written / "tables" / "models.csv")
    # full precision: the CSV round-trips every float exactly
    assert models["estimate"].tolist() == demo.tables["models"]["estimate"].tolist()
    results = json.loads((written / "results.json").read_text("utf-8"))
    assert set(results) == {"meta", "plan", "tables", "trajectories"}
    assert results["meta"]["data_hash"] == demo.meta["data_hash"]
    assert Plan.from_toml(demo.plan.to_toml()).to_dict() == results["plan"]
    first = results["tables"]["groups"][0]
    assert first["kind"] == "summary"
    assert first["statistic"] is None
    assert results["tables"]["models"][1]["estimate"] == demo.tables["models"]["estimate"][1]


def test_no_participant_id_anywhere_in_the_outputs(written):
    ids = set(demo_cohort()["participant_id"].astype(str))
    assert len(ids) == 64
    files = [p for p in written.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"results.json", "report.html", "models.csv", "correlations.csv"} <= names
    for path in files:
        text = path.read_text("utf-8")
        found = [i for i in ids if i in text]
        assert not found, f"{path.name} contains participant ids {found[:3]}"


def test_trajectories_are_anonymous(demo):
    traj = demo.trajectories
    assert list(traj.columns) == ["outcome", "trajectory", "wave", "value"]
    assert traj["trajectory"].dtype.kind == "i"
    counts = traj.groupby(["outcome", "trajectory"]).size()
    assert (counts >= 2).all()
    # people with >= 2 waves: 50 of the 64 at T2 (drop-out is monotone in the demo)
    assert traj[traj["outcome"] == "k6"]["trajectory"].nunique() == 50


def test_sites_are_suppressed_by_default(demo):
    sites = demo.tables["sites"]
    assert set(sites["wave"]) == {"T1", "T2", "T3"}
    shown = sites["n"].dropna()
    assert (shown % 5 == 0).all()
    assert sites["suppressed"].eq(sites["n"].isna()).all()


def test_summary_and_html(demo):
    text = demo.summary()
    assert "64 participants" in text
    assert "Loneliness (ULS-8)" in text
    assert "d = " in text
    html = demo._repr_html_()
    assert html.startswith("<div>")
    assert "T3 - T1" in html


def test_progress_is_reported():
    calls = []
    evaluate(
        _small_cohort(), _plan("k6"), progress=lambda m, done, total: calls.append((m, done, total))
    )
    assert calls[0][1] == 0
    assert [c[1] for c in calls] == list(range(len(calls)))
    assert all(total == len(calls) for _, _, total in calls)


def _small_cohort(**options) -> pd.DataFrame:
    return simulate_cohort(n=24, attrition=(24, 20, 16), seed=5, **options)


def _plan(*outcomes: str, completers: bool = False) -> Plan:
    """The default plan cut down to a few outcomes (fewer models keep the tests quick)."""
    plan = default_plan()
    kept = tuple(o for o in plan.outcomes if o.name in outcomes)
    return replace(plan, outcomes=kept, completers=completers)


def _scores_only(frame: pd.DataFrame) -> pd.DataFrame:
    from linkwork.evaluation import analysis_data

    return analysis_data(frame)


def test_a_single_wave_cohort_is_not_estimable_not_a_crash():
    data = _small_cohort()
    one = data[data["wave"] == "T1"].copy()
    evaluation = evaluate(one)
    status = evaluation.tables["estimability"]
    assert (status["status"] == "not estimable").all()
    assert status["reason"].str.contains("one wave only").all()
    assert evaluation.tables["models"].empty
    assert evaluation.tables["contrasts"].empty
    assert evaluation.tables["attrition"].empty
    assert "Not estimable: " in evaluation.summary()


def test_an_outcome_without_follow_up_is_not_estimable():
    data = _small_cohort()
    later = data["wave"] != "T1"
    for column in [c for c in data.columns if c.startswith("wemwbs_")]:
        data.loc[later, column] = pd.NA
    evaluation = evaluate(data, _plan("wemwbs", "uls8", completers=True))
    status = evaluation.tables["estimability"].set_index(["outcome", "model"])["status"]
    assert status[("wemwbs", "all available")] == "not estimable"
    assert status[("wemwbs", "completers")] == "not estimable"
    assert status[("uls8", "all available")] == "estimated"
    assert "wemwbs" not in set(evaluation.tables["contrasts"]["outcome"])
    assert "uls8" in set(evaluation.tables["contrasts"]["outcome"])


def test_an_outcome_missing_from_the_data_is_reported():
    data = _small_cohort().drop(columns=["trust_1"])
    evaluation = evaluate(data, _plan("trust", "k6", completers=True))
    rows = evaluation.tables["estimability"].query("outcome == 'trust'")
    assert (rows["status"] == "not estimable").all()
    assert rows["reason"].str.contains("not in the data").all()


def test_arm_column_gives_wave_by_arm_models_and_the_interaction_test():
    data = simulate_cohort(
        n=60, attrition=(60, 50, 40), arms={"SP": {"uls8": (-0.8, -1.0)}, "UC": {}}, seed=8
    )
    evaluation = evaluate(data, _plan("uls8"))
    anova = _outcome_rows(evaluation.tables["anova"], "uls8")
    assert anova["term"].tolist() == ["wave", "arm", "wave:arm"]
    models = _outcome_rows(evaluation.tables["models"], "uls8")
    assert "waveT2:armUC" in models["term"].tolist()
    emm = _outcome_rows(evaluation.tables["emmeans"], "uls8")
    assert list(emm.columns[:4]) == ["outcome", "model", "wave", "arm"]
    assert len(emm) == 6
    con = _outcome_rows(evaluation.tables["contrasts"], "uls8")
    assert sorted(set(con["arm"])) == ["SP", "UC"]
    assert len(con) == 6
    assert evaluation.meta["arm"] == "arm"
    assert evaluation.meta["arms"] == ["SP", "UC"]
    assert evaluation.meta["outcomes"]["uls8"]["formula"] == (
        "uls8 ~ wave * arm + (1 | participant_id)"
    )
    assert "wave x arm" in evaluation.summary()


def test_score_columns_are_taken_when_items_are_absent():
    items = _small_cohort()
    scored = _scores_only(items)
    keep = ["participant_id", "wave", "site", "age", "gender", "uls8", "k6", "groups"]
    plan = _plan("uls8", "wemwbs")
    evaluation = evaluate(scored[keep], plan)
    from_items = evaluate(items, plan)
    status = evaluation.tables["estimability"].set_index(["outcome", "model"])["status"]
    assert status[("uls8", "all available")] == "estimated"
    assert status[("wemwbs", "all available")] == "not estimable"
    a = _outcome_rows(evaluation.tables["contrasts"], "uls8")["estimate"].to_numpy()
    b = _outcome_rows(from_items.tables["contrasts"], "uls8")["estimate"].to_numpy()
    assert a.tolist() == pytest.approx(b.tolist(), rel=1e-12)
    scoring = evaluation.tables["scoring"].set_index("instrument")
    assert scoring.loc["uls8", "version"] == "supplied as a score column"


def test_other_wave_labels_with_the_default_plan():
    data = _small_cohort()
    relabel = {"T1": "baseline", "T2": "8 weeks", "T3": "18 months"}
    data["wave"] = pd.Categorical(
        data["wave"].astype(str).map(relabel), categories=list(relabel.values()), ordered=True
    )
    evaluation = evaluate(data)
    assert evaluation.plan.waves == ("baseline", "8 weeks", "18 months")
    assert evaluation.plan.baseline == "baseline"
    con = _outcome_rows(evaluation.tables["contrasts"], "uls8")
    assert con["contrast"].tolist()[0] == "8 weeks - baseline"


def test_explicit_plan_with_other_wave_labels_is_a_plan_error(tmp_path):
    data = _small_cohort()
    data["wave"] = data["wave"].astype(str).str.replace("T", "W")
    path = tmp_path / "plan.toml"
    path.write_text(default_plan_text(), "utf-8")
    with pytest.raises(PlanError, match=r"waves\.order"):
        evaluate(data, path)


def test_plan_settings_change_the_evaluation():
    text = default_plan_text()
    text = text.replace("completers = true", "completers = false")
    text = text.replace("suppress = true", "suppress = false")
    text = text.replace('definition = "baseline-sd"', 'definition = "none"')
    plan = Plan.from_toml(text)
    evaluation = evaluate(_small_cohort(), replace(plan, outcomes=plan.outcomes[:2]))
    assert set(evaluation.tables["estimability"]["model"]) == {"all available"}
    assert not evaluation.tables["sites"]["suppressed"].any()
    assert evaluation.tables["contrasts"]["d"].isna().all()


def test_bad_data_is_a_clear_error():
    data = _small_cohort()
    with pytest.raises(DataFormatError, match="participant_id"):
        evaluate(data.drop(columns=["participant_id"]))
    doubled = pd.concat([data, data.iloc[:1]], ignore_index=True)
    with pytest.raises(DataFormatError, match="duplicate"):
        evaluate(doubled)


def test_nan_never_reaches_json(demo):
    text = demo.to_json()
    assert "NaN" not in text
    assert "Infinity" not in text
    assert not math.isnan(json.loads(text)["tables"]["contrasts"][0]["d"])


def test_covariates_enter_every_model_and_rows_missing_them_are_excluded():
    data = _small_cohort()
    data.loc[data.index[:2], "age"] = None
    plan = replace(_plan("uls8", completers=True), covariates=("age", "gender"))
    evaluation = evaluate(data, plan)
    anova = _outcome_rows(evaluation.tables["anova"], "uls8")
    assert anova["term"].tolist() == ["wave", "age", "gender"]
    assert evaluation.meta["outcomes"]["uls8"]["formula"] == (
        "uls8 ~ wave + age + gender + (1 | participant_id)"
    )
    exclusions = evaluation.tables["exclusions"]
    reason = "uls8 (all available): rows with a missing age or gender"
    assert exclusions.loc[exclusions["reason"] == reason, "n"].tolist() == [2]
    models = _outcome_rows(evaluation.tables["models"], "uls8")
    assert {"age", "gendermale"} <= set(models["term"])
