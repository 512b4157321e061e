"""Building a spec validates it: inconsistent declarations are refused with a named key."""

from __future__ import annotations

import dataclasses
import math

import pytest

from linkwork.errors import LinkworkError
from linkwork.instruments import Band, InstrumentSpec, Item, ResponseRange, SpecError, get


def broken(instrument: str, **changes: object) -> InstrumentSpec:
    return dataclasses.replace(get(instrument), **changes)


def relabel(spec: InstrumentSpec, j: int, **changes: object) -> tuple[Item, ...]:
    items = list(spec.items)
    items[j] = dataclasses.replace(items[j], **changes)
    return tuple(items)


@pytest.mark.parametrize(
    ("name", "changes", "key"),
    [
        ("ucla3", {"score_range": (3, 10)}, "score_range"),
        ("ucla3", {"scoring": "median"}, "scoring"),
        ("ucla3", {"licence": "free"}, "licence"),
        ("ucla3", {"direction": "up"}, "direction"),
        ("ucla3", {"citation": " "}, "citation"),
        ("ucla3", {"name": "UCLA-3"}, "name"),
        ("ucla3", {"items": ()}, "items"),
        ("ucla3", {"cutoffs": (Band("low", 4),)}, "cutoffs"),
        ("ucla3", {"cutoffs": (Band("a", 3), Band("b", 3))}, "cutoffs"),
        ("ucla3", {"cutoffs": (Band("a", 3), Band("b", 10))}, "cutoffs"),
        ("ucla3", {"scoring": "identity"}, "scoring"),
        ("ucla3", {"lookup": ((3.0, 1.0),)}, "lookup"),
        ("swemwbs", {"lookup": get("swemwbs").lookup[:-1]}, "lookup"),
        ("trust", {"scoring": "count", "response": ResponseRange(-1, 10)}, "response"),
        ("k6", {"score_range": (6, 30)}, "score_range"),
        ("k6", {"coding": "2-6"}, "codings"),
        ("uls8", {"missing": dataclasses.replace(get("uls8").missing, max_missing=8)}, "missing"),
    ],
)
def test_inconsistent_declarations_name_the_key(name, changes, key):
    with pytest.raises(SpecError) as info:
        broken(name, **changes)
    assert info.value.key == key
    assert info.value.instrument == changes.get("name", name)
    assert isinstance(info.value, LinkworkError)


def test_lookup_tables_must_be_monotone():
    table = list(get("swemwbs").lookup)
    table[3], table[4] = table[4], table[3]
    swapped = [
        (raw, value) for (raw, _), (_, value) in zip(get("swemwbs").lookup, table, strict=True)
    ]
    with pytest.raises(SpecError, match="monotone"):
        broken("swemwbs", lookup=tuple(swapped))


def test_item_keys_must_be_name_k():
    spec = get("ucla3")
    with pytest.raises(SpecError, match="expected 'ucla3_2'"):
        broken("ucla3", items=relabel(spec, 1, key="ucla3_b"))


def test_scoring_only_licence_refuses_bundled_wording():
    spec = get("wemwbs")
    with pytest.raises(SpecError, match="load_wording"):
        broken("wemwbs", items=relabel(spec, 0, text="some wording"))
    # User-supplied (licensed) wording is recorded with its source and accepted.
    spec = broken("wemwbs", items=relabel(spec, 0, text="wording"), wording_source="mine.toml")
    assert spec.has_wording


def test_unbounded_items_cannot_be_reverse_keyed():
    spec = get("groups")
    with pytest.raises(SpecError, match="reverse-keyed"):
        broken("groups", items=relabel(spec, 0, reverse=True))


def test_separate_scores_need_distinct_score_names():
    spec = get("ons4")
    with pytest.raises(SpecError, match="distinct"):
        broken("ons4", items=relabel(spec, 1, score_name="life_satisfaction"))
    with pytest.raises(SpecError, match="score name"):
        broken("ons4", items=relabel(spec, 1, score_name=None))
    with pytest.raises(SpecError, match="separate scoring"):
        broken("ucla3", items=relabel(get("ucla3"), 0, score_name="x"))


@pytest.mark.parametrize(
    "args",
    [(1, 1), (math.inf, 5), (1.5, 4), (1, 4, True, ((7, "x"),)), (1, 4, True, ((2, ""),))],
)
def test_response_ranges_are_checked(args):
    with pytest.raises(SpecError):
        ResponseRange(*args)


def test_specs_are_frozen_and_reflect_is_an_involution():
    spec = get("uls8")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "x"  # type: ignore[misc]
    assert [spec.response.reflect(spec.response.reflect(x)) for x in (1, 2, 3, 4)] == [1, 2, 3, 4]
    with pytest.raises(SpecError):
        get("groups").response.reflect(1)


def test_codings_and_transforms_are_looked_up_by_name():
    k6 = get("k6")
    assert k6.coding == "0-4"
    australian = k6.with_coding("1-5")
    assert (australian.response.min, australian.response.max) == (1, 5)
    assert australian.with_coding("0-4") == k6
    with pytest.raises(SpecError, match="known codings: '0-4', '1-5'"):
        k6.with_coding("0-3")
    assert get("uls8").transform("0-100").high == 100
    with pytest.raises(SpecError, match="known transforms: none"):
        k6.transform("0-100")
