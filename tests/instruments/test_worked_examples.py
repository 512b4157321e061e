"""One worked example per instrument, computed by hand from the published source it cites.

Each test is named test_<instrument>_... (test_contract.py checks that every registered
instrument has one). The expected numbers are worked out in the docstrings from the source's
keying and rules, never copied from linkwork's output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import linkwork.instruments as li
from linkwork.errors import InvalidResponse


def items(name: str, *rows: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {f"{name}_{k}": [row[k - 1] for row in rows] for k in range(1, len(rows[0]) + 1)}
    )


def test_uls8_hays_dimatteo_keying():
    """Hays & DiMatteo (1987), J Pers Assess 51:69-81: 1 = Never ... 4 = Often, items 3 and 6
    reverse-scored (5 - raw), total = sum (8-32, higher = lonelier); 0-100 = (mean - 1) x 100 / 3.

    Answers 4, 3, 1, 2, 3, 2, 4, 1 -> keyed 4, 3, 4, 2, 3, 3, 4, 1 -> 24; mean 3 -> 66.67.
    Answering "Often" to everything -> 6 x 4 + 2 x 1 = 26.
    """
    frame = items("uls8", [4, 3, 1, 2, 3, 2, 4, 1], [4] * 8)
    assert li.score("uls8", frame).tolist() == [24.0, 26.0]
    rescaled = li.score("uls8", frame, transform="0-100")
    assert rescaled.tolist() == pytest.approx([200 / 3, (26 / 8 - 1) * 100 / 3], rel=1e-12)
    assert li.get("uls8").reverse_keyed == ("uls8_3", "uls8_6")


def test_uls8_rejects_five_and_words():
    """Responses are 1-4 (Hays & DiMatteo 1987): a 5 or the word "often" is not a code."""
    for bad in (5, "often"):
        frame = items("uls8", [1, 1, bad, 1, 1, 1, 1, 1]).astype(object)
        with pytest.raises(InvalidResponse, match="uls8_3") as info:
            li.score("uls8", frame)
        assert info.value.value == bad
        assert "1-4" in info.value.expected


def test_ucla3_hughes_2004_sum():
    """Hughes et al. (2004), Research on Aging 26:655-672, ONS coding: 1 = Hardly ever or never,
    2 = Some of the time, 3 = Often; total 3-9. Answers 1, 2, 3 -> 6; all Often -> 9."""
    assert li.score("ucla3", items("ucla3", [1, 2, 3], [3, 3, 3])).tolist() == [6.0, 9.0]


def test_ons_loneliness_headline_often_or_always():
    """ONS (2018) loneliness guidance: "How often do you feel lonely?" coded 1 = Never ...
    5 = Often or always; the headline figure is the share answering often or always."""
    scores = li.score("ons_loneliness", items("ons_loneliness", [1], [4], [5]))
    assert scores.tolist() == [1.0, 4.0, 5.0]
    bands = li.classify("ons_loneliness", scores)
    assert (bands == "often or always").tolist() == [False, False, True]


def test_k6_act_health_rule_one_missing():
    """K6 (Kessler et al. 2002, 2003), US coding 0-4, total 0-24; ACT Health rule: exactly one
    missing item is replaced by the mean of the five answered items; more missing -> missing.

    Row 1: 2, 3, 1, 0, 4, missing -> mean of five = 10 / 5 = 2 -> 10 + 2 = 12 (8-12 moderate).
    Row 2: 4, 4, 3, 2, 0, 0 -> 13 (>= 13 serious psychological distress).
    Row 3: two items missing -> score missing.
    """
    frame = items("k6", [2, 3, 1, 0, 4, None], [4, 4, 3, 2, 0, 0], [1, 1, 1, 1, None, None])
    scores = li.score("k6", frame)
    assert scores.iloc[:2].tolist() == [12.0, 13.0]
    assert math.isnan(scores.iloc[2])
    assert (scores.attrs["n_prorated"], scores.attrs["n_missing"]) == (1, 1)
    assert "ACT Health" in scores.attrs["missing_rule"]
    bands = li.classify("k6", scores)
    assert bands.iloc[:2].tolist() == ["moderate distress", "serious psychological distress"]


def test_k6_australian_coding_1_to_5():
    """Australian K6 coding 1-5, total 6-30, probable serious mental illness 19-30.

    Row 1: 3, 4, 2, 1, 5, missing -> 15 + mean 3 = 18 (below 19). Row 2: 5, 5, 4, 3, 1, 1 -> 19.
    A 0 is not a code in this coding.
    """
    frame = items("k6", [3, 4, 2, 1, 5, None], [5, 5, 4, 3, 1, 1])
    scores = li.score("k6", frame, coding="1-5")
    assert scores.tolist() == [18.0, 19.0]
    assert li.classify("k6", scores).tolist() == [
        "below threshold",
        "probable serious mental illness",
    ]
    with pytest.raises(InvalidResponse):
        li.score("k6", items("k6", [0, 1, 1, 1, 1, 1]), coding="1-5")


def test_wemwbs_tennant_2007_sum():
    """Tennant et al. (2007), HQLO 5:63: 14 positively worded items 1-5, none reversed,
    total = sum 14-70. Answers 3 4 2 5 1 3 3 4 4 2 5 3 4 3 -> 46; one item missing -> missing
    (no official missing-item rule)."""
    row = [3, 4, 2, 5, 1, 3, 3, 4, 4, 2, 5, 3, 4, 3]
    scores = li.score("wemwbs", items("wemwbs", row, [*row[:13], None]))
    assert scores.iloc[0] == 46.0
    assert math.isnan(scores.iloc[1])
    assert all(item.text is None for item in li.get("wemwbs").items)


def test_swemwbs_stewart_brown_2009_conversion_table():
    """Stewart-Brown et al. (2009), HQLO 7:15, raw-to-metric table: raw 21 -> 19.25,
    raw 7 -> 7.00, raw 34 -> 32.55, raw 20 (2+3+4+1+5+2+3) -> 18.59, raw 35 -> 35.00."""
    frame = items(
        "swemwbs",
        [3, 3, 3, 3, 3, 3, 3],
        [1] * 7,
        [5, 5, 5, 5, 5, 5, 4],
        [2, 3, 4, 1, 5, 2, 3],
        [5] * 7,
    )
    assert li.score("swemwbs", frame).tolist() == [19.25, 7.00, 32.55, 18.59, 35.00]


def test_srh_sf36_recoded_higher_is_better():
    """SF-36 item 1 raw coding 1 = Excellent ... 5 = Poor, recoded so that higher = better
    (1 = Poor ... 5 = Excellent): raw 1, 2, 3, 4, 5 -> 5, 4, 3, 2, 1."""
    scores = li.score("srh", items("srh", [1], [2], [3], [4], [5]))
    assert scores.tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]


def test_trust_ess_0_to_10():
    """ESS ppltrst: 0 = You can't be too careful ... 10 = Most people can be trusted; the score
    is the answer. 11 is not a code."""
    assert li.score("trust", items("trust", [0], [7], [10])).tolist() == [0.0, 7.0, 10.0]
    with pytest.raises(InvalidResponse):
        li.score("trust", items("trust", [11]))


def test_groups_non_negative_count():
    """Number of meaningful social groups (Sharman et al. 2025): a non-negative integer count
    with no upper bound; -1 and 2.5 are not counts."""
    assert li.score("groups", items("groups", [0], [3], [12])).tolist() == [0.0, 3.0, 12.0]
    for bad in (-1, 2.5):
        with pytest.raises(InvalidResponse):
            li.score("groups", items("groups", [bad]))


def test_ons4_four_separate_scores():
    """ONS4 (ONS personal well-being): four 0-10 questions reported separately - life
    satisfaction, worthwhile, happy yesterday, anxious yesterday (higher = worse)."""
    frame = items("ons4", [8, 7, 6, 3], [10, None, 0, 10])
    scores = li.score("ons4", frame)
    assert list(scores.columns) == [
        "ons4_life_satisfaction",
        "ons4_worthwhile",
        "ons4_happy",
        "ons4_anxious",
    ]
    expected = np.array([[8, 7, 6, 3], [10, np.nan, 0, 10]], dtype=float)
    np.testing.assert_array_equal(scores.to_numpy(), expected)
    assert scores.attrs["n_missing_by_score"]["ons4_worthwhile"] == 1
    assert li.get("ons4").items[3].direction == "higher-worse"


def test_lw_relationship_item_mean():
    """Relationship with the link worker (Sharman et al. 2025): 1-7 agreement, score = item
    mean. 7, 6, 5, 7, 6 -> 31 / 5 = 6.2."""
    assert li.score("lw_relationship", items("lw_relationship", [7, 6, 5, 7, 6])).tolist() == [
        pytest.approx(6.2, rel=1e-15)
    ]


def test_facilitator_belonging_item_mean():
    """Facilitator fosters belonging (Sharman et al. 2025): 1-7, score = item mean.
    5, 6, 7, 4 -> 22 / 4 = 5.5; with max_missing=1 and item 4 missing -> 18 / 3 = 6."""
    frame = items("facilitator_belonging", [5, 6, 7, 4], [5, 6, 7, None])
    assert li.score("facilitator_belonging", frame, max_missing=1).tolist() == [5.5, 6.0]
