"""Licensed wording supplied by the user is attached to copies of the specs."""

from __future__ import annotations

from pathlib import Path

import pytest

import linkwork.instruments as li
from linkwork.errors import DataFormatError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def wemwbs_toml(n: int = 14) -> str:
    return "\n".join(f'wemwbs_{k} = "Licensed text {k}"' for k in range(1, n + 1))


def test_toml_wording_returns_specs_with_text_and_leaves_registry_alone(tmp_path):
    path = write(tmp_path, "wording.toml", wemwbs_toml())
    specs = li.load_wording(path)
    assert list(specs) == ["wemwbs"]
    spec = specs["wemwbs"]
    assert [item.text for item in spec.items] == [f"Licensed text {k}" for k in range(1, 15)]
    assert spec.wording_source == str(path)
    assert spec.licence == "copyright-scoring-only"
    assert li.get("wemwbs").has_wording is False
    # Scoring is unchanged by wording.
    assert spec.score_range == li.get("wemwbs").score_range


def test_csv_wording_for_several_instruments(tmp_path, restore_registry):
    rows = ["item,text"]
    rows += [f'swemwbs_{k},"Text, item {k}"' for k in range(1, 8)]
    rows += [f"ucla3_{k},UCLA item {k}" for k in range(1, 4)]
    specs = li.load_wording(write(tmp_path, "wording.csv", "\n".join(rows) + "\n"))
    assert list(specs) == ["swemwbs", "ucla3"]
    assert specs["swemwbs"].items[0].text == "Text, item 1"
    li.register(specs["swemwbs"], replace=True)
    assert li.get("swemwbs").has_wording


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("w.toml", wemwbs_toml(13), "incomplete"),
        ("w.toml", wemwbs_toml() + '\nwemwbs_15 = "x"', "unknown item keys"),
        ("w.toml", wemwbs_toml().replace('"Licensed text 3"', '" "'), "non-empty text"),
        ("w.toml", "[wemwbs]\nx = 1", "non-empty text"),
        ("w.toml", "wemwbs_1 = ", "not valid TOML"),
        ("w.csv", "key,wording\nwemwbs_1,x\n", "wrong header"),
        ("w.csv", "item,text\nwemwbs_1,x,y\n", "item key and its text"),
        ("w.csv", "item,text\nucla3_1,a\nucla3_1,b\nucla3_2,c\nucla3_3,d\n", "given twice"),
        ("w.json", "{}", "unsupported"),
    ],
)
def test_bad_wording_files_are_refused(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(DataFormatError, match=message) as info:
        li.load_wording(path)
    assert str(path) in str(info.value)
