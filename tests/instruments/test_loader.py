"""TOML declarations: built-in and user-defined scales go through the same loader."""

from __future__ import annotations

import dataclasses
import re
from importlib import resources
from pathlib import Path

import pytest

import linkwork.instruments as li
from linkwork.errors import LinkworkError
from linkwork.instruments.loader import PACKAGE_FILES
from linkwork.instruments.spec import SpecError

MINIMAL = """
[my_scale]
title = "My scale"
version = "1"
citation = "Author A (2024). A scale. Journal 1:1-2."
licence = "study-defined"
response = { min = 1, max = 5 }
scoring = "sum"
score_range = [3, 15]
direction = "higher-better"
n_items = 3
"""


def write(tmp_path: Path, text: str, name: str = "scales.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_registry_is_the_package_files_read_by_the_public_loader(tmp_path):
    specs = {}
    for name in PACKAGE_FILES:
        text = resources.files("linkwork.instruments").joinpath(name).read_text(encoding="utf-8")
        specs.update(li.read_scales(write(tmp_path, text, name)))
    assert list(specs) == list(li.REGISTRY)
    for name, spec in specs.items():
        # Only provenance differs: the public loader marks wording as user-supplied.
        assert dataclasses.replace(spec, wording_source=None) == li.REGISTRY[name]
    assert {"lw_relationship", "facilitator_belonging"} <= set(
        li.read_scales(
            write(
                tmp_path,
                resources.files("linkwork.instruments")
                .joinpath("study_scales.toml")
                .read_text(encoding="utf-8"),
            )
        )
    )


def test_load_scales_registers_user_scales(tmp_path, restore_registry):
    path = write(tmp_path, MINIMAL)
    loaded = li.load_scales(path)
    assert list(loaded) == ["my_scale"]
    spec = li.get("my_scale")
    assert spec.item_keys == ("my_scale_1", "my_scale_2", "my_scale_3")
    assert [item.label for item in spec.items] == ["item 1", "item 2", "item 3"]
    with pytest.raises(LinkworkError, match="replace=True"):
        li.load_scales(path)
    li.load_scales(path, replace=True)


def test_load_scales_registers_nothing_when_any_declaration_fails(tmp_path, restore_registry):
    text = MINIMAL + MINIMAL.replace("[my_scale]", "[uls8]")
    with pytest.raises(LinkworkError, match="'uls8' is already registered"):
        li.load_scales(write(tmp_path, text))
    assert "my_scale" not in li.REGISTRY


def test_the_documented_example_declaration_loads(tmp_path, restore_registry):
    page = li.instruments_markdown()
    block = re.search(r"## Your own scales.*?```toml\n(.*?)```", page, re.S)
    assert block is not None
    spec = li.load_scales(write(tmp_path, block.group(1)), replace=True)["lw_relationship"]
    assert spec.reverse_keyed == ("lw_relationship_4",)
    assert spec.has_wording


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (("scoring = ", "scorring = "), "scorring", "unknown key"),
        (('title = "My scale"\n', ""), "title", "required"),
        (("n_items = 3", "n_items = 3\nreverse = [4]"), "reverse", "1-3"),
        (("n_items = 3", 'n_items = 3\ncodings = [{ name = "x" }]'), "codings", "coding"),
        (("max = 5", 'max = "5"'), "response", "number"),
        (("max = 5 }", "max = 5, integer = 1 }"), "response.integer", "true or false"),
        (("max = 5 }", 'max = 5, labels = { one = "x" } }'), "response.labels", "integer"),
        (("n_items = 3", "n_items = 3\nmissing = { max_missing = 1 }"), "missing", "source"),
        (("n_items = 3", 'n_items = 3\ncutoffs = [{ label = "x" }]'), "cutoffs[1]", "band"),
        (("n_items = 3", 'n_items = 3\nitems = [{ label = "a" }]'), "n_items", "listed"),
        (("score_range = [3, 15]", "score_range = [3, 16]"), "score_range", "gives"),
        (
            ("n_items = 3", 'n_items = 3\ntransforms = [{ name = "t" }]'),
            "transforms[1].range",
            "[low, high]",
        ),
    ],
)
def test_declaration_errors_name_file_instrument_and_key(tmp_path, edit, key, message):
    old, new = edit
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(SpecError, match=re.escape(message)) as info:
        li.read_scales(path)
    error = info.value
    assert (error.file, error.instrument, error.key) == (str(path), "my_scale", key)
    assert str(path) in str(error)


def test_invalid_toml_and_non_table_entries(tmp_path):
    with pytest.raises(SpecError, match="not valid TOML"):
        li.read_scales(write(tmp_path, "[x\n"))
    with pytest.raises(SpecError, match="must be a table"):
        li.read_scales(write(tmp_path, 'x = "y"\n'))


def test_counts_are_declared_with_inf(tmp_path):
    text = MINIMAL.replace("min = 1, max = 5", "min = 0, max = inf").replace(
        'scoring = "sum"\nscore_range = [3, 15]', 'scoring = "count"\nscore_range = [0, inf]'
    )
    text = text.replace("n_items = 3", "n_items = 1")
    spec = li.read_scales(write(tmp_path, text))["my_scale"]
    assert not spec.response.bounded
    assert spec.response.describe() == "integer >= 0"
