"""Wave order rules: explicit lists and mappings, ordered categoricals, natural T1..Tn order."""

from __future__ import annotations

import pandas as pd
import pytest

from linkwork.io import natural_order
from linkwork.io.waves import resolve_waves


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["T2", "T10", "T1"], ["T1", "T2", "T10"]),
        (["Wave 3", "Wave 1"], ["Wave 1", "Wave 3"]),
        (["12", "3"], ["3", "12"]),
        (["T1", "W2"], None),  # two prefixes
        (["T1", "T01"], None),  # the same number twice
        (["baseline", "T1"], None),
        ([], None),
    ],
)
def test_natural_order(labels: list[str], expected: list[str] | None) -> None:
    assert natural_order(labels) == expected


def _resolve(values: list[object], **options: object) -> tuple[pd.Categorical, list]:
    series = pd.Series(values, dtype=object)
    return resolve_waves(series, rows=list(range(1, len(values) + 1)), column="wave", **options)  # type: ignore[arg-type]


def test_list_gives_order_and_validates() -> None:
    waves, problems = _resolve(["b", "a", "c"], waves=["a", "b"])
    assert list(waves.categories) == ["a", "b"]
    assert waves.ordered
    assert [p.row for p in problems] == [3]
    assert problems[0].value == "c"


def test_list_with_duplicate_label_is_a_problem() -> None:
    _, problems = _resolve(["a"], waves=["a", "a"])
    assert problems
    assert "twice" in problems[0].message


def test_mapping_renames_with_text_keys() -> None:
    waves, problems = _resolve([1, 2.0, "1"], waves={1: "T1", "2": "T2"})
    assert not problems
    assert list(waves) == ["T1", "T2", "T1"]


def test_value_labels_order_by_code() -> None:
    waves, problems = _resolve(
        [2.0, 10.0, 1.0], value_labels={10.0: "end", 1.0: "start", 2.0: "mid"}
    )
    assert not problems
    assert list(waves.categories) == ["start", "mid", "end"]
    assert list(waves) == ["mid", "end", "start"]


def test_code_without_value_label() -> None:
    _, problems = _resolve([1.0, 4.0], value_labels={1.0: "start"})
    assert [p.message for p in problems] == ["wave code without a value label"]
    assert problems[0].value == 4.0


def test_display_values_appear_in_messages() -> None:
    _, problems = _resolve(["x"], waves=["T1"], display=["x_arm_1"])
    assert problems[0].value == "x_arm_1"
