"""Generated documentation pages must match what the code renders now."""

from pathlib import Path

import pytest

from linkwork._docs import PAGES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_generated_page_is_current(page):
    committed = (ROOT / page).read_text(encoding="utf-8")
    assert committed == PAGES[page](), f"{page} is stale: run `python -m linkwork._docs`"


def test_readme_starts_with_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    block = setup.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./dev demo", "./dev test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev test" in ci
