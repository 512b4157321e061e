"""Response checking: accept exactly the allowed codes and missing values, coerce nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import linkwork.instruments as li
from linkwork.errors import DataFormatError, InvalidResponse, PlanError
from linkwork.instruments.responses import item_columns, item_matrix, parse_responses

ULS8 = li.get("uls8")


def column(values, dtype=None, name="uls8_1", index=None) -> pd.Series:
    return pd.Series(values, dtype=dtype, name=name, index=index)


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([1, 2, None, 4], "Int64"),
        ([1.0, 2.0, np.nan, 4.0], "float64"),
        (["1", "2", None, "4"], "str"),
        (["1", "2.0", pd.NA, "+4"], "string"),
        ([1, "2", None, np.int8(4)], object),
        ([1, 2, None, 4], pd.CategoricalDtype([1, 2, 3, 4])),
    ],
)
def test_allowed_codes_and_missing_values_in_any_dtype(values, dtype):
    parsed = parse_responses(ULS8, column(values, dtype))
    np.testing.assert_array_equal(parsed, [1.0, 2.0, np.nan, 4.0])


@pytest.mark.parametrize(
    ("values", "dtype", "bad"),
    [
        ([1, 5], "int64", 5),
        ([1, 0], "Int64", 0),
        ([1, 2.5], "float64", 2.5),
        ([1, np.inf], "float64", np.inf),
        ([1, "often"], "str", "often"),
        ([1, " 3"], object, " 3"),
        ([1, "2.5"], object, "2.5"),
        ([1, "3e0"], object, "3e0"),
        ([1, ""], object, ""),
        ([1, True], object, True),
        ([None, True], "boolean", True),
        ([1, [2]], object, [2]),
        ([np.nan, "Often"], pd.CategoricalDtype(["Never", "Often"]), "Often"),
    ],
)
def test_invalid_values_raise_with_row_column_value_and_range(values, dtype, bad):
    series = column(values, dtype, index=["a", "b"])
    with pytest.raises(InvalidResponse) as info:
        parse_responses(ULS8, series)
    error = info.value
    assert error.row == "b"
    assert error.column == "uls8_1"
    assert error.value == bad
    assert error.expected.startswith("integer 1-4 (1 = Never")
    assert "row b, column 'uls8_1'" in str(error)


def test_error_counts_the_other_invalid_values_in_the_column():
    with pytest.raises(InvalidResponse, match=r"\(2 more invalid in this column\)") as info:
        parse_responses(ULS8, column([1, 7, 2, 8, 9]))
    assert (info.value.row, info.value.value) == (1, 7)


def test_numpy_scalars_are_reported_as_plain_values():
    with pytest.raises(InvalidResponse) as info:
        parse_responses(ULS8, column([1, 5], "int64"))
    assert type(info.value.value) is int
    assert "got 5," in str(info.value)


def test_columns_map_item_keys_to_other_names():
    names = item_columns(ULS8, {"uls8_1": "q1", "uls8_8": "q8"})
    assert names == ("q1", *[f"uls8_{k}" for k in range(2, 8)], "q8")
    with pytest.raises(PlanError, match="not uls8 items"):
        item_columns(ULS8, {"uls8_9": "q9"})
    with pytest.raises(PlanError, match="its own column"):
        item_columns(ULS8, {"uls8_1": "uls8_2"})


def test_absent_and_duplicated_columns_are_data_format_errors():
    frame = pd.DataFrame({f"uls8_{k}": [1] for k in range(1, 7)})
    with pytest.raises(DataFormatError, match="'uls8_7', 'uls8_8'"):
        item_matrix(ULS8, frame)
    doubled = pd.concat([frame, frame[["uls8_1"]]], axis=1).assign(uls8_7=1, uls8_8=1)
    with pytest.raises(DataFormatError, match="more than once: 'uls8_1'"):
        item_matrix(ULS8, doubled)


def test_plain_boolean_columns_are_rejected():
    with pytest.raises(InvalidResponse) as info:
        parse_responses(ULS8, column([True, False], "bool"))
    assert (info.value.row, info.value.value) == (0, True)
