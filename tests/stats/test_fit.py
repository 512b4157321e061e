"""Random-effects structure (lme4's layout, nesting, crossing) and the optimiser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkwork.errors import ModelError
from linkwork.stats.design import build_design
from linkwork.stats.fit import random_structure
from linkwork.stats.formula import parse_formula


def long(n_id: int = 30, seed: int = 1, id_sd: float = 1.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n_id), 4)
    t = np.tile([0.0, 1.0, 2.0, 3.0], n_id)
    df = pd.DataFrame({"id": ids, "t": t, "site": ids % 5, "worker": ids % 3})
    df["y"] = (
        1.0
        + 0.5 * t
        + id_sd * rng.normal(size=n_id)[ids]
        + 0.3 * rng.normal(size=n_id)[ids] * t
        + rng.normal(size=ids.size)
    )
    return df


def structure(text: str, df: pd.DataFrame):
    return random_structure(build_design(parse_formula(text), df))


def test_theta_layout_as_lme4() -> None:
    s = structure("y ~ t + (1 + t | id)", long())
    assert s.kind == "single"
    assert (s.rows, s.cols) == ((0, 1, 1), (0, 0, 1))  # lower triangle, column by column
    s = structure("y ~ t + (t || id)", long())
    assert (s.rows, s.cols) == ((0, 1), (0, 1))


def test_terms_ordered_by_decreasing_levels() -> None:
    df = long()
    df["id_in_site"] = df["id"]  # 30 levels, nested in site (5 levels)
    s = structure("y ~ t + (1 | site) + (1 | id_in_site)", df)
    assert s.kind == "nested"
    assert [b.group for b in s.blocks] == ["id_in_site", "site"]
    assert (s.inner, s.outer) == ("id_in_site", "site")


def test_crossed_factors_are_out_of_scope() -> None:
    df = long()
    df["worker"] = np.tile([0, 1, 2, 0], 30)  # participants see several workers
    with pytest.raises(ModelError, match="crossed random effects are out of scope"):
        structure("y ~ t + (1 | id) + (1 | worker)", df)


def test_unsupported_structures() -> None:
    df = long()
    with pytest.raises(ModelError, match="only random intercepts"):
        structure("y ~ t + (1 + t | id) + (1 | site)", df)
    df["cohort"] = df["site"] % 2
    with pytest.raises(ModelError, match="at most two nested levels"):
        structure("y ~ t + (1 | id) + (1 | site) + (1 | cohort)", df)
