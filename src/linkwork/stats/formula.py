"""Parsing lme4 model formulas into a fixed part (for formulaic) and random-effect terms.

The syntax is lme4's (Bates et al. 2015, JSS 67(1), section 2.1): ``response ~ fixed +
(expr | group)``. Random-effect terms are parenthesised bars; ``(expr || group)`` is expanded
into uncorrelated terms as lme4's ``expandDoubleVerts`` does (``(1 + t || g)`` becomes
``(1 | g) + (0 + t | g)``) and ``group = a/b`` into ``b:a`` and ``a`` as lme4's
``expandSlash`` does. The fixed part keeps R's term order: terms sorted by their number of
variables, the variables of an interaction in the order they first appear in the formula, so
that term labels and coefficient names come out as R's ``terms()`` and ``model.matrix()``
print them (``wave:arm``, ``waveT2:armB``).

Validated against R 4.2.2 ``terms()`` and lme4 1.1-31 ``findbars``/``ngrps``/``VarCorr`` names
(tests/stats/test_formula.py and the R comparison tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from formulaic import Formula

from linkwork.errors import ModelError

__all__ = ["FixedTerm", "LmerFormula", "RandomTerm", "parse_formula"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclass(frozen=True, slots=True)
class RandomTerm:
    """One random-effect term ``(expr | group)`` after lme4's expansions.

    Attributes
    ----------
    expr
        The left-hand side of the bar as written, e.g. ``"1"``, ``"1 + Days"``, ``"0 + t"``.
    group
        Grouping variables; more than one means their interaction (``("id", "site")`` is
        lme4's ``id:site``).
    """

    expr: str
    group: tuple[str, ...]

    @property
    def group_name(self) -> str:
        """The grouping factor's name as lme4 prints it, e.g. ``"id:site"``."""
        return ":".join(self.group)


@dataclass(frozen=True, slots=True)
class FixedTerm:
    """One fixed-effect term: its R label and its factors (variables or expressions)."""

    label: str
    factors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LmerFormula:
    """A parsed lme4 formula.

    Attributes
    ----------
    text
        The formula as given.
    response
        Name of the response column.
    intercept
        Whether the fixed part has an intercept.
    terms
        Fixed-effect terms (without the intercept) in R's order.
    random
        Random-effect terms after expanding ``||`` and ``/``, in the order written.
    """

    text: str
    response: str
    intercept: bool
    terms: tuple[FixedTerm, ...]
    random: tuple[RandomTerm, ...]

    @property
    def fixed_rhs(self) -> str:
        """The fixed part as a formulaic right-hand side in R's term order."""
        parts = ["1" if self.intercept else "0"] + [t.label for t in self.terms]
        return " + ".join(parts)


def _split_top(text: str, sep: str) -> list[str]:
    """Split *text* on the single character *sep* outside parentheses."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise ModelError(f"unbalanced parentheses in formula part {text!r}")
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise ModelError(f"unbalanced parentheses in formula part {text!r}")
    parts.append(text[start:])
    return parts


def _strip_parens(text: str) -> str | None:
    """The inside of ``( ... )`` when the parentheses enclose the whole text, else None."""
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return None
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return None
    return text[1:-1]


def _group_factors(text: str, formula: str) -> list[tuple[str, ...]]:
    """Expand a grouping expression: ``a`` -> [(a,)], ``a/b`` -> [(b, a), (a,)] as lme4."""
    levels = [piece.strip() for piece in text.split("/")]
    for piece in levels:
        for name in piece.split(":"):
            if not _NAME.match(name.strip()):
                raise ModelError(
                    f"formula {formula!r}: grouping factor {piece!r} must be a column name "
                    "or an interaction a:b of column names"
                )
    out: list[tuple[str, ...]] = []
    for depth in range(len(levels), 0, -1):
        names: list[str] = []
        for piece in reversed(levels[:depth]):
            names.extend(name.strip() for name in piece.split(":"))
        out.append(tuple(names))
    return out


def _random_terms(inside: str, formula: str) -> list[RandomTerm]:
    double = "||" in inside
    bar = "||" if double else "|"
    pieces = inside.split(bar)
    if len(pieces) != 2 or "|" in pieces[1]:
        raise ModelError(f"formula {formula!r}: cannot read random-effect term ({inside})")
    expr, group = pieces[0].strip(), pieces[1].strip()
    if not expr or not group:
        raise ModelError(f"formula {formula!r}: empty side in random-effect term ({inside})")
    groups = _group_factors(group, formula)
    exprs = [expr]
    if double:
        parsed = Formula(expr, _ordering="none")
        labels = [str(t) for t in parsed if str(t) != "1"]
        has_one = any(str(t) == "1" for t in parsed)
        exprs = (["1"] if has_one else []) + [f"0 + {label}" for label in labels]
    return [RandomTerm(e, g) for g in groups for e in exprs]


def _fixed_terms(rhs: str, formula: str) -> tuple[bool, tuple[FixedTerm, ...]]:
    try:
        parsed = Formula(rhs, _ordering="none")
    except Exception as exc:  # formulaic raises several parser exception types
        raise ModelError(f"formula {formula!r}: cannot parse fixed part {rhs!r}: {exc}") from exc
    order: dict[str, int] = {}
    intercept = False
    raw: list[list[str]] = []
    for term in parsed:
        factors = [str(f) for f in term.factors]
        if factors == ["1"]:
            intercept = True
            continue
        for name in factors:
            order.setdefault(name, len(order))
        raw.append(factors)
    seen: set[tuple[str, ...]] = set()
    terms: list[FixedTerm] = []
    for factors in raw:
        ordered = tuple(sorted(factors, key=order.__getitem__))
        if ordered in seen:
            continue
        seen.add(ordered)
        terms.append(FixedTerm(":".join(ordered), ordered))
    terms.sort(key=lambda t: len(t.factors))  # stable: R orders terms by degree
    return intercept, tuple(terms)


def parse_formula(text: str) -> LmerFormula:
    """Parse an lme4 formula.

    Parameters
    ----------
    text
        A formula such as ``"y ~ wave * arm + (1 | id)"`` or ``"y ~ t + (t || id)"``.

    Returns
    -------
    LmerFormula
        Response, fixed terms in R's order and the expanded random-effect terms.

    Raises
    ------
    ModelError
        For a missing ``~``, an unreadable part, or no random-effect term.

    Examples
    --------
    >>> f = parse_formula("y ~ wave * arm + (1 | site/id)")
    >>> [t.label for t in f.terms]
    ['wave', 'arm', 'wave:arm']
    >>> [(r.expr, r.group_name) for r in f.random]
    [('1', 'id:site'), ('1', 'site')]
    >>> [(r.expr, r.group_name) for r in parse_formula("y ~ t + (t || id)").random]
    [('1', 'id'), ('0 + t', 'id')]
    """
    if not isinstance(text, str) or text.count("~") != 1:
        raise ModelError(f"formula {text!r} must be a string 'response ~ terms' with one '~'")
    lhs, rhs = (part.strip() for part in text.split("~"))
    if not _NAME.match(lhs):
        raise ModelError(f"formula {text!r}: the response must be a column name, got {lhs!r}")
    fixed: list[str] = []
    random: list[RandomTerm] = []
    for piece in _split_top(rhs, "+"):
        inside = _strip_parens(piece)
        if inside is not None and len(_split_top(inside, "|")) > 1:
            random.extend(_random_terms(inside, text))
        elif "|" in piece:
            raise ModelError(
                f"formula {text!r}: random-effect terms must be parenthesised, e.g. (1 | id)"
            )
        elif piece.strip():
            fixed.append(piece.strip())
        else:
            raise ModelError(f"formula {text!r}: empty term")
    if not random:
        raise ModelError(
            f"formula {text!r} has no random-effect term such as (1 | id); "
            "a mixed model needs at least one"
        )
    fixed_rhs = " + ".join(fixed) if fixed else "1"
    intercept, terms = _fixed_terms(fixed_rhs, text)
    return LmerFormula(text, lhs, intercept, terms, tuple(random))
