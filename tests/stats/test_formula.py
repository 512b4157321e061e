"""lme4 formula parsing: fixed terms in R's order, random terms as lme4 expands them.

Expected values are R 4.2.2's ``attr(terms(f), "term.labels")`` and lme4 1.1-31's expansion
of ``||`` (``expandDoubleVerts``) and ``/`` (``(1 | site/id)`` -> ``id:site`` and ``site``).
"""

from __future__ import annotations

import pytest

from linkwork.errors import ModelError
from linkwork.stats.formula import parse_formula


def labels(text: str) -> list[str]:
    return [t.label for t in parse_formula(text).terms]


def random(text: str) -> list[tuple[str, str]]:
    return [(r.expr, r.group_name) for r in parse_formula(text).random]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y ~ wave + (1 | id)", ["wave"]),
        ("y ~ wave * arm + (1 | id)", ["wave", "arm", "wave:arm"]),
        # R: terms(y ~ arm + wave + wave:arm) labels the interaction "arm:wave"
        ("y ~ arm + wave + wave:arm + (1 | id)", ["arm", "wave", "arm:wave"]),
        ("y ~ wave * arm + age + (1 | id)", ["wave", "arm", "age", "wave:arm"]),
        ("y ~ a:b + a + (1 | g)", ["a", "a:b"]),
        ("y ~ (1 | id)", []),
        ("y ~ wave + wave + (1 | id)", ["wave"]),
    ],
)
def test_fixed_terms_in_r_order(text: str, expected: list[str]) -> None:
    assert labels(text) == expected


def test_intercept_flag() -> None:
    assert parse_formula("y ~ wave + (1 | id)").intercept
    assert not parse_formula("y ~ 0 + wave + (1 | id)").intercept
    assert not parse_formula("y ~ wave - 1 + (1 | id)").intercept
    assert parse_formula("y ~ 0 + wave + (1 | id)").fixed_rhs == "0 + wave"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y ~ wave + (1 | id)", [("1", "id")]),
        ("Reaction ~ Days + (Days | Subject)", [("Days", "Subject")]),
        ("y ~ t + (1 + t | id)", [("1 + t", "id")]),
        ("y ~ t + (t || id)", [("1", "id"), ("0 + t", "id")]),
        ("y ~ t + (0 + t || id)", [("0 + t", "id")]),
        ("y ~ x + (1 + x + z || g)", [("1", "g"), ("0 + x", "g"), ("0 + z", "g")]),
        ("y ~ wave + (1 | site/id)", [("1", "id:site"), ("1", "site")]),
        ("y ~ wave + (1 | id:site) + (1 | site)", [("1", "id:site"), ("1", "site")]),
        ("y ~ wave + (1|id)+(1|site)", [("1", "id"), ("1", "site")]),
    ],
)
def test_random_terms_as_lme4_expands_them(text: str, expected: list[tuple[str, str]]) -> None:
    assert random(text) == expected


def test_response_and_text_kept() -> None:
    f = parse_formula("Reaction ~ Days + (Days | Subject)")
    assert f.response == "Reaction"
    assert f.text == "Reaction ~ Days + (Days | Subject)"
    assert f.random[0].group == ("Subject",)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("y ~ wave", "no random-effect term"),
        ("y ~ wave + 1 | id", "parenthesised"),
        ("wave + (1 | id)", "one '~'"),
        ("y ~ x ~ z + (1 | id)", "one '~'"),
        ("log(y) ~ x + (1 | id)", "response must be a column name"),
        ("y ~ x + (1 | )", "empty side"),
        ("y ~ x + (1 | g + h)", "grouping factor"),
        ("y ~ x + ((1 | g)", "unbalanced"),
        ("y ~ x + + (1 | g)", "empty term"),
    ],
)
def test_errors_name_the_problem(text: str, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        parse_formula(text)


def test_non_string_formula() -> None:
    with pytest.raises(ModelError):
        parse_formula(None)
