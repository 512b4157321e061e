"""Declared instrument specifications: frozen data, validated once when they are built.

An :class:`InstrumentSpec` says everything the generic scorer needs: the items, the allowed
responses, which items are reverse-keyed (reversed value = min + max - raw), the scoring rule,
the score range and direction, named cut-off bands, the missing-item rule, citation and licence.
Specs are normally declared in TOML (see :mod:`linkwork.instruments.loader`); building one in
Python runs the same checks, so a spec that exists is internally consistent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from linkwork.errors import LinkworkError

__all__ = [
    "DIRECTIONS",
    "LICENCES",
    "SCORING_RULES",
    "Band",
    "Coding",
    "InstrumentSpec",
    "Item",
    "MissingRule",
    "ResponseRange",
    "SpecError",
    "Transform",
]

Scoring = Literal["sum", "mean", "lookup", "identity", "count", "separate"]
Direction = Literal["higher-better", "higher-worse"]

#: Scoring rule -> what the score is (keyed items are reverse-scored where declared).
SCORING_RULES: dict[str, str] = {
    "sum": "sum of the keyed items",
    "mean": "mean of the keyed items",
    "lookup": "sum of the keyed items, converted with a published table",
    "identity": "the single keyed item (identity, or a recode by reverse keying)",
    "count": "a single non-negative count",
    "separate": "each item is its own score",
}

#: Direction -> how it reads.
DIRECTIONS: dict[str, str] = {
    "higher-better": "higher = better",
    "higher-worse": "higher = worse",
}

#: Licence -> (item wording may ship with linkwork, meaning).
LICENCES: dict[str, tuple[bool, str]] = {
    "public-domain": (True, "public domain: wording may be redistributed"),
    "open-licence": (
        True,
        "open licence (e.g. UK Open Government Licence): wording may be redistributed with "
        "attribution",
    ),
    "copyright-scoring-only": (
        False,
        "copyright: scoring rules only; item wording must be licensed and supplied by the user",
    ),
    "study-defined": (True, "defined by the study: items and wording come from configuration"),
}


class SpecError(LinkworkError, ValueError):
    """An instrument declaration that is incomplete or inconsistent.

    The message names the file (when loaded from one), the instrument and the offending key.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        instrument: str | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.instrument = instrument
        self.key = key
        where = []
        if file is not None:
            where.append(f"file {file}")
        if instrument is not None:
            where.append(f"instrument {instrument!r}")
        if key is not None:
            where.append(f"key {key!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@dataclass(frozen=True, slots=True)
class ResponseRange:
    """Allowed raw responses of every item: ``min`` to ``max`` (``inf`` = no upper bound).

    ``labels`` pairs response codes with their anchor text, e.g. ``((1, "Never"), ...)``; it may
    label only some codes (e.g. the end points).

    Examples
    --------
    >>> r = ResponseRange(1, 4)
    >>> r.describe(), r.reflect(1.0)
    ('integer 1-4', 4.0)
    """

    min: float
    max: float
    integer: bool = True
    labels: tuple[tuple[float, str], ...] = ()

    def __post_init__(self) -> None:
        if not math.isfinite(self.min):
            raise SpecError(f"response minimum must be finite, got {self.min!r}", key="response")
        if not self.max > self.min:
            raise SpecError(
                f"response maximum {self.max!r} must exceed the minimum {self.min!r}",
                key="response",
            )
        if self.integer and (
            not float(self.min).is_integer()
            or (math.isfinite(self.max) and not float(self.max).is_integer())
        ):
            raise SpecError("integer responses need integer minimum and maximum", key="response")
        for code, text in self.labels:
            if not self.min <= code <= self.max or not text:
                raise SpecError(
                    f"response label {code!r}: {text!r} is outside the range or empty",
                    key="response.labels",
                )

    @property
    def bounded(self) -> bool:
        """Whether there is an upper bound."""
        return math.isfinite(self.max)

    def reflect(self, value: float) -> float:
        """Reverse-key one response: ``min + max - value`` (an involution)."""
        if not self.bounded:
            raise SpecError("an unbounded response range cannot be reverse-keyed")
        return self.min + self.max - value

    def describe(self) -> str:
        """Short text such as ``integer 1-4`` or ``integer >= 0``."""
        kind = "integer" if self.integer else "number"
        if not self.bounded:
            return f"{kind} >= {_fmt(self.min)}"
        return f"{kind} {_fmt(self.min)}-{_fmt(self.max)}"

    def describe_labels(self) -> str:
        """Anchor labels as ``1 = Never, ..., 4 = Often`` (empty when none are declared)."""
        return ", ".join(f"{_fmt(code)} = {text}" for code, text in self.labels)


@dataclass(frozen=True, slots=True)
class Item:
    """One item: key (the default column name, ``<instrument>_<k>``), label and wording.

    ``label`` is a short topic that may always ship; ``text`` is the full wording, present only
    where the licence allows redistribution or the user supplied licensed wording.
    ``score_name`` and ``direction`` are used by instruments scored as separate items.
    """

    key: str
    label: str
    text: str | None = None
    reverse: bool = False
    score_name: str | None = None
    direction: Direction | None = None


@dataclass(frozen=True, slots=True)
class Band:
    """A named cut-off band from ``lower`` (inclusive) up to the next band's ``lower``."""

    label: str
    lower: float


@dataclass(frozen=True, slots=True)
class MissingRule:
    """How many items may be missing before a score is missing.

    With ``max_missing = k > 0`` a score with at most *k* missing items is prorated: the mean
    of the answered (keyed) items, times the item count for sum-based rules. ``source`` cites
    an official rule; ``None`` means the default rule (missing if any item is missing).
    """

    max_missing: int = 0
    source: str | None = None

    @property
    def official(self) -> bool:
        """Whether this is an instrument's official rule (it has a source)."""
        return self.source is not None


@dataclass(frozen=True, slots=True)
class Transform:
    """A linear rescaling of the score range onto ``low``-``high`` (e.g. 0-100)."""

    name: str
    low: float
    high: float
    description: str = ""


@dataclass(frozen=True, slots=True)
class Coding:
    """An alternative response coding (e.g. K6 0-4 or 1-5) with its own ranges and cut-offs."""

    name: str
    version: str
    response: ResponseRange
    score_range: tuple[float, float]
    cutoffs: tuple[Band, ...] = ()


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """A declared instrument: everything the generic scorer needs, and its provenance.

    Building a spec validates it (item keys ``<name>_1..k``, score range implied by the rule,
    lookup table covering every raw sum, cut-offs inside the score range, wording allowed by
    the licence...) and raises :class:`SpecError` when something does not fit.

    Attributes
    ----------
    name, title, version
        Registry name (lower-case identifier), full name, and the version/coding recorded
        with every score.
    items
        The items in order; keys are ``<name>_1`` ... and default column names.
    response
        Allowed raw responses of every item.
    scoring
        ``sum``, ``mean``, ``lookup``, ``identity``, ``count`` or ``separate``.
    score_range, direction
        Score range implied by the rule (checked) and ``higher-better`` / ``higher-worse``.
    citation, licence, licence_note
        Source of the instrument and its rules; licence from :data:`LICENCES`.
    cutoffs, missing, lookup, transforms
        Named bands; missing-item rule; raw-sum conversion table; declared rescalings.
    coding, codings
        Active response coding and all declared codings (empty when there are none).
    construct, notes, wording_source
        What it measures; analyst notes; file that supplied licensed wording, if any.

    Examples
    --------
    >>> from linkwork.instruments import get
    >>> spec = get("uls8")
    >>> spec.n_items, spec.reverse_keyed, spec.score_range
    (8, ('uls8_3', 'uls8_6'), (8.0, 32.0))
    >>> get("k6").with_coding("1-5").score_range
    (6.0, 30.0)
    """

    name: str
    title: str
    version: str
    items: tuple[Item, ...]
    response: ResponseRange
    scoring: Scoring
    score_range: tuple[float, float]
    direction: Direction
    citation: str
    licence: str
    cutoffs: tuple[Band, ...] = ()
    missing: MissingRule = field(default_factory=MissingRule)
    lookup: tuple[tuple[float, float], ...] = ()
    transforms: tuple[Transform, ...] = ()
    coding: str | None = None
    codings: tuple[Coding, ...] = ()
    construct: str = ""
    licence_note: str = ""
    notes: str = ""
    wording_source: str | None = None

    def __post_init__(self) -> None:
        from linkwork.instruments.validation import validate  # it needs this module's classes

        try:
            validate(self)
        except SpecError as exc:
            if exc.instrument is None:
                raise SpecError(exc.message, instrument=self.name, key=exc.key) from None
            raise

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.items)

    @property
    def item_keys(self) -> tuple[str, ...]:
        """Item keys in order (``<name>_1`` ...), the default column names."""
        return tuple(item.key for item in self.items)

    @property
    def reverse_keyed(self) -> tuple[str, ...]:
        """Keys of the reverse-keyed items."""
        return tuple(item.key for item in self.items if item.reverse)

    @property
    def wording_allowed(self) -> bool:
        """Whether the licence lets linkwork redistribute the item wording."""
        return LICENCES[self.licence][0]

    @property
    def has_wording(self) -> bool:
        """Whether any item carries full wording."""
        return any(item.text is not None for item in self.items)

    @property
    def score_names(self) -> tuple[str, ...]:
        """Output column names: the instrument name, or ``<name>_<score>`` per separate item."""
        if self.scoring == "separate":
            return tuple(f"{self.name}_{item.score_name}" for item in self.items)
        return (self.name,)

    def with_coding(self, name: str) -> InstrumentSpec:
        """Return this instrument under another declared response coding."""
        for coding in self.codings:
            if coding.name == name:
                return replace(
                    self,
                    coding=coding.name,
                    version=coding.version,
                    response=coding.response,
                    score_range=coding.score_range,
                    cutoffs=coding.cutoffs,
                )
        known = ", ".join(repr(c.name) for c in self.codings) or "none"
        raise SpecError(f"unknown coding {name!r}; known codings: {known}", instrument=self.name)

    def transform(self, name: str) -> Transform:
        """Return the declared transform called *name*."""
        for transform in self.transforms:
            if transform.name == name:
                return transform
        known = ", ".join(repr(t.name) for t in self.transforms) or "none"
        raise SpecError(
            f"unknown transform {name!r}; known transforms: {known}", instrument=self.name
        )
