"""simulate_cohort: reproducibility, structure, drop-out, effects, arms, argument errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import linkwork
from linkwork import PlanError
from linkwork.datasets import OUTCOME_NAMES, simulate_cohort
from linkwork.datasets.demo import DEMO_PATH
from linkwork.datasets.simulate import main

ITEM_RANGES = {
    "ons_loneliness": (1, 5),
    "uls8": (1, 4),
    "k6": (0, 4),
    "wemwbs": (1, 5),
    "srh": (1, 5),
    "trust": (0, 10),
    "groups": (0, 10),
    "lw_relationship": (1, 7),
    "facilitator_belonging": (1, 7),
}


@pytest.fixture(scope="module")
def big(measure):
    """A large cohort without drop-out, for population-level properties of the model."""
    effects = {"uls8": (-1.0, -1.2), "k6": {"T3": -0.8}, "srh": (0.5, 0.5)}
    frame = simulate_cohort(20_000, effects=effects, seed=11)
    return frame, measure.scored(frame)


def test_same_seed_same_cohort_other_seed_other_cohort():
    first = simulate_cohort(300, attrition=(1.0, 0.8, 0.5), seed=5)
    pd.testing.assert_frame_equal(first, simulate_cohort(300, attrition=(1.0, 0.8, 0.5), seed=5))
    other = simulate_cohort(300, attrition=(1.0, 0.8, 0.5), seed=6)
    assert not first["participant_id"].isin(other["participant_id"]).all()
    assert not first["uls8_1"].equals(other["uls8_1"])


def test_accepts_a_numpy_generator():
    a = simulate_cohort(50, seed=np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, simulate_cohort(50, seed=np.random.default_rng(3)))


@pytest.mark.parametrize(
    ("attrition", "expected"),
    [
        ((100, 80, 35), [100, 80, 35]),
        ((1.0, 0.805, 0.5), [100, 81, 50]),  # proportions of n, rounded half up
        (None, [100, 100, 100]),
    ],
)
def test_retention_counts_are_exact_and_dropout_monotone(attrition, expected):
    frame = simulate_cohort(100, attrition=attrition, seed=1)
    assert frame.groupby("wave", observed=True).size().tolist() == expected
    waves = frame.groupby("participant_id")["wave"].agg(lambda w: w.cat.codes.tolist())
    assert all(codes == list(range(len(codes))) for codes in waves)


def test_custom_waves_and_schedule():
    frame = simulate_cohort(
        40,
        waves=["base", "m3", "m6", "m12"],
        attrition=(40, 30, 25, 20),
        schedule_days=(0, 91, 182, 365),
        jitter_days=0,
        seed=2,
        effects={"uls8": {"m12": -0.5}},
    )
    assert list(frame["wave"].cat.categories) == ["base", "m3", "m6", "m12"]
    dates = frame.pivot(index="participant_id", columns="wave", values="date")
    assert set((dates["m12"] - dates["base"]).dt.days.dropna()) == {365}
    relation = frame.groupby("wave", observed=True)["lw_relationship_1"].count()
    assert relation.tolist() == [40, 30, 0, 0]  # first two waves by default


def test_columns_dtypes_and_item_ranges():
    frame = simulate_cohort(2000, seed=4)
    assert list(frame.columns[:7]) == [
        "participant_id",
        "wave",
        "date",
        "site",
        "link_worker",
        "age",
        "gender",
    ]
    for name, (low, high) in ITEM_RANGES.items():
        columns = [c for c in frame.columns if re.fullmatch(rf"{name}_\d+", c)]
        assert columns, name
        values = frame[columns]
        assert (values.dtypes == "Int64").all()
        assert values.min().min() >= low, name
        assert values.max().max() <= high, name
        assert values.stack().nunique() >= min(high - low + 1, 5), name  # categories are used
    assert frame["age"].between(18, 95).all()
    assert frame["age"].mean() == pytest.approx(53.6, abs=1.0)


def test_reverse_keyed_items_run_against_the_other_items():
    frame = simulate_cohort(3000, attrition=None, seed=8)
    items = frame[[f"uls8_{k}" for k in range(1, 9)]].astype(float)
    corr = items.corr()
    assert (corr.loc["uls8_1", ["uls8_3", "uls8_6"]] < -0.2).all()  # raw codes reversed
    assert (corr.loc["uls8_1", ["uls8_2", "uls8_4", "uls8_5"]] > 0.2).all()
    # srh_1 is raw SF-36 coding (1 = Excellent): it goes with worse wellbeing.
    wemwbs = frame[[f"wemwbs_{k}" for k in range(1, 15)]].astype(float).sum(axis=1)
    assert np.corrcoef(frame["srh_1"].astype(float), wemwbs)[0, 1] < -0.1


def test_ids_unique_pseudonymous_and_scale_with_n():
    frame = simulate_cohort(10_000, attrition=None, seed=9, waves=["T1"], schedule_days=[0])
    ids = frame["participant_id"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"P[0-9A-F]{5,}").all()


def test_ten_thousand_participants_is_fast():
    start = time.perf_counter()
    frame = simulate_cohort(10_000, attrition=(1.0, 0.78, 0.47), seed=1, item_missing={"k6": 0.01})
    elapsed = time.perf_counter() - start
    assert frame["participant_id"].nunique() == 10_000
    assert elapsed < 2.0


def test_structure_sites_link_workers_nested():
    frame = simulate_cohort(500, sites=3, link_workers_per_site=(1, 2, 4), seed=3)
    per_worker = frame.groupby("link_worker")["site"].nunique()
    assert (per_worker == 1).all()
    assert frame.groupby("site")["link_worker"].nunique().sort_index().tolist() == [1, 2, 4]


def test_dropout_depends_on_baseline_and_not_when_weight_is_zero(measure):
    def baseline_gap(weight: float) -> float:
        frame = simulate_cohort(6000, attrition=(1.0, 0.8, 0.5), seed=21, dropout_weight=weight)
        table = measure.wide(measure.scored(frame), "k6")
        completer = table.index.isin(frame.loc[frame["wave"] == "T3", "participant_id"])
        return float(
            (table["T1"][~completer].mean() - table["T1"][completer].mean()) / table["T1"].std()
        )

    assert baseline_gap(0.6) > 0.3
    assert abs(baseline_gap(0.0)) < 0.08


def test_effects_direction_and_size_recovered(big, measure):
    _, scores = big
    # Latent changes are attenuated a little by coarse, noisy items, never reversed. Without an
    # effect d is 0 up to sampling error (SE about 0.008 at n = 20,000; bound 0.04 = 5 SE).
    assert -1.0 < measure.d(scores, "uls8", "T2") < -0.75
    assert -1.2 < measure.d(scores, "uls8", "T3") < -0.9
    assert abs(measure.d(scores, "k6", "T2")) < 0.04  # no effect given at T2
    assert -0.8 < measure.d(scores, "k6", "T3") < -0.55
    assert 0.35 < measure.d(scores, "srh", "T3") < 0.5  # srh scored higher = better
    for outcome in ["ons_loneliness", "wemwbs", "trust", "groups"]:
        assert abs(measure.d(scores, outcome, "T3")) < 0.04, outcome


def test_relationship_after_baseline_tracks_improvement(big, measure):
    _, scores = big
    lonely = measure.wide(scores, "uls8")
    improvement = lonely["T1"] - lonely["T3"]
    for scale in ["lw_relationship", "facilitator_belonging"]:
        relation = measure.wide(scores, scale)
        assert 0.3 < measure.r(relation["T2"], improvement) < 0.5
        assert abs(measure.r(relation["T1"], improvement)) < 0.03


def test_relationship_strength_zero_removes_the_link(measure):
    frame = simulate_cohort(6000, seed=13, relationship_strength=0.0)
    scores = measure.scored(frame)
    lonely = measure.wide(scores, "uls8")
    relation = measure.wide(scores, "lw_relationship")
    assert abs(measure.r(relation["T2"], lonely["T1"] - lonely["T3"])) < 0.05


def test_item_missingness_rate_and_only_where_asked():
    frame = simulate_cohort(4000, seed=7, item_missing={"k6": 0.1, "lw_relationship": 0.05})
    k6 = frame[[f"k6_{k}" for k in range(1, 7)]]
    assert k6.isna().mean().mean() == pytest.approx(0.1, abs=0.01)
    early = frame["wave"] != "T3"
    relation = frame.loc[early, [f"lw_relationship_{k}" for k in range(1, 6)]]
    assert relation.isna().mean().mean() == pytest.approx(0.05, abs=0.01)
    others = [c for c in frame.columns if c.startswith(("uls8_", "wemwbs_", "trust_", "srh_"))]
    assert frame[others].notna().all().all()


def test_second_arm_with_its_own_effects(measure):
    frame = simulate_cohort(
        3000,
        attrition=(1.0, 0.9, 0.8),
        seed=17,
        allocation=(2, 1),
        arms={"lwsp": {"uls8": (-0.9, -1.0)}, "usual_care": {"uls8": (0.0, -0.1)}},
    )
    assert list(frame.columns[:4]) == ["participant_id", "wave", "date", "arm"]
    people = frame.drop_duplicates("participant_id")
    assert people["arm"].value_counts().to_dict() == {"lwsp": 2000, "usual_care": 1000}
    assert (frame.groupby("participant_id")["arm"].nunique() == 1).all()
    scores = measure.scored(frame).assign(arm=frame["arm"])
    lwsp = measure.d(scores[scores["arm"] == "lwsp"], "uls8", "T3")
    usual = measure.d(scores[scores["arm"] == "usual_care"], "uls8", "T3")
    assert lwsp < -0.7
    assert -0.25 < usual < 0.05
    baseline = scores[scores["wave"] == "T1"].groupby("arm")["uls8"].mean()
    assert abs(baseline["lwsp"] - baseline["usual_care"]) < 0.5  # arms alike at baseline


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n="),
        ({"waves": ["T1", "T1"]}, "repeat"),
        ({"attrition": (64, 70, 30)}, "never increase"),
        ({"attrition": (60, 50, 30)}, "never increase"),
        ({"attrition": (64, 50)}, "one retention value per wave"),
        ({"attrition": (1.0, 1.2, 0.5)}, "outside"),
        ({"effects": {"happiness": (0.1, 0.2)}}, "unknown outcome"),
        ({"effects": {"uls8": {"T9": -0.5}}}, "unknown follow-up wave"),
        ({"effects": {"uls8": (-0.5,)}}, "wrong number"),
        ({"effects": {"uls8": (-0.5, float("nan"))}}, "finite"),
        ({"effects": {}, "arms": {"a": {}}}, "not also"),
        ({"arms": {"a": {}, "b": {}}, "allocation": (1, -1)}, "arm weights"),
        ({"link_workers_per_site": (1, 2)}, "link_workers_per_site"),
        ({"schedule_days": (0, 56)}, "schedule_days"),
        ({"item_missing": {"nope": 0.1}}, "unknown instrument"),
        ({"item_missing": {"k6": 1.5}}, "probability"),
        ({"relationship_waves": ["T4"]}, "relationship_waves"),
        ({"relationship_strength": 0.99}, "relationship_strength"),
        ({"enrolment": ("2022-01-01", "2021-01-01")}, "enrolment"),
        ({"enrolment": ("2022-01-01", "soon")}, "enrolment"),
        ({"jitter_days": -1}, "jitter_days"),
        ({"age_sd": -3.0}, "age"),
        ({"sites": 2.5}, "sites"),
        ({"arms": {}}, "arm labels"),
    ],
)
def test_bad_arguments_raise_plan_error(kwargs, match):
    with pytest.raises(PlanError, match=match):
        simulate_cohort(**kwargs)


def test_outcome_names_are_the_effect_keys():
    assert OUTCOME_NAMES == ("ons_loneliness", "uls8", "k6", "wemwbs", "srh", "trust", "groups")


def test_command_line_checks_and_writes(tmp_path, capsys):
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    out = tmp_path / "demo.csv"
    assert main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == DEMO_PATH.read_text(encoding="utf-8")


def test_command_line_check_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "demo_cohort.csv"
    stale.write_text("participant_id,wave\n", encoding="utf-8")
    monkeypatch.setattr("linkwork.datasets.demo.DEMO_PATH", stale)
    assert main(["--check"]) == 1
    assert "STALE" in capsys.readouterr().out


def test_runs_as_a_module_without_warnings():
    path = os.pathsep.join(
        [str(Path(linkwork.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
    )
    run = subprocess.run(
        [sys.executable, "-W", "error", "-m", "linkwork.datasets.simulate", "--check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
