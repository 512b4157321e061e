"""validate(): every problem collected, plus per-wave, missing-item and out-of-range summaries.

Allowed ranges are the published ones (contract / reference instruments.md): ULS-8 1-4,
K6 0-4 (Australian coding 1-5), trust 0-10, ONS loneliness 1-5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import linkwork
from linkwork.io import ValidationReport, validate, validate_file, write

MakeFile = Callable[[str, str], Path]


def test_demo_cohort_is_clean(demo: pd.DataFrame, tmp_path: Path) -> None:
    report = validate_file(write(demo, tmp_path / "demo.csv"))
    assert report.ok
    assert report.errors == ()
    assert report.warnings == ()
    assert report.participants_per_wave == {"T1": 64, "T2": 50, "T3": 30}
    assert report.n_rows == 144
    assert report.n_participants == 64


def test_collects_all_problems_in_file_order(make_file: MakeFile) -> None:
    path = make_file(
        "bad.csv",
        """
        participant_id,wave,date,uls8_1,k6_1
        P1,T1,2021-01-04,1,0
        P1,T2,not a date,often,1
        ,T1,2021-01-04,2,2
        P2,T5,2021-01-04,3,3
        P1,T1,2021-01-05,4,4
        """,
    )
    report = validate(path, waves=["T1", "T2", "T3"])
    assert not report.ok
    located = [(p.row, p.column, p.value) for p in report.errors]
    assert located == [
        (2, "date", "not a date"),
        (2, "uls8_1", "often"),
        (3, "participant_id", None),
        (4, "wave", "T5"),
        (5, "participant_id", "P1"),
    ]
    assert all(p.file == str(path) for p in report.errors)
    assert "duplicate participant × wave" in report.errors[-1].message
    assert "row 1" in report.errors[-1].message
    with pytest.raises(linkwork.DataFormatError, match="first of 5 problems"):
        report.raise_for_errors()


def test_out_of_range_counts_per_item_column(make_file: MakeFile) -> None:
    path = make_file(
        "range.csv",
        """
        participant_id,wave,uls8_1,uls8_2,k6_1,trust_1,ons_loneliness_1
        a,T1,0,4,5,11,6
        b,T1,5,1,4,10,1
        c,T1,2.5,,0,-1,5
        """,
    )
    report = validate(path)
    assert not report.ok  # out-of-range responses are errors of the report (scoring would fail)
    counts = {r.column: r.n_out_of_range for r in report.out_of_range}
    # uls8_1: 0 and 5 outside 1-4, 2.5 not a whole code; k6_1: 5 outside 0-4;
    # trust_1: 11 and -1 outside 0-10; ons_loneliness_1: 6 outside 1-5.
    assert counts == {"uls8_1": 3, "uls8_2": 0, "k6_1": 1, "trust_1": 2, "ons_loneliness_1": 1}
    answered = {r.column: r.n_answered for r in report.out_of_range}
    assert answered["uls8_2"] == 2
    first = report.errors[0]
    assert (first.file, first.row, first.column, first.value) == (str(path), 1, "uls8_1", 0)
    assert "1-4" in str(first.expected)
    assert len(report.errors) == 7
    assert report.warnings == ()


def test_codings_switch_the_range(make_file: MakeFile) -> None:
    path = make_file("k6.csv", "participant_id,wave,k6_1\na,T1,5\nb,T1,0\n")
    default = validate(path)
    australian = validate(path, codings={"k6": "1-5"})
    assert [r.n_out_of_range for r in default.out_of_range] == [1]
    assert [r.n_out_of_range for r in australian.out_of_range] == [1]
    assert australian.errors[0].value == 0
    assert default.errors[0].value == 5


def test_items_beyond_the_instrument_and_unknown_instruments(make_file: MakeFile) -> None:
    path = make_file("x.csv", "participant_id,wave,uls8_9,phq_1\na,T1,1,2\n")
    report = validate(path)
    assert [(w.column, w.message) for w in report.warnings] == [
        ("uls8_9", "item column beyond the instrument's items")
    ]
    unknown = next(r for r in report.out_of_range if r.column == "phq_1")
    assert unknown.allowed is None
    assert unknown.n_out_of_range == 0


def test_missing_items_per_instrument_and_wave(cohort: pd.DataFrame) -> None:
    report = validate(cohort)
    rows = {(m.instrument, m.wave): m for m in report.missing_items}
    # conftest cohort, uls8 at T1: rows 007 and P-2, all four items answered.
    assert rows[("uls8", "T1")].n_rows == 2
    assert rows[("uls8", "T1")].n_missing == 0
    # uls8 at T2: 007 lacks uls8_2 (incomplete); P 3 answered all.
    t2 = rows[("uls8", "T2")]
    assert (t2.n_items, t2.n_rows, t2.n_missing, t2.n_rows_incomplete, t2.n_rows_empty) == (
        4,
        2,
        1,
        1,
        0,
    )
    # uls8 at T3: P-2 answered none.
    assert rows[("uls8", "T3")].n_rows_empty == 1
    assert rows[("uls8", "T3")].n_missing == 4
    assert report.participants_per_wave == {"T1": 2, "T2": 2, "T3": 1}


def test_tables_for_printing(cohort: pd.DataFrame) -> None:
    tables = validate(cohort).tables()
    assert list(tables) == [
        "summary",
        "participants per wave",
        "missing items",
        "out-of-range responses",
    ]
    assert tables["summary"].iloc[0]["rows"] == 5
    assert tables["participants per wave"]["participants"].tolist() == [2, 2, 1]
    assert set(tables["missing items"]["instrument"]) == {"uls8", "k6", "trust"}
    with_problems = validate(cohort).tables(problems=True)
    assert list(with_problems["errors"].columns) == [
        "file",
        "row",
        "column",
        "value",
        "problem",
        "expected",
    ]


def test_missing_id_column_still_summarises(make_file: MakeFile) -> None:
    path = make_file("c.csv", "pid,wave,uls8_1\na,T1,9\n")
    report = validate(path)
    assert [(p.column, p.message) for p in report.errors] == [
        ("participant_id", "missing participant id column"),
        ("uls8_1", "response out of range"),
    ]
    assert "'pid', 'wave', 'uls8_1'" in str(report.errors[0].expected)
    assert [r.n_out_of_range for r in report.out_of_range] == [1]


def test_unloadable_file_is_one_error(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1,k6_1\na,T1,1,1\n")
    report = validate_file(path)
    assert not report.ok
    assert len(report.errors) == 1
    error = report.errors[0]
    assert (error.file, error.column) == (str(path), "k6_1")
    assert error.message == "duplicate column name (columns 3 and 4)"
    assert str(error).startswith(f"file {path}, column 'k6_1': duplicate column name")


def test_summary_text(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\na,T1,x\n")
    text = validate(path).summary()
    assert "1 error(s)" in text
    assert "row 1, column 'k6_1'" in text
    assert "counted from 1" in text


def test_report_is_frozen(cohort: pd.DataFrame) -> None:
    report = validate(cohort)
    assert isinstance(report, ValidationReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.errors = ()  # type: ignore[misc]


def test_wide_layout_through_validate(make_file: MakeFile) -> None:
    path = make_file("w.csv", "participant_id,uls8_1_t1,uls8_1_t2\na,1,7\n")
    report = validate(path, layout="wide")
    assert report.participants_per_wave == {"T1": 1, "T2": 1}
    assert [(e.row, e.column, e.value) for e in report.errors] == [(1, "uls8_1_t2", 7)]
