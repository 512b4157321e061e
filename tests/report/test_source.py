"""Reading an evaluation: meta first, then the plan, then the tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from linkwork.report._source import lookup, read_input


@dataclass
class Plan:
    def to_dict(self) -> dict[str, Any]:
        return {
            "waves": {"order": ["A", "B"], "baseline": "", "labels": {"A": "start"}},
            "analysis": {"alpha": 0.01, "adjust": "bonferroni"},
            "outcomes": [{"name": "y", "title": "Why", "direction": "higher is worse"}],
            "relationships": {"predictors": [{"name": "p", "title": "Pee"}]},
            "disclosure": {"suppress": True, "threshold": 7, "rounding": 5},
        }

    def to_toml(self) -> str:
        return "[waves]\n"


@dataclass
class Bare:
    tables: dict
    meta: dict
    plan: Any
    trajectories: Any = None


def test_plan_fills_what_meta_lacks():
    inp = read_input(Bare({}, {}, Plan()))
    assert inp.waves == ("A", "B")
    assert inp.baseline == "A"
    assert inp.alpha == 0.01
    assert inp.outcome("y").title == "Why"
    assert inp.outcome("y").higher_is_better is False
    assert inp.title_of("p") == "Pee"
    assert inp.wave_label("A") == "A (start)"
    assert inp.wave_label("B") == "B"
    assert inp.plan_text == "[waves]\n"
    assert inp.get("adjust") == "bonferroni"


def test_meta_wins_over_the_plan():
    meta = {"waves": ["B", "A"], "alpha": 0.1, "outcomes": {"y": {"title": "Meta"}}}
    inp = read_input(Bare({}, meta, Plan()))
    assert inp.waves == ("B", "A")
    assert inp.alpha == 0.1
    assert inp.outcome("y").title == "Meta"


def test_lookup_dotted_and_default():
    assert lookup({"a": {"b": {"c": 3}}}, "x", "a.b.c") == 3
    assert lookup({"a": float("nan")}, "a", default=1) == 1
