"""Round trips: every writer's file read back equals the frame, wave order and dtypes included.

The frames compared are built by hand (``conftest.long_cohort``) or come from the demo cohort;
the labelled formats are also opened with their own readers (pyreadstat, pandas.read_stata,
openpyxl, the csv module) to check that what was written is what those formats promise.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

import linkwork
from linkwork.io import read, write, write_redcap

MakeCohort = Callable[[tuple[str, str, str]], pd.DataFrame]

FORMATS = ["csv", "tsv", "xlsx", "sav", "dta"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_small_cohort(cohort: pd.DataFrame, tmp_path: Path, fmt: str) -> None:
    path = write(cohort, tmp_path / f"cohort.{fmt}")
    back = read(path)
    pd.testing.assert_frame_equal(back, cohort)
    assert back["wave"].cat.ordered
    assert back["participant_id"].tolist()[0] == "007"  # leading zeros survive


@pytest.mark.parametrize("fmt", [*FORMATS, "redcap"])
def test_round_trip_demo_cohort(demo: pd.DataFrame, tmp_path: Path, fmt: str) -> None:
    path = write(demo, tmp_path / f"demo.{'csv' if fmt == 'redcap' else fmt}", format=fmt)
    back = read(path)
    pd.testing.assert_frame_equal(back, demo)
    assert back.attrs["format"] == fmt


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_labelled_formats_carry_a_non_natural_wave_order(
    make_cohort: MakeCohort, tmp_path: Path, fmt: str
) -> None:
    # "18 months" < "8 weeks" < "baseline" alphabetically: only the value labels keep the order.
    cohort = make_cohort(("baseline", "8 weeks", "18 months"))
    back = read(write(cohort, tmp_path / f"c.{fmt}"))
    assert back["wave"].cat.categories.tolist() == ["baseline", "8 weeks", "18 months"]
    pd.testing.assert_frame_equal(back, cohort)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_formats_need_waves_for_a_non_natural_order(
    make_cohort: MakeCohort, tmp_path: Path, fmt: str
) -> None:
    cohort = make_cohort(("baseline", "8 weeks", "18 months"))
    path = write(cohort, tmp_path / f"c.{fmt}")
    with pytest.raises(linkwork.DataFormatError, match=r"waves=\[\.\.\.\]"):
        read(path)
    back = read(path, waves=["baseline", "8 weeks", "18 months"])
    pd.testing.assert_frame_equal(back, cohort)


def test_sav_has_wave_value_labels_and_variable_labels(
    cohort: pd.DataFrame, tmp_path: Path
) -> None:
    cohort.attrs["variable_labels"] = {"uls8_1": "I lack companionship", "age": "Age in years"}
    path = write(cohort, tmp_path / "c.sav")
    data, meta = pyreadstat.read_sav(str(path))
    assert meta.variable_value_labels["wave"] == {1.0: "T1", 2.0: "T2", 3.0: "T3"}
    assert data["wave"].tolist() == [1.0, 2.0, 1.0, 3.0, 2.0]
    assert meta.column_names_to_labels["uls8_1"] == "I lack companionship"
    back = read(path)
    assert back.attrs["variable_labels"] == {
        "uls8_1": "I lack companionship",
        "age": "Age in years",
    }


def test_item_value_labels_survive_sav_round_trip(cohort: pd.DataFrame, tmp_path: Path) -> None:
    cohort.attrs["value_labels"] = {"uls8_1": {1: "Never", 2: "Rarely", 3: "Sometimes", 4: "Often"}}
    back = read(write(cohort, tmp_path / "c.sav"))
    assert back["uls8_1"].tolist()[:3] == [1, 2, 4]  # codes kept, not labels
    assert back.attrs["value_labels"]["uls8_1"] == {
        1.0: "Never",
        2.0: "Rarely",
        3.0: "Sometimes",
        4.0: "Often",
    }


def test_dta_is_readable_by_pandas_with_ordered_wave(cohort: pd.DataFrame, tmp_path: Path) -> None:
    path = write(cohort, tmp_path / "c.dta")
    stata = pd.read_stata(path, order_categoricals=True)
    assert stata["wave"].cat.categories.tolist() == ["T1", "T2", "T3"]
    assert stata["wave"].astype(str).tolist() == ["T1", "T2", "T1", "T3", "T2"]


def test_xlsx_sheet_and_cell_types(cohort: pd.DataFrame, tmp_path: Path) -> None:
    path = write(cohort, tmp_path / "c.xlsx", sheet="cohort")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["cohort"]
    rows = list(book["cohort"].iter_rows(values_only=True))
    assert rows[0][:3] == ("participant_id", "wave", "date")
    assert rows[1][0] == "007"
    assert rows[1][1] == "T1"
    assert rows[1][2].year == 2021  # a real date cell, not text
    pd.testing.assert_frame_equal(read(path, sheet="cohort"), cohort)


def test_csv_cells_are_plain(cohort: pd.DataFrame, tmp_path: Path) -> None:
    path = write(cohort, tmp_path / "c.csv")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:3] == ["007", "T1", "2021-01-04"]
    assert rows[2][rows[0].index("uls8_2")] == ""  # missing is empty, not "nan" or "<NA>"
    assert rows[1][rows[0].index("uls8_1")] == "1"  # whole codes without ".0"


def test_write_validates_the_frame_first(cohort: pd.DataFrame, tmp_path: Path) -> None:
    bad = pd.concat([cohort, cohort.iloc[[0]]], ignore_index=True)
    with pytest.raises(linkwork.DataFormatError, match="duplicate participant × wave") as info:
        write(bad, tmp_path / "c.csv")
    assert info.value.row == 5
    assert info.value.value == "007"
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "redcap"])
def test_text_formats_refuse_text_that_reads_back_as_missing(
    cohort: pd.DataFrame, tmp_path: Path, fmt: str
) -> None:
    cohort["site"] = pd.array(["S1", "S1", "NA", "NA", "S1"], dtype="str")
    with pytest.raises(linkwork.DataFormatError, match="would read back as missing") as info:
        write(cohort, tmp_path / f"c.{'csv' if fmt == 'redcap' else fmt}", format=fmt)
    assert (info.value.row, info.value.column, info.value.value) == (2, "site", "NA")


def test_labelled_formats_keep_na_text(cohort: pd.DataFrame, tmp_path: Path) -> None:
    cohort["site"] = pd.array(["S1", "S1", "NA", "NA", "S1"], dtype="str")
    pd.testing.assert_frame_equal(read(write(cohort, tmp_path / "c.sav")), cohort)


def test_unknown_output_format(cohort: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(linkwork.DataFormatError, match=r"file .*c\.parquet.*extension"):
        write(cohort, tmp_path / "c.parquet")


def test_redcap_round_trip_with_named_events_and_arms(
    make_cohort: MakeCohort, tmp_path: Path
) -> None:
    cohort = make_cohort(("baseline", "8 weeks", "18 months"))
    cohort["arm"] = cohort["arm"].map({"1": "lwsp", "2": "usual care"}).astype("str")
    path = write_redcap(
        cohort,
        tmp_path / "r.csv",
        events={"baseline": "baseline", "8 weeks": "week_8", "18 months": "month_18"},
        arms={"lwsp": 1, "usual care": 2},
    )
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["redcap_event_name"] for r in rows] == [
        "baseline_arm_1",
        "week_8_arm_1",
        "baseline_arm_2",
        "month_18_arm_2",
        "week_8_arm_1",
    ]
    back = read(
        path,
        events={
            "baseline_arm_1": "baseline",
            "baseline_arm_2": "baseline",
            "week_8_arm_1": "8 weeks",
            "week_8_arm_2": "8 weeks",
            "month_18_arm_1": "18 months",
            "month_18_arm_2": "18 months",
        },
        arms={1: "lwsp", 2: "usual care"},
    )
    pd.testing.assert_frame_equal(back, cohort)


def test_redcap_needs_arm_numbers_for_named_arms(cohort: pd.DataFrame, tmp_path: Path) -> None:
    cohort["arm"] = cohort["arm"].map({"1": "lwsp", "2": "usual care"}).astype("str")
    with pytest.raises(linkwork.DataFormatError, match=r"arms=") as info:
        write_redcap(cohort, tmp_path / "r.csv")
    assert info.value.column == "arm"
    assert info.value.value == "lwsp"
