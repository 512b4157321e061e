"""read(): format dispatch, options, and all-or-nothing imports that never drop rows silently."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

import linkwork
from linkwork.io import read, read_table, write

MakeFile = Callable[[str, str], Path]


def test_linkwork_read_is_the_io_entry_point() -> None:
    assert linkwork.read is linkwork.io.read


def test_csv_to_long_format(make_file: MakeFile) -> None:
    path = make_file(
        "c.csv",
        """
        participant_id,wave,date,site,age,uls8_1,uls8_2
        007,T2,2021-03-01,S1,53,2,
        007,T1,2021-01-04,S1,53,1,3
        """,
    )
    frame = read(path)
    assert frame["participant_id"].tolist() == ["007", "007"]
    assert frame["wave"].cat.categories.tolist() == ["T1", "T2"]
    assert frame["wave"].cat.ordered
    assert frame["wave"].tolist() == ["T2", "T1"]  # file order is kept
    assert str(frame["date"].dtype) == "datetime64[ns]"
    assert frame["date"].iloc[1] == pd.Timestamp("2021-01-04")
    assert frame["uls8_1"].dtype == "Int64"
    assert frame["uls8_2"].isna().tolist() == [True, False]
    assert frame["age"].dtype == "int64"
    assert frame.attrs["source"] == str(path)
    assert frame.attrs["format"] == "csv"


def test_natural_order_is_numeric_not_alphabetic(make_file: MakeFile) -> None:
    rows = "\n".join(f"P{k},T{k},{k}" for k in (10, 2, 1, 11, 3))
    path = make_file("c.csv", "participant_id,wave,k6_1\n" + rows)
    assert read(path)["wave"].cat.categories.tolist() == ["T1", "T2", "T3", "T10", "T11"]


def test_id_and_wave_columns_are_mapped(make_file: MakeFile) -> None:
    path = make_file("c.csv", "ID,visit,k6_1\na,2,1\na,1,3\n")
    frame = read(path, id_column="ID", wave_column="visit")
    assert list(frame.columns) == ["participant_id", "wave", "k6_1"]
    assert frame["wave"].cat.categories.tolist() == ["1", "2"]


def test_waves_mapping_renames_and_orders(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\na,fu,1\na,bl,3\nb,bl,2\n")
    frame = read(path, waves={"bl": "T1", "fu": "T2"})
    assert frame["wave"].tolist() == ["T2", "T1", "T1"]
    assert frame["wave"].cat.categories.tolist() == ["T1", "T2"]


def test_waves_list_keeps_unobserved_waves_as_categories(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\na,T1,1\n")
    frame = read(path, waves=["T1", "T2", "T3"])
    assert frame["wave"].cat.categories.tolist() == ["T1", "T2", "T3"]


def test_format_option_overrides_extension(make_file: MakeFile) -> None:
    path = make_file("export.txt", "participant_id,wave,k6_1\na,T1,1\n")
    assert read(path, format="csv")["k6_1"].tolist() == [1]


def test_unknown_extension_names_file_and_formats(make_file: MakeFile) -> None:
    path = make_file("export.txt", "participant_id,wave\n")
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path)
    message = str(info.value)
    assert "export.txt" in message
    assert "format=" in message
    for name in ("csv", "xlsx", "sav", "dta", "redcap"):
        assert repr(name) in message


def test_unknown_format_name(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave\n")
    with pytest.raises(linkwork.DataFormatError, match="unknown format: got 'parquet'"):
        read(path, format="parquet")


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        read(tmp_path / "nope.csv")


def test_redcap_detected_from_csv_header(make_file: MakeFile) -> None:
    path = make_file(
        "export.csv",
        """
        record_id,redcap_event_name,k6_1,k6_complete
        1,t1_arm_1,2,2
        """,
    )
    frame = read(path)
    assert frame.attrs["format"] == "redcap"
    assert frame["participant_id"].tolist() == ["1"]
    assert frame["wave"].tolist() == ["T1"]


def test_blank_lines_are_skipped_but_counted(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\na,T1,1\n\n,,\nb,T1,3\n")
    frame = read(path)
    assert frame["participant_id"].tolist() == ["a", "b"]
    assert frame.attrs["blank_rows"] == [2, 3]


def test_every_row_is_returned(demo: pd.DataFrame, tmp_path: Path) -> None:
    path = write(demo, tmp_path / "demo.csv")
    lines = path.read_text().splitlines()
    assert len(read(path)) == len(lines) - 1 == len(demo)


def test_missing_value_markers(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,gender,k6_1\na,T1,NA,null\nb,T1,None,#N/A\n")
    frame = read(path)
    assert frame["k6_1"].isna().all()
    assert frame["gender"].tolist()[1] == "None"  # an answer, not a marker
    assert frame["gender"].isna().tolist() == [True, False]
    kept = read(path, na_values=["#N/A", "null"])
    assert kept["gender"].tolist() == ["NA", "None"]


def test_options_for_redcap_only_are_rejected_elsewhere(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,k6_1\na,T1,1\n")
    with pytest.raises(linkwork.DataFormatError, match="events= applies to REDCap"):
        read(path, events={"t1_arm_1": "T1"})


def test_excel_sheet_option(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "notes"
    first.append(["this sheet is not data"])
    data = book.create_sheet("cohort")
    data.append(["participant_id", "wave", "k6_1"])
    data.append(["a", "T1", 3])
    data.append([])
    data.append(["b", "T2", "x"])
    path = tmp_path / "c.xlsx"
    book.save(path)
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path, sheet="cohort")
    # Data row 3 (spreadsheet row 4): the blank row 2 is counted, not renumbered away.
    assert (info.value.row, info.value.column, info.value.value) == (3, "k6_1", "x")
    with pytest.raises(linkwork.DataFormatError, match="no such sheet: got 'Sheet9'") as info:
        read(path, sheet="Sheet9")
    assert "'notes', 'cohort'" in str(info.value)


def test_sav_value_labels_name_waves_and_arms_items_keep_codes(tmp_path: Path) -> None:
    data = pd.DataFrame(
        {
            "pid": ["a", "a", "b"],
            "visit": [3.0, 1.0, 1.0],
            "arm": [1.0, 1.0, 2.0],
            "uls8_1": [1.0, 2.0, 4.0],
        }
    )
    path = tmp_path / "c.sav"
    pyreadstat.write_sav(
        data,
        str(path),
        column_labels={"pid": "Participant", "uls8_1": "I lack companionship"},
        variable_value_labels={
            "visit": {1: "Baseline", 2: "8 weeks", 3: "18 months"},
            "arm": {1: "LWSP", 2: "Usual care"},
            "uls8_1": {1: "Never", 2: "Rarely", 3: "Sometimes", 4: "Often"},
        },
    )
    frame = read(path, id_column="pid", wave_column="visit")
    assert frame["wave"].tolist() == ["18 months", "Baseline", "Baseline"]
    assert frame["wave"].cat.categories.tolist() == ["Baseline", "8 weeks", "18 months"]
    assert frame["arm"].tolist() == ["LWSP", "LWSP", "Usual care"]
    assert frame["uls8_1"].tolist() == [1, 2, 4]
    assert frame.attrs["variable_labels"] == {
        "participant_id": "Participant",
        "uls8_1": "I lack companionship",
    }


def test_sav_labels_of_special_codes_keep_a_number_numeric(tmp_path: Path) -> None:
    data = pd.DataFrame(
        {
            "participant_id": ["a", "b", "c"],
            "wave": ["T1", "T1", "T1"],
            "age": [53.0, 99.0, 61.0],
            "gender": [1.0, 2.0, 1.0],
        }
    )
    path = tmp_path / "c.sav"
    pyreadstat.write_sav(
        data,
        str(path),
        variable_value_labels={"age": {99: "refused"}, "gender": {1: "female", 2: "male"}},
    )
    frame = read(path)
    assert frame["age"].tolist() == [53, 99, 61]  # only some codes labelled: still a number
    assert frame.attrs["value_labels"]["age"] == {99.0: "refused"}
    assert frame["gender"].tolist() == ["female", "male", "female"]  # every code labelled


def test_stata_value_labels_order_waves(tmp_path: Path) -> None:
    data = pd.DataFrame({"participant_id": ["a", "b"], "wave": [2, 1], "k6_1": [0.0, 4.0]})
    path = tmp_path / "c.dta"
    pyreadstat.write_dta(data, str(path), variable_value_labels={"wave": {1: "week 0", 2: "after"}})
    frame = read(path)
    assert frame["wave"].tolist() == ["after", "week 0"]
    assert frame["wave"].cat.categories.tolist() == ["week 0", "after"]


def test_read_table_keeps_raw_columns(make_file: MakeFile) -> None:
    path = make_file("c.csv", "participant_id,wave,uls8_1,note\n007,T1,2,x\n007,T1,9,\n")
    table = read_table(path)  # duplicates and out-of-range values are not its business
    assert list(table.columns) == ["participant_id", "wave", "uls8_1", "note"]
    assert table["participant_id"].tolist() == ["007", "007"]
    assert table["uls8_1"].tolist() == [2, 9]
    assert table["wave"].dtype == "str"


def test_read_table_of_sav_keeps_codes_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "c.sav"
    pyreadstat.write_sav(
        pd.DataFrame({"wave": [1.0, 2.0]}), str(path), variable_value_labels={"wave": {1: "T1"}}
    )
    table = read_table(path)
    assert table["wave"].tolist() == [1.0, 2.0]
    assert table.attrs["value_labels"] == {"wave": {1.0: "T1"}}
