"""Waves resolved against the plan, participant flow, sites, trajectories and the data hash.

Hand-built cohorts whose counts are known by construction.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from linkwork.errors import DataFormatError, PlanError
from linkwork.evaluation.cohort import (
    data_hash,
    flow_table,
    prepare,
    sites_table,
    trajectories_table,
)
from linkwork.evaluation.plan import default_plan

# a: T1 T2 T3 | b: T1 T2 | c: T1 . T3 (returns) | d: T1 | e: . T2 (joins late)
ROWS = [
    ("a", "T1", 10.0), ("a", "T2", 8.0), ("a", "T3", 6.0),
    ("b", "T1", 12.0), ("b", "T2", None),
    ("c", "T1", 9.0), ("c", "T3", 7.0),
    ("d", "T1", 11.0),
    ("e", "T2", 5.0),
]  # fmt: skip


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=["participant_id", "wave", "k6"])
    frame["site"] = ["S1", "S1", "S1", "S1", "S1", "S2", "S2", "S2", "S3"]
    return frame


def _cohort(frame: pd.DataFrame | None = None, *, adapt: bool = True):
    frame = _frame() if frame is None else frame
    return prepare(frame, default_plan(), frame[["k6"]], adapt=adapt)


def test_flow_counts_losses_and_returners():
    flow = flow_table(_cohort(), ["k6"])
    rows = {(r.stage, r.wave, r.outcome): r for r in flow.itertuples()}
    assert rows[("enrolled", "", "")].n == 5
    t1, t2, t3 = (rows[("observed", w, "")] for w in ("T1", "T2", "T3"))
    assert (t1.n, t1.lost) == (4, 1)  # e was enrolled but not seen at T1
    assert (t2.n, t2.lost) == (3, 2)  # c and d not seen at T2; e joined
    assert "1 returned" in t2.reason
    assert (t3.n, t3.lost) == (2, 2)  # b and e not seen at T3; c returned
    assert "1 returned" in t3.reason
    analysed = rows[("analysed", "", "k6")]
    assert (analysed.n, analysed.lost) == (5, 0)  # everyone has a k6 score at some wave


def test_cohort_resolves_waves_and_last_wave():
    cohort = _cohort()
    assert cohort.plan.waves == ("T1", "T2", "T3")
    assert cohort.observed == ("T1", "T2", "T3")
    assert cohort.last == "T3"
    assert cohort.participants == 5
    assert cohort.arm is None
    assert list(cohort.data["wave"].cat.categories) == ["T1", "T2", "T3"]


def test_a_one_armed_arm_column_is_ignored_with_a_note():
    frame = _frame().assign(arm="SP")
    cohort = _cohort(frame)
    assert cohort.arm is None
    assert any("one arm" in note for note in cohort.notes)


def test_unknown_waves_adapt_only_for_the_default_plan():
    frame = _frame()
    frame["wave"] = frame["wave"].map({"T1": "W0", "T2": "W1", "T3": "W2"})
    assert _cohort(frame).plan.waves == ("W0", "W1", "W2")
    with pytest.raises(PlanError, match="W0"):
        _cohort(frame, adapt=False)


def test_covariate_not_in_the_data_is_a_plan_error():
    frame = _frame()
    plan = replace(default_plan(), covariates=("age",))
    with pytest.raises(PlanError, match="age"):
        prepare(frame, plan, frame[["k6"]], adapt=False)


@pytest.mark.parametrize("column", ["participant_id", "wave"])
def test_key_columns_are_required(column):
    frame = _frame().drop(columns=[column])
    with pytest.raises(DataFormatError, match=column):
        _cohort(frame)


def test_duplicate_rows_and_missing_keys_are_errors():
    frame = _frame()
    with pytest.raises(DataFormatError, match="duplicate"):
        _cohort(pd.concat([frame, frame.iloc[[0]]], ignore_index=True))
    frame.loc[2, "participant_id"] = None
    with pytest.raises(DataFormatError, match="row 2"):
        _cohort(frame)


def test_sites_are_suppressed_and_rounded():
    sites = sites_table(_cohort())
    assert list(sites.columns) == ["site", "wave", "n", "suppressed"]
    # people per site and wave, by construction: S1 2/2/1, S2 2/0/1, S3 0/1/0
    counts = [2, 2, 1, 2, 0, 1, 0, 1, 0]
    assert sites["site"].tolist() == ["S1"] * 3 + ["S2"] * 3 + ["S3"] * 3
    assert sites["suppressed"].tolist() == [c > 0 for c in counts]  # 1-7 suppressed
    assert sites["n"].fillna(-1).tolist() == [-1 if c else 0 for c in counts]  # 0 stays 0
    plan = replace(default_plan(), disclosure=replace(default_plan().disclosure, suppress=False))
    frame = _frame()
    open_sites = sites_table(prepare(frame, plan, frame[["k6"]], adapt=True))
    assert open_sites["n"].tolist() == counts
    assert not open_sites["suppressed"].any()


def test_trajectories_hold_no_ids_and_only_people_with_two_waves():
    traj = trajectories_table(_cohort(), ["k6"])
    # a (3 scored waves) and c (2); b has one scored wave, d and e one wave
    assert traj.groupby("trajectory").size().sort_values().tolist() == [2, 3]
    assert set(traj["trajectory"]) <= set(range(1, 6))
    assert not set(traj.astype(str).to_numpy().ravel()) & {"a", "b", "c", "d", "e"}
    assert traj["value"].tolist() in ([10.0, 8.0, 6.0, 9.0, 7.0], [9.0, 7.0, 10.0, 8.0, 6.0])


def test_data_hash_identifies_the_data_not_its_order():
    frame = _frame()
    shuffled = frame.sample(frac=1.0, random_state=1)[list(reversed(frame.columns))]
    assert data_hash(frame) == data_hash(shuffled)
    changed = frame.copy()
    changed.loc[0, "k6"] = 10.5
    assert data_hash(changed) != data_hash(frame)


def test_more_waves_than_the_flow_can_record_are_refused():
    from linkwork.evaluation.cohort import MAX_WAVES

    plan = replace(default_plan(), waves=(), baseline="", wave_labels={})
    waves = [f"W{k:03d}" for k in range(MAX_WAVES + 1)]
    frame = pd.DataFrame({"participant_id": "a", "wave": waves})
    with pytest.raises(PlanError, match="too many waves"):
        prepare(frame, plan, pd.DataFrame(index=frame.index), adapt=False)
    prepare(frame.iloc[:MAX_WAVES], plan, pd.DataFrame(index=frame.index[:MAX_WAVES]), adapt=False)
