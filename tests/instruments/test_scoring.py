"""The generic scorer's options, score_all and classify."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import linkwork.instruments as li
from linkwork.errors import DataFormatError, InvalidResponse, PlanError


def items(name: str, *rows: list[object], index=None) -> pd.DataFrame:
    n = len(rows[0])
    return pd.DataFrame(
        {f"{name}_{k}": [row[k - 1] for row in rows] for k in range(1, n + 1)}, index=index
    )


def full_frame() -> pd.DataFrame:
    """Two rows answering every registered instrument at the floor of its score."""
    data = {}
    for spec in li.REGISTRY.values():
        r = spec.response
        for item in spec.items:
            data[item.key] = [r.max if item.reverse else r.min] * 2
    return pd.DataFrame(data, index=["r1", "r2"])


@pytest.mark.parametrize("bad", [-1, 8, 1.0, True, "1"])
def test_impossible_max_missing_is_refused(bad):
    frame = items("uls8", [1] * 8)
    with pytest.raises(PlanError, match="max_missing"):
        li.score("uls8", frame, max_missing=bad)


def test_unknown_options_are_refused_with_the_choices():
    frame = items("k6", [1] * 6)
    with pytest.raises(PlanError, match="one of 0-4, 1-5"):
        li.score("k6", frame, coding="1-4")
    with pytest.raises(PlanError, match="none declared"):
        li.score("uls8", items("uls8", [1] * 8), coding="1-5")
    with pytest.raises(PlanError, match="one of 0-100"):
        li.score("uls8", items("uls8", [1] * 8), transform="z")
    with pytest.raises(li.UnknownInstrument):
        li.score("k10", frame)
    with pytest.raises(TypeError):
        li.score(6, frame)  # type: ignore[arg-type]


def test_columns_option_and_index_alignment():
    frame = items("ucla3", [1, 2, 3], [3, 3, None], index=["x", "x"]).rename(
        columns={"ucla3_2": "lonely_left_out"}
    )
    scores = li.score("ucla3", frame, columns={"ucla3_2": "lonely_left_out"})
    assert scores.index.tolist() == ["x", "x"]
    assert scores.name == "ucla3"
    assert scores.iloc[0] == 6.0
    assert np.isnan(scores.iloc[1])


def test_official_rule_can_be_overridden_explicitly_and_is_recorded():
    frame = items("k6", [2, 3, 1, 0, 4, None])
    strict = li.score("k6", frame, max_missing=0)
    assert np.isnan(strict.iloc[0])
    assert "user option max_missing=0; the official rule allows 1" in strict.attrs["missing_rule"]


def test_swemwbs_prorated_raw_sum_is_interpolated_between_table_rows():
    """3,3,3,3,3,4 and one missing: raw = 19 / 6 x 7 = 22.1667, between 22 -> 19.98 and
    23 -> 20.73 (Stewart-Brown et al. 2009): 19.98 + (1/6) x 0.75 = 20.105."""
    frame = items("swemwbs", [3, 3, 3, 3, 3, 4, None])
    scores = li.score("swemwbs", frame, max_missing=1)
    assert scores.iloc[0] == pytest.approx(19.98 + (19 / 6 * 7 - 22) * 0.75, rel=1e-12)
    assert scores.iloc[0] == pytest.approx(20.105, rel=1e-12)
    assert "interpolation" in scores.attrs["missing_rule"]


def test_attrs_are_plain_and_json_serialisable():
    scores = li.score("uls8", items("uls8", [1] * 8), transform="0-100")
    text = json.dumps(scores.attrs)
    assert json.loads(text)["score_range"] == [0, 100]


def test_score_all_scores_every_instrument_present():
    frame = full_frame()
    frame["participant_id"] = ["a", "b"]
    scores = li.score_all(frame)
    expected = [n for spec in li.REGISTRY.values() for n in spec.score_names]
    assert list(scores.columns) == expected
    assert scores.index.tolist() == ["r1", "r2"]
    assert {"ons4_life_satisfaction", "ons4_worthwhile", "ons4_happy", "ons4_anxious"} <= set(
        scores.columns
    )
    assert set(scores.attrs["scoring"]) == set(li.REGISTRY)
    assert scores.attrs["scoring"]["k6"]["n_prorated"] == 0
    for spec in li.REGISTRY.values():
        assert (scores[list(spec.score_names)] == spec.score_range[0]).all().all()


def test_score_all_options_per_instrument():
    frame = full_frame()
    frame.loc["r1", "k6_1"] = np.nan
    frame.loc["r1", "uls8_1"] = np.nan
    frame.loc["r1", "swemwbs_1"] = np.nan
    frame.loc["r1", "ucla3_1"] = np.nan
    frame[[f"k6_{k}" for k in range(1, 7)]] += 1
    scores = li.score_all(
        frame,
        instruments=["k6", "uls8", "swemwbs", "ucla3"],
        max_missing={"uls8": 1},
        coding={"k6": "1-5"},
        transform={"uls8": "0-100"},
    )
    assert scores.loc["r1", "k6"] == 6.0  # official rule, Australian coding floor
    assert scores.loc["r1", "uls8"] == 0.0
    assert np.isnan(scores.loc["r1", "swemwbs"])
    assert scores.attrs["scoring"]["k6"]["coding"] == "1-5"
    # One integer applies to every multi-item instrument without an official rule.
    everywhere = li.score_all(frame.drop(columns=["k6_2"]).assign(k6_2=np.nan), max_missing=1)
    assert everywhere.loc["r1", "swemwbs"] == 7.0
    assert everywhere.loc["r1", "ucla3"] == 3.0
    assert np.isnan(everywhere.loc["r1", "k6"])  # k6 keeps its official rule: two missing


def test_score_all_refuses_partial_item_sets_and_unknown_names():
    frame = items("uls8", [1] * 7)
    with pytest.raises(DataFormatError, match="'uls8_8'"):
        li.score_all(frame)
    with pytest.raises(PlanError, match="unknown instruments"):
        li.score_all(items("uls8", [1] * 8), coding={"k10": "x"})
    with pytest.raises(DataFormatError, match="k6"):
        li.score_all(items("uls8", [1] * 8), instruments=["k6"])
    empty = li.score_all(pd.DataFrame({"participant_id": ["a"]}))
    assert empty.shape == (1, 0)
    assert empty.attrs["scoring"] == {}


def test_score_all_uses_column_mapping():
    frame = items("ucla3", [1, 2, 3]).rename(columns={"ucla3_3": "isolated"})
    scores = li.score_all(frame, columns={"ucla3_3": "isolated"})
    assert scores["ucla3"].tolist() == [6.0]


def test_classify_uses_recorded_coding_and_refuses_mismatches():
    frame = items("k6", [5, 5, 4, 3, 1, 1])
    australian = li.score("k6", frame, coding="1-5")
    assert li.classify("k6", australian).tolist() == ["probable serious mental illness"]
    scored_all = li.score_all(frame, coding={"k6": "1-5"})
    assert li.classify("k6", scored_all["k6"]).tolist() == ["probable serious mental illness"]
    # Without the record, the default US coding applies.
    assert li.classify("k6", [19]).tolist() == ["serious psychological distress"]
    with pytest.raises(InvalidResponse, match="outside the score range"):
        li.classify("k6", [25])
    with pytest.raises(InvalidResponse, match="not a number"):
        li.classify("k6", ["high"])
    with pytest.raises(PlanError, match="untransformed"):
        li.classify("uls8", li.score("uls8", items("uls8", [1] * 8), transform="0-100"))
    with pytest.raises(PlanError, match="no cut-offs"):
        li.classify("uls8", [10])
    with pytest.raises(PlanError, match="these are uls8 scores"):
        li.classify("k6", li.score("uls8", items("uls8", [1] * 8)))


def test_classify_returns_an_ordered_categorical_aligned_with_scores():
    scores = pd.Series([0.0, np.nan, 13.0], index=["a", "b", "c"])
    bands = li.classify("k6", scores)
    assert bands.index.tolist() == ["a", "b", "c"]
    assert bands.cat.ordered
    assert bands.cat.categories.tolist() == [b.label for b in li.get("k6").cutoffs]
    assert bands.isna().tolist() == [False, True, False]
    assert bands.name == "k6_band"
