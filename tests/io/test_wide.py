"""Wide to long: ``<column>_t<k>`` columns become one row per participant and wave."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import linkwork
from linkwork.io import read, wide_to_long

MakeFile = Callable[[str, str], Path]


def _pivot_wide(long: pd.DataFrame, fixed: list[str]) -> pd.DataFrame:
    """Wide table built with plain pandas: participant-level ``fixed``, the rest ``<c>_t<k>``."""
    varying = [c for c in long.columns if c not in (*fixed, "participant_id", "wave")]
    base = long.groupby("participant_id", sort=False)[fixed].first().reset_index()
    parts = [base]
    for wave in long["wave"].cat.categories:
        block = long.loc[long["wave"] == wave, ["participant_id", *varying]]
        block = block.rename(columns={c: f"{c}_{wave.lower()}" for c in varying})
        parts.append(block.set_index("participant_id"))
    wide = parts[0].set_index("participant_id").join(parts[1:], how="left").reset_index()
    return wide


def test_demo_cohort_wide_to_long_gives_the_cohort_back(demo: pd.DataFrame) -> None:
    fixed = ["site", "link_worker", "age", "gender"]
    wide = _pivot_wide(demo, fixed)
    assert "uls8_1_t3" in wide.columns
    assert len(wide) == 64
    long = wide_to_long(wide)
    expected = demo.sort_values(["participant_id", "wave"], kind="stable")
    order = list(dict.fromkeys(demo["participant_id"]))  # wide rows keep first-seen order
    expected = expected.set_index("participant_id").loc[order].reset_index()
    pd.testing.assert_frame_equal(long, expected)
    assert long.attrs["empty_waves_omitted"] == 64 * 3 - len(demo)


def test_stems_with_and_without_item_numbers() -> None:
    wide = pd.DataFrame(
        {"participant_id": ["a"], "uls8_1_t1": [2], "uls8_t1": [20.5], "uls8_t2": [18.0]}
    )
    long = wide_to_long(wide)
    assert long[["wave", "uls8_1", "uls8"]].astype(object).values.tolist() == [
        ["T1", 2, 20.5],
        ["T2", pd.NA, 18.0],
    ]


def test_mapping_of_suffixes(make_file: MakeFile) -> None:
    path = make_file(
        "wide.csv",
        """
        participant_id,age,k6_1_bl,k6_1_8wk,date_bl,date_8wk
        a,40,1,2,2021-01-01,2021-03-01
        b,50,3,,2021-01-02,
        """,
    )
    long = read(path, layout="wide", waves={"bl": "T1", "8wk": "T2"})
    assert long["participant_id"].tolist() == ["a", "a", "b"]
    assert long["wave"].tolist() == ["T1", "T2", "T1"]
    assert long["k6_1"].tolist() == [1, 2, 3]
    assert long["date"].tolist()[1] == pd.Timestamp("2021-03-01")
    assert long["age"].tolist() == [40, 40, 50]
    assert long.attrs["empty_waves_omitted"] == 1


def test_list_of_labels_matches_suffixes_in_any_case() -> None:
    wide = pd.DataFrame({"participant_id": ["a"], "k6_1_Pre": [1], "k6_1_POST": [0]})
    long = wide_to_long(wide, waves=["pre", "post"])
    assert long["wave"].tolist() == ["pre", "post"]


def test_keep_empty_and_participants_without_data() -> None:
    wide = pd.DataFrame({"participant_id": ["a", "b"], "k6_1_t1": [1, None], "k6_1_t2": [2, None]})
    long = wide_to_long(wide)
    assert long["participant_id"].tolist() == ["a", "a"]
    assert long.attrs["participants_without_wave_data"] == ["b"]
    kept = wide_to_long(wide, keep_empty=True)
    assert kept["participant_id"].tolist() == ["a", "a", "b", "b"]


def test_wide_errors_name_the_wide_row_and_column(make_file: MakeFile) -> None:
    path = make_file(
        "wide.csv",
        """
        participant_id,k6_1_t1,k6_1_t2
        a,1,2
        b,3,sometimes
        """,
    )
    with pytest.raises(linkwork.DataFormatError) as info:
        read(path, layout="wide")
    error = info.value
    assert (error.file, error.row, error.column, error.value) == (
        str(path),
        2,
        "k6_1_t2",
        "sometimes",
    )


def test_duplicate_participant_rows_in_wide_file(make_file: MakeFile) -> None:
    path = make_file("wide.csv", "participant_id,k6_1_t1\na,1\nb,2\na,3\n")
    with pytest.raises(linkwork.DataFormatError, match="duplicate participant") as info:
        read(path, layout="wide")
    assert info.value.row == 3
    assert "row 1" in str(info.value)


def test_no_wave_columns(make_file: MakeFile) -> None:
    path = make_file("wide.csv", "participant_id,k6_1\na,1\n")
    with pytest.raises(linkwork.DataFormatError, match="no wave-specific columns"):
        read(path, layout="wide")


def test_two_columns_for_one_item_and_wave() -> None:
    wide = pd.DataFrame({"participant_id": ["a"], "k6_1_t1": [1], "k6_1_T1": [2]})
    with pytest.raises(linkwork.DataFormatError, match="both hold 'k6_1' at wave 'T1'"):
        wide_to_long(wide)


def test_stem_clashing_with_participant_column() -> None:
    wide = pd.DataFrame({"participant_id": ["a"], "age": [50], "age_t1": [51]})
    with pytest.raises(linkwork.DataFormatError, match="'age' is both"):
        wide_to_long(wide)
