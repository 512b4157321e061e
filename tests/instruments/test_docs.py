"""docs/instruments.md is generated from the registry (staleness: tests/test_docs.py)."""

from __future__ import annotations

import pandas as pd

import linkwork.instruments as li
from linkwork.instruments.docs import KEY_DOCS, markdown_table
from linkwork.instruments.loader import INSTRUMENT_KEYS


def test_page_contains_the_registry_table_and_every_instrument():
    page = li.instruments_markdown()
    assert markdown_table(li.table()) in page
    for spec in li.REGISTRY.values():
        assert f"### `{spec.name}`: {spec.title}" in page
        assert spec.citation in page
    assert "load_wording" in page


def test_every_declaration_key_is_documented():
    assert set(KEY_DOCS) == set(INSTRUMENT_KEYS)


def test_markdown_table_escapes_pipes():
    text = markdown_table(pd.DataFrame({"a": ["x|y"], "b": [1]}))
    assert text.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | 1 |"]
