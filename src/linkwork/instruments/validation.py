"""Consistency checks run whenever an :class:`~linkwork.instruments.spec.InstrumentSpec` is built.

Each check raises :class:`~linkwork.instruments.spec.SpecError` naming the offending key.
"""

from __future__ import annotations

import itertools

from linkwork.instruments.spec import (
    DIRECTIONS,
    LICENCES,
    SCORING_RULES,
    Band,
    InstrumentSpec,
    SpecError,
    _fmt,
)

__all__ = ["implied_score_range", "validate"]


def implied_score_range(spec: InstrumentSpec) -> tuple[float, float]:
    """The score range that the scoring rule implies for the declared responses and items."""
    r, n = spec.response, spec.n_items
    if spec.scoring == "sum":
        return (n * r.min, n * r.max)
    if spec.scoring == "lookup":
        values = [v for _, v in spec.lookup]
        return (min(values), max(values))
    return (r.min, r.max)


def validate(spec: InstrumentSpec) -> None:
    """Raise :class:`SpecError` unless *spec* is internally consistent."""
    if not spec.name.isidentifier() or not spec.name.islower():
        raise SpecError("name must be a lower-case identifier", key="name")
    for key in ("title", "version", "citation"):
        if not str(getattr(spec, key)).strip():
            raise SpecError("must not be empty", key=key)
    if spec.scoring not in SCORING_RULES:
        raise SpecError(
            f"unknown rule {spec.scoring!r}; known: {list(SCORING_RULES)}", key="scoring"
        )
    if spec.direction not in DIRECTIONS:
        raise SpecError(f"must be one of {list(DIRECTIONS)}", key="direction")
    if spec.licence not in LICENCES:
        raise SpecError(f"unknown licence {spec.licence!r}; known: {list(LICENCES)}", key="licence")
    _validate_items(spec)
    _validate_rule(spec)
    declared = tuple(float(x) for x in spec.score_range)
    if len(declared) != 2 or declared != implied_score_range(spec):
        raise SpecError(
            f"declared {spec.score_range!r} but the {spec.scoring} rule over "
            f"{spec.response.describe()} gives {implied_score_range(spec)!r}",
            key="score_range",
        )
    object.__setattr__(spec, "score_range", declared)
    _validate_cutoffs(spec.cutoffs, declared)
    m = spec.missing
    if not isinstance(m.max_missing, int) or not 0 <= m.max_missing < spec.n_items:
        raise SpecError(
            f"max_missing must be an integer from 0 to {spec.n_items - 1}", key="missing"
        )
    for t in spec.transforms:
        if spec.scoring in ("separate", "count") or not t.high > t.low:
            raise SpecError(
                f"transform {t.name!r} needs low < high on a bounded score", key="transforms"
            )
    _validate_codings(spec)


def _validate_items(spec: InstrumentSpec) -> None:
    if not spec.items:
        raise SpecError("an instrument needs at least one item", key="items")
    for k, item in enumerate(spec.items, start=1):
        if item.key != f"{spec.name}_{k}":
            raise SpecError(
                f"item {k} has key {item.key!r}, expected '{spec.name}_{k}'", key="items"
            )
        if not item.label.strip():
            raise SpecError(f"item {k} needs a label", key="items")
        if item.reverse and not spec.response.bounded:
            raise SpecError(
                f"item {k} is reverse-keyed but responses have no maximum", key="reverse"
            )
        if item.text is not None and not item.text.strip():
            raise SpecError(f"item {k} has empty wording", key="items")
        if spec.scoring == "separate" and not (item.score_name or "").isidentifier():
            raise SpecError(f"item {k} needs a score name (an identifier)", key="items")
        if spec.scoring != "separate" and (item.score_name or item.direction) is not None:
            raise SpecError(
                f"item {k}: score names and per-score directions need separate scoring",
                key="items",
            )
        if item.direction is not None and item.direction not in DIRECTIONS:
            raise SpecError(f"item {k} direction must be one of {list(DIRECTIONS)}", key="items")
    if spec.scoring == "separate":
        names = [item.score_name for item in spec.items]
        if len(set(names)) != len(names):
            raise SpecError("separate scoring needs a distinct score name per item", key="items")
    if spec.has_wording and not spec.wording_allowed and spec.wording_source is None:
        raise SpecError(
            f"licence {spec.licence!r} forbids shipping item wording; load licensed wording with "
            "linkwork.instruments.load_wording instead",
            key="items",
        )


def _validate_rule(spec: InstrumentSpec) -> None:
    r = spec.response
    if spec.scoring in ("identity", "count") and spec.n_items != 1:
        raise SpecError(f"{spec.scoring} scoring needs exactly one item", key="scoring")
    if spec.scoring == "count" and not (r.integer and r.min >= 0):
        raise SpecError("count scoring needs integer responses from 0 or more", key="response")
    if spec.scoring in ("sum", "mean", "lookup", "separate") and not r.bounded:
        raise SpecError(f"{spec.scoring} scoring needs a bounded response range", key="response")
    if (spec.scoring == "lookup") != bool(spec.lookup):
        raise SpecError("a lookup table goes with (and only with) lookup scoring", key="lookup")
    if spec.scoring == "lookup":
        if not r.integer:
            raise SpecError("lookup scoring needs integer responses", key="lookup")
        raws = [raw for raw, _ in spec.lookup]
        expected = [
            float(x) for x in range(int(spec.n_items * r.min), int(spec.n_items * r.max) + 1)
        ]
        if [float(x) for x in raws] != expected:
            raise SpecError(
                f"the table must list every raw sum {_fmt(expected[0])}-{_fmt(expected[-1])} "
                "once, in order",
                key="lookup",
            )
        values = [v for _, v in spec.lookup]
        steps = [b - a for a, b in itertools.pairwise(values)]
        if not (all(s > 0 for s in steps) or all(s < 0 for s in steps)):
            raise SpecError("table values must be strictly monotone", key="lookup")


def _validate_cutoffs(cutoffs: tuple[Band, ...], score_range: tuple[float, float]) -> None:
    if not cutoffs:
        return
    lowers = [b.lower for b in cutoffs]
    if lowers[0] != score_range[0]:
        raise SpecError(
            f"the first band must start at the score minimum {_fmt(score_range[0])}", key="cutoffs"
        )
    if any(b <= a for a, b in itertools.pairwise(lowers)) or lowers[-1] > score_range[1]:
        raise SpecError("band lower bounds must increase within the score range", key="cutoffs")
    labels = [b.label for b in cutoffs]
    if len(set(labels)) != len(labels) or not all(label.strip() for label in labels):
        raise SpecError("band labels must be distinct and non-empty", key="cutoffs")


def _validate_codings(spec: InstrumentSpec) -> None:
    if not spec.codings:
        if spec.coding is not None:
            raise SpecError("a coding name needs declared codings", key="coding")
        return
    names = [c.name for c in spec.codings]
    if len(set(names)) != len(names) or spec.coding not in names:
        raise SpecError(
            f"codings must have distinct names and include the active one {spec.coding!r}",
            key="codings",
        )
    for c in spec.codings:
        if c.name == spec.coding:
            active = (c.version, c.response, tuple(map(float, c.score_range)), c.cutoffs)
            if active != (spec.version, spec.response, spec.score_range, spec.cutoffs):
                raise SpecError(
                    f"coding {c.name!r} does not match the active fields", key="codings"
                )
