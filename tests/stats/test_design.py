"""Model frame and design matrices: R's names, level orders, missing rows, aliasing.

Expected names and level orders are what R 4.2.2's ``model.matrix`` and ``factor()`` give for
the same data (checked by hand with Rscript), and lme4's ``ranef`` row names for ``id:site``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkwork.errors import ModelError
from linkwork.stats.design import build_design
from linkwork.stats.formula import parse_formula


def frame(n_id: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    waves = ["T1", "T2", "T3"]
    df = pd.DataFrame(
        {
            "id": np.repeat(np.arange(1, n_id + 1), 3),
            "wave": waves * n_id,
            "arm": np.repeat(["B", "A"] * (n_id // 2), 3),
            "age": np.repeat(rng.normal(50, 10, n_id), 3),
            "y": rng.normal(size=3 * n_id),
        }
    )
    return df


def design(text: str, data: pd.DataFrame, **kw: object):
    return build_design(parse_formula(text), data, **kw)


def full_x(d) -> np.ndarray:
    return d.X[d.row_code]


def test_r_column_names_and_order() -> None:
    d = design("y ~ wave * arm + age + (1 | id)", frame())
    assert d.x_names == (
        "(Intercept)",
        "waveT2",
        "waveT3",
        "armB",
        "age",
        "waveT2:armB",
        "waveT3:armB",
    )
    assert d.term_columns == {
        "wave": (1, 2),
        "arm": (3,),
        "age": (4,),
        "wave:arm": (5, 6),
    }


def test_design_rows_reproduce_the_dense_matrix() -> None:
    df = frame()
    d = design("y ~ wave * arm + age + (1 | id)", df)
    X = full_x(d)
    wave = df["wave"].to_numpy()
    armb = (df["arm"] == "B").to_numpy(dtype=float)
    expected = np.column_stack(
        [
            np.ones(len(df)),
            wave == "T2",
            wave == "T3",
            armb,
            df["age"],
            (wave == "T2") * armb,
            (wave == "T3") * armb,
        ]
    ).astype(float)
    np.testing.assert_array_equal(X, expected)
    # Distinct rows only: 3 waves x 6 participants' ages.
    assert d.X.shape[0] == 18
    assert d.counts.sum() == len(df)


def test_categorical_design_is_compressed() -> None:
    d = design("y ~ wave * arm + (1 | id)", frame(20))
    assert d.X.shape[0] == 6  # 3 waves x 2 arms, whatever N
    assert d.nobs == 60


def test_level_orders_as_r() -> None:
    df = frame()
    df["wave"] = pd.Categorical(df["wave"], categories=["T3", "T1", "T2"])
    assert design("y ~ wave + (1 | id)", df).x_names == ("(Intercept)", "waveT1", "waveT2")
    df["wave"] = pd.Categorical(df["wave"], categories=["T2", "T3", "T1"], ordered=True)
    assert design("y ~ wave + (1 | id)", df).x_names == ("(Intercept)", "waveT3", "waveT1")
    df["flag"] = df["age"] > 50
    assert design("y ~ flag + (1 | id)", df).x_names == ("(Intercept)", "flagTRUE")


def test_unused_categories_are_dropped() -> None:
    df = frame()
    df["wave"] = pd.Categorical(df["wave"], categories=["T1", "T2", "T3", "T4"])
    assert design("y ~ wave + (1 | id)", df).levels["wave"] == ["T1", "T2", "T3"]


def test_random_effect_columns() -> None:
    df = frame()
    df["t"] = np.tile([0.0, 1.0, 2.0], 6)
    d = design("y ~ t + (1 + t | id)", df)
    assert [b.names for b in d.blocks] == [("(Intercept)", "t")]
    np.testing.assert_array_equal(d.Z[d.row_code], np.column_stack([np.ones(18), df["t"]]))
    d = design("y ~ t + (t || id)", df)
    assert [(b.names, b.columns) for b in d.blocks] == [(("(Intercept)",), (0,)), (("t",), (1,))]


def test_missing_rows_are_excluded_and_counted() -> None:
    df = frame()
    df.loc[[0, 4], "y"] = np.nan
    df.loc[[4, 7], "age"] = np.nan
    df["unused"] = np.nan  # not in the formula: must not exclude anything
    d = design("y ~ wave + age + (1 | id)", df)
    assert d.nobs == 15
    assert d.n_excluded == 3
    assert d.excluded == {"age": 2, "y": 2}
    np.testing.assert_array_equal(d.y, df["y"].drop(index=[0, 4, 7]).to_numpy())


def test_missing_weights_exclude_rows() -> None:
    df = frame()
    w = np.ones(len(df))
    w[3] = np.nan
    d = design("y ~ wave + (1 | id)", df, weights=w)
    assert d.n_excluded == 1
    assert d.excluded == {"(weights)": 1}
    assert d.weights is not None
    assert d.weights.shape == (17,)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ("nope", "not in the data"),
        (np.ones(3), "length 18"),
        (-np.ones(18), "finite positive"),
    ],
)
def test_bad_weights(weights: object, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        design("y ~ wave + (1 | id)", frame(), weights=weights)


def test_rank_deficiency_names_the_aliased_columns() -> None:
    df = frame()
    df["age2"] = 2.0 * df["age"]
    with pytest.raises(ModelError, match=r"\['age2'\]"):
        design("y ~ wave + age + age2 + (1 | id)", df)
    # arm is constant within id and wave x arm has an empty cell: waveT3:armB aliased
    df = frame()
    df = df[~((df["wave"] == "T3") & (df["arm"] == "B"))]
    with pytest.raises(ModelError, match=r"waveT3:armB"):
        design("y ~ wave * arm + (1 | id)", df)


def test_rank_deficiency_on_many_distinct_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    # the Gram-matrix check used for very many distinct rows finds the same columns
    import linkwork.stats.design as design_module

    monkeypatch.setattr(design_module, "ALIAS_QR_MAX_ROWS", 5)
    df = frame()
    df["x"] = np.random.default_rng(1).normal(size=len(df))
    df["x2"] = df["x"] - 3.0 * (df["wave"] == "T2")
    with pytest.raises(ModelError, match=r"\['x2'\]"):
        design("y ~ wave + x + x2 + (1 | id)", df)
    assert design("y ~ wave + x + (1 | id)", df).x_names[-1] == "x"


@pytest.mark.parametrize(
    ("text", "data_change", "match"),
    [
        ("y ~ wave + nope + (1 | id)", None, r"unknown column\(s\) \['nope'\]"),
        ("y ~ wave + (1 | who)", None, "who"),
        ("y ~ wave + (1 | id)", "text_y", "response must be numeric"),
        ("y ~ wave + (1 | id)", "all_na", "no data"),
        ("y ~ wave + (1 | id)", "inf", "infinite"),
        ("y ~ wave + (1 | id)", "singletons", "must be smaller than the number of observations"),
    ],
)
def test_input_errors(text: str, data_change: str | None, match: str) -> None:
    df = frame()
    if data_change == "text_y":
        df["y"] = "a"
    elif data_change == "all_na":
        df["y"] = np.nan
    elif data_change == "inf":
        df.loc[2, "y"] = np.inf
    elif data_change == "singletons":
        df["id"] = np.arange(len(df))
    with pytest.raises(ModelError, match=match):
        design(text, df)


def test_no_rows() -> None:
    with pytest.raises(ModelError, match="no data"):
        design("y ~ wave + (1 | id)", frame().iloc[:0])
