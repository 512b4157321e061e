"""Fixtures for the synthetic data tests: cohorts scored by linkwork's real instruments."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from linkwork.datasets import demo_cohort


def scored(frame: pd.DataFrame) -> pd.DataFrame:
    """participant_id, wave and every registry score of *frame* (linkwork.instruments)."""
    from linkwork.instruments import score_all

    scores = score_all(frame)
    keys = frame[["participant_id", "wave"]]
    return pd.concat([keys, scores.astype("float64")], axis=1).set_axis(frame.index)


def wide(scores: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One row per participant, one column per wave, for *outcome*."""
    table = scores.pivot(index="participant_id", columns="wave", values=outcome)
    return table.set_axis([str(c) for c in table.columns], axis=1)


def standardised_change(scores: pd.DataFrame, outcome: str, wave: str) -> float:
    """Mean within-person change baseline -> *wave* divided by the SD at baseline (all there)."""
    table = wide(scores, outcome)
    first = str(scores["wave"].cat.categories[0])
    change = (table[wave] - table[first]).dropna()
    return float(change.mean() / table[first].std(ddof=1))


def pearson(x: pd.Series, y: pd.Series) -> float:
    """Pearson r over pairs where both are present."""
    both = pd.concat([x, y], axis=1).dropna().to_numpy(dtype=float)
    return float(np.corrcoef(both[:, 0], both[:, 1])[0, 1])


@pytest.fixture(scope="session")
def measure() -> SimpleNamespace:
    """The helpers above, for test modules (importlib mode cannot import conftest)."""
    return SimpleNamespace(scored=scored, wide=wide, d=standardised_change, r=pearson)


@pytest.fixture(scope="session")
def demo() -> pd.DataFrame:
    return demo_cohort()


@pytest.fixture(scope="session")
def demo_scores(demo: pd.DataFrame) -> pd.DataFrame:
    return scored(demo)
