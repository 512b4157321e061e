"""REDCap long exports: events -> waves, arms, repeating instruments, form status."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import linkwork
from linkwork.io import event_label, read, write_redcap

MakeFile = Callable[[str, str], Path]

HEADER = (
    "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,"
    "redcap_data_access_group,date,k6_1,k6_2,k6_complete"
)


def test_default_event_labels() -> None:
    assert event_label("baseline_arm_1") == "baseline"
    assert event_label("t3_arm_2") == "T3"
    assert event_label("month_18_arm_1") == "month_18"
    assert event_label("no_suffix") == "no_suffix"


def test_t_events_map_to_t_waves(make_file: MakeFile) -> None:
    path = make_file(
        "r.csv",
        f"""
        {HEADER}
        1,t1_arm_1,,,site_a,2021-01-04,0,1,2
        1,t2_arm_1,,,site_a,2021-03-01,1,,0
        2,t1_arm_1,,,site_b,2021-01-05,4,4,2
        """,
    )
    frame = read(path)
    assert list(frame.columns) == ["participant_id", "wave", "date", "site", "k6_1", "k6_2"]
    assert frame["participant_id"].tolist() == ["1", "1", "2"]
    assert frame["wave"].tolist() == ["T1", "T2", "T1"]
    assert frame["site"].tolist() == ["site_a", "site_a", "site_b"]
    assert frame["k6_2"].isna().tolist() == [False, True, False]
    assert frame.attrs["redcap_forms"] == ["k6"]


def test_named_events_need_an_order(make_file: MakeFile) -> None:
    path = make_file(
        "r.csv",
        f"""
        {HEADER}
        1,baseline_arm_1,,,,,1,1,2
        1,week_8_arm_1,,,,,1,1,2
        """,
    )
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path)
    assert info.value.column == "redcap_event_name"
    assert "events=" in str(info.value)
    assert "'baseline', 'week_8'" in str(info.value)
    ordered = read(path, waves=["baseline", "week_8"])
    assert ordered["wave"].cat.categories.tolist() == ["baseline", "week_8"]
    mapped = read(path, events={"baseline_arm_1": "T1", "week_8_arm_1": "T2"})
    assert mapped["wave"].tolist() == ["T1", "T2"]


def test_unknown_event_names_row_and_value(make_file: MakeFile) -> None:
    path = make_file(
        "r.csv",
        f"""
        {HEADER}
        1,baseline_arm_1,,,,,1,1,2
        1,week_9_arm_1,,,,,1,1,2
        """,
    )
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path, events={"baseline_arm_1": "T1", "week_8_arm_1": "T2"})
    error = info.value
    assert (error.file, error.row, error.column, error.value) == (
        str(path),
        2,
        "redcap_event_name",
        "week_9_arm_1",
    )
    assert "'baseline_arm_1', 'week_8_arm_1'" in str(error)


def test_several_arms_give_an_arm_column(make_file: MakeFile) -> None:
    path = make_file(
        "r.csv",
        f"""
        {HEADER}
        1,t1_arm_1,,,,,1,1,2
        2,t1_arm_2,,,,,1,1,2
        """,
    )
    assert read(path)["arm"].tolist() == ["1", "2"]
    named = read(path, arms={1: "social prescribing", 2: "usual care"})
    assert named["arm"].tolist() == ["social prescribing", "usual care"]
    assert list(named.columns)[:4] == ["participant_id", "wave", "date", "arm"]


def test_one_arm_gives_no_arm_column(make_file: MakeFile) -> None:
    path = make_file("r.csv", f"{HEADER}\n1,t1_arm_1,,,,,1,1,2\n")
    assert "arm" not in read(path).columns


def test_repeating_instruments_are_rejected_clearly(make_file: MakeFile) -> None:
    path = make_file(
        "r.csv",
        """
        record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,k6_1,k6_complete,contact_note,contacts_complete
        1,t1_arm_1,,,2,2,,
        1,t1_arm_1,contacts,1,,,phoned,2
        1,t1_arm_1,contacts,2,,,visited,2
        """,
    )
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path)
    error = info.value
    assert (error.row, error.column, error.value) == (2, "redcap_repeat_instrument", "contacts")
    assert "repeating='drop'" in str(error)
    assert "first of 2 problems" in str(error)
    frame = read(path, repeating="drop")
    assert frame["k6_1"].tolist() == [2]
    assert "contact_note" not in frame.columns
    assert frame.attrs["repeating_rows_dropped"] == [2, 3]
    assert frame.attrs["repeating_columns_dropped"] == ["contact_note", "contacts_complete"]


def test_invalid_form_status(make_file: MakeFile) -> None:
    path = make_file("r.csv", f"{HEADER}\n1,t1_arm_1,,,,,1,1,3\n")
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path)
    assert (info.value.row, info.value.column, info.value.value) == (1, "k6_complete", "3")
    assert "0 (incomplete), 1 (unverified) or 2 (complete)" in str(info.value)


def test_missing_record_id(make_file: MakeFile) -> None:
    path = make_file("r.csv", f"{HEADER}\n,t1_arm_1,,,,,1,1,2\n")
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path)
    assert (info.value.row, info.value.column) == (1, "record_id")


def test_not_longitudinal(make_file: MakeFile) -> None:
    path = make_file("r.csv", "record_id,k6_1\n1,2\n")
    with pytest.raises(linkwork.DataFormatError, match="not a longitudinal REDCap export"):
        read(path, format="redcap")


def test_duplicate_record_event(make_file: MakeFile) -> None:
    path = make_file("r.csv", f"{HEADER}\n1,t1_arm_1,,,,,1,1,2\n1,t1_arm_1,,,,,2,2,2\n")
    with pytest.raises(linkwork.DataFormatError, match="duplicate participant") as info:
        read(path)
    assert (info.value.row, info.value.column, info.value.value) == (2, "record_id", "1")


def test_written_export_has_redcap_layout(cohort: pd.DataFrame, tmp_path: Path) -> None:
    path = write_redcap(cohort, tmp_path / "r.csv")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    assert header[:4] == [
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
    ]
    # each form's status follows its items
    assert header.index("uls8_complete") == header.index("uls8_4") + 1
    assert header.index("k6_complete") == header.index("k6_1") + 1
    assert "arm" not in header
    assert "participant_id" not in header
    assert "wave" not in header
    first = dict(zip(header, rows[1], strict=True))
    assert first["record_id"] == "007"
    assert first["redcap_event_name"] == "t1_arm_1"
    assert first["uls8_complete"] == "2"  # all four answered
    second = dict(zip(header, rows[2], strict=True))
    assert second["uls8_complete"] == "0"
    assert second["uls8_2"] == ""
    third = dict(zip(header, rows[3], strict=True))
    assert third["redcap_event_name"] == "t1_arm_2"
    assert read(path)["arm"].tolist() == cohort["arm"].tolist()
