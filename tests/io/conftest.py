"""Fixtures for the io tests: small hand-built long cohorts with the contract's columns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from linkwork.datasets import demo_cohort


def long_cohort(waves: tuple[str, str, str] = ("T1", "T2", "T3")) -> pd.DataFrame:
    """Three participants, unbalanced waves, every column kind of the long format.

    Built by hand with the dtypes the long format promises (text ``str``, ordered categorical
    wave, ``datetime64[ns]`` date, ``int64`` age, nullable ``Int64`` items), so that a round
    trip can be compared with ``assert_frame_equal`` (values, dtypes and wave order).
    """
    t1, t2, t3 = waves
    return pd.DataFrame(
        {
            "participant_id": pd.array(["007", "007", "P-2", "P-2", "P 3"], dtype="str"),
            "wave": pd.Categorical([t1, t2, t1, t3, t2], categories=list(waves), ordered=True),
            "date": pd.to_datetime(
                ["2021-01-04", "2021-03-01", "2021-01-11", "2022-07-20", "2021-04-02"]
            ).astype("datetime64[ns]"),
            "arm": pd.array(["1", "1", "2", "2", "1"], dtype="str"),
            "site": pd.array(["S1", "S1", "S2", "S2", "S1"], dtype="str"),
            "link_worker": pd.array(["LW1", "LW1", "LW2", "LW2", "LW1"], dtype="str"),
            "age": pd.array([53, 53, 61, 61, 47], dtype="int64"),
            "gender": pd.array(["female", "female", "male", "male", None], dtype="str"),
            "uls8_1": pd.array([1, 2, 4, None, 3], dtype="Int64"),
            "uls8_2": pd.array([2, None, 4, None, 3], dtype="Int64"),
            "uls8_3": pd.array([3, 3, 1, None, 2], dtype="Int64"),
            "uls8_4": pd.array([4, 4, 1, None, 2], dtype="Int64"),
            "k6_1": pd.array([0, 1, 2, 3, None], dtype="Int64"),
            "trust_1": pd.array([4, None, 10, 0, 7], dtype="Int64"),
        }
    )


@pytest.fixture
def cohort() -> pd.DataFrame:
    """A small long cohort with T1..T3 waves."""
    return long_cohort()


@pytest.fixture
def make_cohort() -> Callable[[tuple[str, str, str]], pd.DataFrame]:
    """The small long cohort with other wave labels (in time order)."""
    return long_cohort


@pytest.fixture(scope="session")
def demo() -> pd.DataFrame:
    """The package's demo cohort (64 participants, item level)."""
    return demo_cohort()


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a text file in tmp_path from indented lines; return its path."""

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        lines = [line.strip() for line in text.strip().splitlines()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return make
