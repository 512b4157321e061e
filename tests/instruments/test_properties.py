"""Properties of the generic scorer that must hold for every instrument and any answers."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import linkwork.instruments as li
from linkwork.instruments.scoring import resolve
from linkwork.instruments.spec import InstrumentSpec

CASES = [
    (name, coding)
    for name, spec in li.REGISTRY.items()
    for coding in ([c.name for c in spec.codings] or [None])
]
SETTINGS = settings(max_examples=60, deadline=None)
COUNT_CAP = 200  # largest count drawn for instruments without an upper bound


def top(spec: InstrumentSpec) -> int:
    return int(spec.response.max) if spec.response.bounded else COUNT_CAP


@st.composite
def answered(draw, complete: bool = False, min_rows: int = 1):
    """(spec, options, frame): random valid answers, some missing unless complete."""
    name, coding = draw(st.sampled_from(CASES))
    spec = resolve(name, coding=coding)
    n_rows = draw(st.integers(min_rows, 8))
    code = st.integers(int(spec.response.min), top(spec))
    cell = code if complete else st.one_of(code, code, code, st.none())
    rows = draw(
        st.lists(
            st.lists(cell, min_size=spec.n_items, max_size=spec.n_items),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    frame = pd.DataFrame(rows, columns=list(spec.item_keys), dtype="float64")
    options = {}
    if spec.scoring in ("sum", "mean", "lookup") and draw(st.booleans()):
        options["max_missing"] = draw(st.integers(0, spec.n_items - 1))
    if spec.transforms and draw(st.booleans()):
        options["transform"] = draw(st.sampled_from([t.name for t in spec.transforms]))
    return spec, options, frame


def as_frame(result) -> pd.DataFrame:
    return result.to_frame() if isinstance(result, pd.Series) else result


@SETTINGS
@given(answered())
def test_scores_stay_within_the_score_range(case):
    spec, options, frame = case
    result = li.score(spec, frame, **options)
    low, high = result.attrs["score_range"]
    values = as_frame(result).to_numpy().ravel()
    present = values[~np.isnan(values)]
    assert ((present >= low - 1e-9) & (present <= high + 1e-9)).all()
    if math.isinf(high):
        assert (present <= COUNT_CAP).all()


@SETTINGS
@given(answered(min_rows=2), st.randoms(use_true_random=False))
def test_permuting_rows_permutes_scores(case, random):
    spec, options, frame = case
    order = list(range(len(frame)))
    random.shuffle(order)
    original = as_frame(li.score(spec, frame, **options))
    permuted = as_frame(li.score(spec, frame.iloc[order], **options))
    pd.testing.assert_frame_equal(permuted, original.iloc[order])


@SETTINGS
@given(answered(), st.data())
def test_reverse_keying_is_an_involution(case, data):
    """Reflecting an item's answers and flipping its reverse flag leaves every score unchanged;
    reflecting twice gives the answers back."""
    spec, options, frame = case
    r = spec.response
    if not r.bounded:
        return
    j = data.draw(st.integers(0, spec.n_items - 1))
    key = spec.item_keys[j]
    reflected = frame.assign(**{key: r.min + r.max - frame[key]})
    pd.testing.assert_series_equal(r.min + r.max - reflected[key], frame[key])
    items = list(spec.items)
    items[j] = replace(items[j], reverse=not items[j].reverse)
    flipped = replace(spec, items=tuple(items))
    pd.testing.assert_frame_equal(
        as_frame(li.score(flipped, reflected, **options)),
        as_frame(li.score(spec, frame, **options)),
    )


@SETTINGS
@given(answered())
def test_prorating_with_k_0_is_the_strict_rule(case):
    spec, options, frame = case
    options.pop("max_missing", None)
    if spec.scoring not in ("sum", "mean", "lookup"):
        return
    strict = li.score(spec, frame, max_missing=0, **options)
    any_missing = frame.isna().any(axis=1)
    assert strict[any_missing].isna().all()
    complete = li.score(spec, frame, max_missing=spec.n_items - 1, **options)
    pd.testing.assert_series_equal(strict[~any_missing], complete[~any_missing])
    assert strict.attrs["n_prorated"] == 0
    if not spec.missing.official:
        pd.testing.assert_series_equal(strict, li.score(spec, frame, **options))


@SETTINGS
@given(answered(complete=True), st.data())
def test_scores_are_monotone_in_each_item(case, data):
    """Raising one answer raises the score of a positively keyed item (lowers a reversed one),
    with the direction of a lookup table's conversion."""
    spec, options, frame = case
    j = data.draw(st.integers(0, spec.n_items - 1))
    key = spec.item_keys[j]
    can_rise = frame[key] < top(spec)
    if not can_rise.any():
        return
    before = as_frame(li.score(spec, frame[can_rise], **options))
    after = as_frame(li.score(spec, frame[can_rise].assign(**{key: frame[key] + 1}), **options))
    column = spec.score_names[j] if spec.scoring == "separate" else spec.name
    change = (after[column] - before[column]).to_numpy()
    sign = -1 if spec.items[j].reverse else 1
    if spec.scoring == "lookup" and spec.lookup[0][1] > spec.lookup[-1][1]:
        sign = -sign
    assert (sign * change > 0).all()
    others = [c for c in before.columns if c != column]
    pd.testing.assert_frame_equal(after[others], before[others])


@SETTINGS
@given(answered())
def test_numeric_strings_score_like_numbers(case):
    spec, options, frame = case
    strings = frame.astype(object).map(lambda v: None if pd.isna(v) else str(int(v)))
    pd.testing.assert_frame_equal(
        as_frame(li.score(spec, strings, **options)), as_frame(li.score(spec, frame, **options))
    )
