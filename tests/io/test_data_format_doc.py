"""The error examples in docs/data-format.md are the messages linkwork prints now."""

from __future__ import annotations

from pathlib import Path

import pytest

import linkwork
from linkwork.io import validate

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-format.md"

FILES = {
    "cohort.csv": "participant_id,wave,date,uls8_1\nP01,T1,2021-01-04,2\nP02,T1,2021-01-05,3\n"
    "P01,T2,2021-03-01,1\nP01,T1,2021-01-06,4\n",
    "waves.csv": "participant_id,wave,uls8_1\nP01,T1,2\nP01,T4,1\n",
    "order.csv": "participant_id,wave,uls8_1\nP01,baseline,2\nP01,week 8,1\n",
    "noid.csv": "ID,wave,uls8_1\nP01,T1,2\n",
    "ids.csv": "participant_id,wave,uls8_1\nP01,T1,2\n,T2,1\n",
    "types.csv": "participant_id,wave,date,uls8_1\nP01,T1,04/01/2021,2\nP01,T2,2021-03-01,often\n",
    "wide.csv": "participant_id,uls8_1_t1,uls8_1_t2\nP01,2,1\nP02,3,often\n",
    "redcap.csv": "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,"
    "uls8_1,uls8_complete\n1,baseline_arm_1,,,2,2\n1,baseline_arm_1,contacts,1,,\n",
    "range.csv": "participant_id,wave,uls8_1,k6_1\nP01,T1,2,0\nP02,T1,5,4\nP01,T2,1,7\n",
}

CASES = [
    ("cohort.csv", {}),
    ("waves.csv", {"waves": ["T1", "T2", "T3"]}),
    ("order.csv", {}),
    ("noid.csv", {}),
    ("ids.csv", {}),
    ("types.csv", {}),
    ("wide.csv", {"layout": "wide"}),
    ("redcap.csv", {"events": {"baseline_arm_1": "T1"}}),
]


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def in_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("in_examples")
@pytest.mark.parametrize(("name", "options"), CASES)
def test_error_example_is_current(name: str, options: dict[str, object]) -> None:
    with pytest.raises(linkwork.DataFormatError) as info:
        linkwork.read(name, **options)  # type: ignore[arg-type]
    assert _flat(str(info.value)) in _flat(DOC.read_text(encoding="utf-8"))


@pytest.mark.usefixtures("in_examples")
def test_out_of_range_example_is_current() -> None:
    error = validate("range.csv").errors[0]
    assert _flat(f"error: {error}") in _flat(DOC.read_text(encoding="utf-8"))
