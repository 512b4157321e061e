"""One contract, checked for every instrument in the registry (and every declared coding).

A new instrument declared in TOML is covered here with no new test code; it needs only a
worked example in test_worked_examples.py (the last test below insists on one).

The expectations are the published rules as stated in /work/shared/reference/instruments.md:
reversed item = min + max - raw; floor and ceiling of the declared score range reached by the
keyed extreme answers; a score is missing if any item is missing unless an official rule or
the `max_missing=k` option allows prorating (mean of answered items x item count).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import linkwork.instruments as li
from linkwork.errors import DataFormatError, InvalidResponse
from linkwork.instruments.scoring import resolve
from linkwork.instruments.spec import LICENCES, InstrumentSpec

CASES = [
    (name, coding)
    for name, spec in li.REGISTRY.items()
    for coding in ([c.name for c in spec.codings] or [None])
]
INDEX = pd.Index(["p1-T1", "p1-T2", "p2-T1"], name="row")


@pytest.fixture(params=CASES, ids=[f"{n}-{c}" if c else n for n, c in CASES])
def spec(request: pytest.FixtureRequest) -> InstrumentSpec:
    name, coding = request.param
    return resolve(name, coding=coding)


def frame_of(spec: InstrumentSpec, rows: list[list[object]], index=None) -> pd.DataFrame:
    data = {key: [row[j] for row in rows] for j, key in enumerate(spec.item_keys)}
    return pd.DataFrame(data, index=index)


def upper(spec: InstrumentSpec) -> float:
    """The top response, or a large count where there is no upper bound."""
    return spec.response.max if spec.response.bounded else 1000.0


def middle(spec: InstrumentSpec) -> float:
    return float(math.floor((spec.response.min + upper(spec)) / 2))


def extreme(spec: InstrumentSpec, low: bool) -> list[float]:
    """Raw answers whose keyed values are all at the bottom (low) or top of the range."""
    r = spec.response
    return [
        (r.max if item.reverse else r.min) if low else (r.min if item.reverse else upper(spec))
        for item in spec.items
    ]


def score(spec: InstrumentSpec, frame: pd.DataFrame, **options) -> pd.DataFrame:
    """Scores as a DataFrame, whether the instrument gives one score or several."""
    result = li.score(spec, frame, **options)
    return result.to_frame() if isinstance(result, pd.Series) else result


def test_items_are_keyed_name_k_and_scored_by_column_name(spec):
    assert spec.n_items == len(spec.items) >= 1
    assert spec.item_keys == tuple(f"{spec.name}_{k}" for k in range(1, spec.n_items + 1))
    assert all(item.label.strip() for item in spec.items)
    frame = frame_of(spec, [[middle(spec)] * spec.n_items] * 3, index=INDEX)
    scored = score(spec, frame)
    assert list(scored.columns) == list(spec.score_names)
    assert scored.index.equals(INDEX)
    # Columns are found by name, not position, and unrelated columns are ignored.
    shuffled = frame[list(reversed(frame.columns))].assign(other=["x", "y", "z"])
    pd.testing.assert_frame_equal(score(spec, shuffled), scored)


def test_absent_item_columns_are_named(spec):
    frame = frame_of(spec, [[middle(spec)] * spec.n_items])
    dropped = [spec.item_keys[-1]] + ([spec.item_keys[0]] if spec.n_items > 1 else [])
    with pytest.raises(DataFormatError) as info:
        li.score(spec, frame.drop(columns=dropped))
    for key in dropped:
        assert repr(key) in str(info.value)


@pytest.mark.parametrize("kind", ["below", "above", "fraction", "word", "bool"])
def test_invalid_responses_are_rejected_naming_row_column_value_range(spec, kind):
    r = spec.response
    bad = {
        "below": r.min - 1,
        "above": r.max + 1,
        "fraction": r.min + 0.5,
        "word": "often",
        "bool": True,
    }[kind]
    if kind == "above" and not r.bounded:
        # A count has no ceiling: a large count is a valid response, not an error.
        frame = frame_of(spec, [[middle(spec) + 1000] * spec.n_items])
        assert li.score(spec, frame).notna().all()
        return
    if kind == "fraction" and not r.integer:
        pytest.skip("not an integer scale")
    for j, key in enumerate(spec.item_keys):
        rows = [[middle(spec)] * spec.n_items for _ in INDEX]
        frame = frame_of(spec, rows, index=INDEX)
        frame[key] = frame[key].astype(object)
        frame.loc["p1-T2", key] = bad
        with pytest.raises(InvalidResponse) as info:
            li.score(spec, frame)
        error = info.value
        assert (error.row, error.column, error.value) == ("p1-T2", key, bad), j
        assert r.describe() in error.expected
        assert "p1-T2" in str(error)
        assert key in str(error)
        assert repr(bad) in str(error)


def test_exact_numeric_strings_are_accepted_but_nothing_else_is_coerced(spec):
    values = [spec.response.min, middle(spec), upper(spec)]
    numbers = frame_of(spec, [[v] * spec.n_items for v in values])
    strings = numbers.map(lambda v: str(int(v)))
    pd.testing.assert_frame_equal(score(spec, strings), score(spec, numbers))
    for text in (" 1", "1 ", "1e0", "nan", ""):
        frame = strings.copy()
        frame.iloc[0, 0] = text
        with pytest.raises(InvalidResponse):
            li.score(spec, frame)


def test_reverse_keying_is_min_plus_max_minus_raw(spec):
    """Scoring raw x on a reversed item equals scoring min + max - x on it unreversed."""
    r = spec.response
    for j, item in enumerate(spec.items):
        rows = []
        for x in (r.min, middle(spec), upper(spec)):
            row = [middle(spec)] * spec.n_items
            row[j] = x
            rows.append(row)
        frame = frame_of(spec, rows)
        scored = score(spec, frame)
        if item.reverse:
            flipped = replace(item, reverse=False)
            plain = replace(spec, items=(*spec.items[:j], flipped, *spec.items[j + 1 :]))
            reflected = frame.assign(**{item.key: r.min + r.max - frame[item.key]})
            pd.testing.assert_frame_equal(score(plain, reflected), scored)
        column = scored.iloc[:, j] if spec.scoring == "separate" else scored.iloc[:, 0]
        step = np.diff(column.to_numpy())
        increasing = (step > 0).all()
        decreasing = (step < 0).all()
        if spec.scoring == "lookup" and spec.lookup[0][1] > spec.lookup[-1][1]:
            increasing, decreasing = decreasing, increasing
        assert decreasing if item.reverse else increasing, (item.key, column.tolist())


def test_floor_and_ceiling_reach_the_declared_score_range(spec):
    low, high = spec.score_range
    frame = frame_of(spec, [extreme(spec, low=True), extreme(spec, low=False)])
    scored = score(spec, frame)
    for column in scored.columns:
        assert scored[column].iloc[0] == low
        if math.isinf(high):
            assert scored[column].iloc[1] == upper(spec)
        else:
            assert scored[column].iloc[1] == high
    for transform in spec.transforms:
        rescaled = li.score(spec, frame, transform=transform.name)
        assert rescaled.tolist() == pytest.approx([transform.low, transform.high], abs=1e-12)
        assert rescaled.attrs["transform"] == transform.name
    if spec.cutoffs:
        bands = li.classify(spec, scored.iloc[:, 0])
        assert bands.tolist() == [spec.cutoffs[0].label, spec.cutoffs[-1].label]


def missing_rows(spec: InstrumentSpec, n_missing: int) -> tuple[pd.DataFrame, list[float]]:
    """A complete row and a row with the last n_missing items missing; answered keyed values."""
    r = spec.response
    span = int(upper(spec) - r.min)
    raw = [r.min + (j * 3 + 1) % (span + 1) for j in range(spec.n_items)]
    holes = [*raw[: spec.n_items - n_missing], *[None] * n_missing]
    keyed = [r.min + r.max - x if it.reverse else x for x, it in zip(raw, spec.items, strict=True)]
    return frame_of(spec, [raw, holes]), keyed[: spec.n_items - n_missing]


def expected_prorated(spec: InstrumentSpec, answered: list[float]) -> float:
    """The published prorating rule: mean of answered items (x item count for sums)."""
    mean = sum(answered) / len(answered)
    if spec.scoring == "mean":
        return mean
    raw = mean * spec.n_items
    if spec.scoring == "lookup":
        table = dict(spec.lookup)
        if raw in table:
            return table[raw]
        below, above = math.floor(raw), math.ceil(raw)
        return table[below] + (raw - below) * (table[above] - table[below])
    return raw


def check_rule(spec: InstrumentSpec, k: int, options: dict) -> None:
    """With k items missing the score is prorated; with k + 1 it is missing."""
    frame, answered = missing_rows(spec, k)
    scored = li.score(spec, frame, **options)
    assert not math.isnan(scored.iloc[1])
    if k:
        assert scored.iloc[1] == pytest.approx(expected_prorated(spec, answered), rel=1e-12)
    assert (scored.attrs["n_prorated"], scored.attrs["n_missing"]) == ((1 if k else 0), 0)
    if k + 1 <= spec.n_items:
        frame, _ = missing_rows(spec, k + 1)
        scored = li.score(spec, frame, **options)
        assert math.isnan(scored.iloc[1])
        assert not math.isnan(scored.iloc[0])
        assert (scored.attrs["n_prorated"], scored.attrs["n_missing"]) == (0, 1)


def test_missing_item_rule_at_k_and_k_plus_1(spec):
    if spec.scoring in ("identity", "count", "separate"):
        frame = frame_of(spec, [[middle(spec)] * spec.n_items, [None] * spec.n_items])
        scored = score(spec, frame)
        assert scored.iloc[0].notna().all()
        assert scored.iloc[1].isna().all()
        return
    default = spec.missing
    check_rule(spec, default.max_missing, {})
    # Without an official rule a single missing item makes the score missing.
    assert default.official or default.max_missing == 0
    if default.official:
        assert default.source
        assert (
            default.source
            in li.score(spec, frame_of(spec, [[middle(spec)] * spec.n_items])).attrs["missing_rule"]
        )
    for k in range(spec.n_items):
        check_rule(spec, k, {"max_missing": k})


def test_results_record_version_rule_and_counts(spec):
    frame = frame_of(spec, [[middle(spec)] * spec.n_items, [None] * spec.n_items])
    result = li.score(spec, frame)
    attrs = result.attrs
    assert attrs["instrument"] == spec.name
    assert attrs["version"] == spec.version
    assert attrs["coding"] == spec.coding
    assert isinstance(attrs["missing_rule"], str)
    assert attrs["missing_rule"]
    assert attrs["n_prorated"] == 0
    assert attrs["n_missing"] == len(spec.score_names)


def test_citation_and_version_are_present(spec):
    assert re.search(r"\b(19|20)\d\d\b", spec.citation), spec.citation
    assert spec.version.strip()
    assert spec.title.strip()


def test_licence_and_wording_are_consistent(spec):
    allowed, _ = LICENCES[spec.licence]
    texts = [item.text for item in spec.items]
    if not allowed:
        assert texts == [None] * spec.n_items, "wording of a scoring-only scale must not ship"
    assert all(t is None for t in texts) or all(t for t in texts), "wording is all or none"
    assert spec.wording_source is None  # bundled declarations carry no user-supplied wording


def test_every_instrument_has_a_worked_example():
    tree = ast.parse((Path(__file__).parent / "test_worked_examples.py").read_text())
    names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    for name in li.REGISTRY:
        examples = [n for n in names if n.startswith(f"test_{name}_")]
        assert examples, f"add a worked example test_{name}_... citing its source"
