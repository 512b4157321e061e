"""The registry: contents required by the shared contract, read-only access, the table."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

import linkwork.instruments as li
from linkwork.errors import LinkworkError

# The shared contract (/tmp/contract.md) and reference/instruments.md: name -> (items, response
# min, response max, scoring rule, reverse-keyed items).
CONTRACT = {
    "ons_loneliness": (1, 1, 5, "identity", ()),
    "ucla3": (3, 1, 3, "sum", ()),
    "uls8": (8, 1, 4, "sum", (3, 6)),
    "k6": (6, 0, 4, "sum", ()),
    "wemwbs": (14, 1, 5, "sum", ()),
    "swemwbs": (7, 1, 5, "lookup", ()),
    "srh": (1, 1, 5, "identity", (1,)),
    "trust": (1, 0, 10, "identity", ()),
    "groups": (1, 0, math.inf, "count", ()),
    "ons4": (4, 0, 10, "separate", ()),
    "lw_relationship": (5, 1, 7, "mean", ()),
    "facilitator_belonging": (4, 1, 7, "mean", ()),
}


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_registry_holds_the_contract_instruments(name):
    n_items, low, high, rule, reverse = CONTRACT[name]
    spec = li.get(name)
    assert spec.name == name
    assert (spec.n_items, spec.response.min, spec.response.max) == (n_items, low, high)
    assert spec.response.integer
    assert spec.scoring == rule
    assert spec.reverse_keyed == tuple(f"{name}_{k}" for k in reverse)


def test_study_scales_are_declared_in_their_own_file():
    from importlib import resources

    text = resources.files("linkwork.instruments").joinpath("study_scales.toml").read_text()
    assert "[lw_relationship]" in text
    assert "[facilitator_belonging]" in text


def test_registry_is_a_read_only_mapping():
    assert set(li.REGISTRY) == set(CONTRACT)
    assert len(li.REGISTRY) == len(CONTRACT)
    with pytest.raises(TypeError):
        li.REGISTRY["x"] = li.get("k6")  # type: ignore[index]
    with pytest.raises(TypeError):
        del li.REGISTRY["k6"]  # type: ignore[attr-defined]


def test_unknown_names_list_the_known_ones():
    with pytest.raises(li.UnknownInstrument) as info:
        li.get("wembws")
    message = str(info.value)
    assert "'wembws'" in message
    assert "did you mean 'wemwbs'" in message
    for name in CONTRACT:
        assert name in message
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, LinkworkError)
    assert "nope" not in li.REGISTRY


def test_register_adds_and_refuses_silent_redefinition(restore_registry):
    spec = dataclasses.replace(li.get("ucla3"), version="UCLA-3, our wording")
    with pytest.raises(LinkworkError, match="already registered"):
        li.register(spec)
    li.register(spec, replace=True)
    assert li.get("ucla3").version == "UCLA-3, our wording"
    with pytest.raises(TypeError):
        li.register("ucla3")  # type: ignore[arg-type]


def test_registry_copy_is_independent():
    copy = li.REGISTRY.copy()
    copy.register(dataclasses.replace(li.get("ucla3"), version="v2"), replace=True)
    assert li.get("ucla3").version != "v2"


def test_table_has_one_row_per_instrument():
    table = li.table()
    assert list(table.columns) == ["name", "title", "items", "range", "direction", "licence"]
    assert table["name"].tolist() == list(li.REGISTRY)
    rows = table.set_index("name")
    assert rows.loc["uls8", "items"] == 8
    assert rows.loc["uls8", "range"] == "8-32"
    assert rows.loc["uls8", "direction"] == "higher = worse"
    assert rows.loc["groups", "range"] == "0 or more"
    assert rows.loc["ons4", "range"] == "0-10 each"
    assert "anxious: higher = worse" in rows.loc["ons4", "direction"]
    assert rows.loc["wemwbs", "licence"] == "copyright-scoring-only"
    assert pd.api.types.is_integer_dtype(table["items"])
