"""Bad files give clear errors naming file, row (data row from 1), column, value and expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import linkwork
from linkwork.io import read, to_long

MakeFile = Callable[[str, str], Path]


def _error(path: Path, **options: object) -> linkwork.DataFormatError:
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path, **options)  # type: ignore[arg-type]
    return info.value


def test_error_is_a_value_error() -> None:
    assert issubclass(linkwork.DataFormatError, ValueError)


def test_duplicate_participant_wave_names_both_rows(make_file: MakeFile) -> None:
    path = make_file(
        "dup.csv",
        """
        participant_id,wave,k6_1
        P1,T1,1
        P2,T1,2
        P1,T2,3
        P1,T1,4
        """,
    )
    error = _error(path)
    message = str(error)
    assert f"file {path}" in message
    assert "row 4" in message
    assert "row 1" in message
    assert "'P1'" in message
    assert "'T1'" in message
    assert (error.row, error.column, error.value) == (4, "participant_id", "P1")
    assert "counted from 1" in message  # says how rows are counted


def test_unknown_wave_label_lists_allowed_labels(make_file: MakeFile) -> None:
    path = make_file("w.csv", "participant_id,wave,k6_1\nP1,T1,1\nP1,T4,2\n")
    error = _error(path, waves=["T1", "T2", "T3"])
    assert (error.file, error.row, error.column, error.value) == (str(path), 2, "wave", "T4")
    assert "unknown wave label" in str(error)
    assert "'T1', 'T2', 'T3'" in str(error)


def test_unknown_wave_label_names_the_source_column(make_file: MakeFile) -> None:
    path = make_file("w.csv", "id,visit,k6_1\nP1,baseline,1\nP1,week 8,2\n")
    error = _error(path, id_column="id", wave_column="visit", waves={"baseline": "T1"})
    assert (error.row, error.column, error.value) == (2, "visit", "week 8")
    assert "'baseline'" in str(error)


def test_labels_without_natural_order_ask_for_waves(make_file: MakeFile) -> None:
    path = make_file("w.csv", "participant_id,wave,k6_1\nP1,baseline,1\nP1,follow-up,2\n")
    error = _error(path)
    assert error.column == "wave"
    assert error.row is None
    assert "waves=[...]" in str(error)
    assert "'baseline', 'follow-up'" in str(error)


def test_missing_id_column_lists_columns_present(make_file: MakeFile) -> None:
    path = make_file("c.csv", "pid,wave,k6_1\nP1,T1,1\n")
    error = _error(path)
    message = str(error)
    assert error.column == "participant_id"
    assert str(path) in message
    assert "missing participant id column" in message
    assert "'pid', 'wave', 'k6_1'" in message
    assert "id_column=" in message


def test_missing_wave_column(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,time,k6_1\nP1,T1,1\n")
    error = _error(path)
    assert error.column == "wave"
    assert "wave_column=" in str(error)


def test_missing_ids_in_rows(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\nP1,T1,1\n  ,T2,2\n")
    error = _error(path)
    assert (error.file, error.row, error.column) == (str(path), 2, "participant_id")
    assert "missing participant id" in str(error)


def test_missing_wave_in_a_row(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\nP1,T1,1\nP1,,2\n")
    error = _error(path)
    assert (error.row, error.column) == (2, "wave")
    assert "missing wave" in str(error)


def test_text_in_numeric_item_column(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1,k6_2\nP1,T1,1,2\nP2,T1,3,often\n")
    error = _error(path)
    assert (error.file, error.row, error.column, error.value) == (str(path), 2, "k6_2", "often")
    assert "not a number" in str(error)
    assert "expected a number" in str(error)


def test_non_date_in_date(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,date\nP1,T1,2021-01-04\nP1,T2,04/03/2021\n")
    error = _error(path)
    assert (error.row, error.column, error.value) == (2, "date", "04/03/2021")
    assert "YYYY-MM-DD" in str(error)
    assert "date_format=" in str(error)


def test_date_format_option_parses_other_dates(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,date\nP1,T1,04/03/2021\n")
    frame = read(path, date_format="%d/%m/%Y")
    assert frame["date"].tolist() == [pd.Timestamp("2021-03-04")]


def test_impossible_iso_date_is_rejected(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,date\nP1,T1,2021-02-30\n")
    assert _error(path).value == "2021-02-30"


def test_error_counts_all_problems(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\n,T1,x\nP1,T9,1\n")
    error = _error(path, waves=["T1", "T2"])
    assert "first of 3 problems" in str(error)
    assert error.row == 1  # problems come in file order


def test_duplicate_header_names(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1,k6_1\nP1,T1,1,2\n")
    error = _error(path)
    assert error.column == "k6_1"
    assert "columns 3 and 4" in str(error)


def test_values_under_an_unnamed_column(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,\nP1,T1,5\n")
    assert "column 3 has values but no name" in str(_error(path))


def test_ragged_csv(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave\nP1,T1,5,6\n")
    error = _error(path)
    assert str(path) in str(error)
    assert "cannot parse" in str(error)


def test_in_memory_frames_name_rows_by_index_label() -> None:
    frame = pd.DataFrame(
        {"participant_id": ["a", "b"], "wave": ["T1", "T1"], "k6_1": [1, "two"]},
        index=[10, 20],
    )
    with pytest.raises(linkwork.DataFormatError) as info:
        to_long(frame)
    assert (info.value.file, info.value.row, info.value.column) == (None, 20, "k6_1")
    assert "index label" in str(info.value)


def test_a_single_label_needs_no_order(make_file: MakeFile) -> None:
    path = make_file("w.csv", "participant_id,wave,k6_1\nP1,baseline,1\nP2,baseline,2\n")
    assert read(path)["wave"].cat.categories.tolist() == ["baseline"]


def test_ordered_categorical_keeps_its_order() -> None:
    waves = pd.Categorical(["late", "early"], categories=["early", "late"], ordered=True)
    frame = pd.DataFrame({"participant_id": ["a", "a"], "wave": waves})
    assert to_long(frame)["wave"].cat.categories.tolist() == ["early", "late"]


def test_fractional_responses_stay_float() -> None:
    frame = pd.DataFrame({"participant_id": ["a"], "wave": ["T1"], "lw_relationship_1": [5.5]})
    assert to_long(frame)["lw_relationship_1"].dtype == "float64"


def test_column_order_is_canonical() -> None:
    frame = pd.DataFrame(
        {
            "k6_1": [1],
            "age": [50],
            "site": ["S"],
            "wave": ["T1"],
            "date": ["2021-01-01"],
            "participant_id": ["a"],
        }
    )
    assert list(to_long(frame).columns) == ["participant_id", "wave", "date", "site", "age", "k6_1"]
