"""Read instrument declarations from TOML: one mechanism for built-in and user-defined scales.

Each top-level table of the file declares one instrument; its name is the table name::

    [my_scale]
    title = "My scale"
    version = "1.0"
    citation = "Author A (2024). Title. Journal 1:1-10."
    licence = "study-defined"
    response = { min = 1, max = 7, labels = { 1 = "strongly disagree", 7 = "strongly agree" } }
    scoring = "mean"
    score_range = [1, 7]
    direction = "higher-better"
    items = [{ label = "first topic" }, { label = "second topic" }, { label = "third topic" }]
    reverse = [2]

The full list of keys is in ``docs/instruments.md``. Unknown keys are errors, so a typo cannot
silently change a score.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, cast

from linkwork.instruments.spec import (
    Band,
    Coding,
    InstrumentSpec,
    Item,
    MissingRule,
    ResponseRange,
    SpecError,
    Transform,
)

__all__ = ["INSTRUMENT_KEYS", "PACKAGE_FILES", "parse_scales", "read_package_scales", "read_scales"]

#: Keys an instrument table may have (everything else is an error).
INSTRUMENT_KEYS = (
    "title",
    "version",
    "citation",
    "licence",
    "licence_note",
    "construct",
    "notes",
    "response",
    "items",
    "n_items",
    "reverse",
    "scoring",
    "score_range",
    "direction",
    "lookup",
    "cutoffs",
    "missing",
    "transforms",
    "coding",
    "codings",
)
_REQUIRED = ("title", "version", "citation", "licence", "response", "scoring", "score_range")

#: Declaration files shipped in this package, loaded into the default registry in this order.
PACKAGE_FILES = ("builtin.toml", "study_scales.toml")


def read_scales(path: str | Path) -> dict[str, InstrumentSpec]:
    """Read and validate every instrument declared in a TOML file (without registering).

    Raises :class:`~linkwork.instruments.spec.SpecError` naming the file, instrument and key
    of the first problem.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}", file=str(path)) from None
    return parse_scales(data, file=str(path), user_file=True)


def read_package_scales() -> dict[str, InstrumentSpec]:
    """Read the declarations bundled with linkwork (built-in and study-specific scales)."""
    specs: dict[str, InstrumentSpec] = {}
    package = resources.files("linkwork.instruments")
    for name in PACKAGE_FILES:
        text = package.joinpath(name).read_text(encoding="utf-8")
        loaded = parse_scales(tomllib.loads(text), file=f"linkwork/instruments/{name}")
        for key in loaded:
            if key in specs:
                raise SpecError("declared twice in the package", file=name, instrument=key)
        specs.update(loaded)
    return specs


def parse_scales(
    data: Mapping[str, Any], *, file: str, user_file: bool = False
) -> dict[str, InstrumentSpec]:
    """Build specs from parsed TOML (*data*: instrument name -> table).

    *user_file* marks wording in the file as user-supplied (see
    :attr:`InstrumentSpec.wording_source`); bundled files may carry only wording their
    licence lets linkwork redistribute.
    """
    specs = {}
    for name, table in data.items():
        try:
            if not isinstance(table, dict):
                raise SpecError("each top-level entry must be a table [name]")
            specs[name] = _spec(name, table, file if user_file else None)
        except SpecError as exc:
            raise SpecError(exc.message, file=file, instrument=name, key=exc.key) from None
    return specs


def _spec(name: str, t: dict[str, Any], wording_file: str | None) -> InstrumentSpec:
    _check_keys(t, INSTRUMENT_KEYS, "")
    for key in _REQUIRED:
        if key not in t:
            raise SpecError("required key is missing", key=key)
    response = _response(t["response"], "response")
    reverse = {_int(k, "reverse") for k in _list(t.get("reverse", []), "reverse")}
    items = _items(name, t, reverse)
    has_text = any(item.text is not None for item in items)
    score_range = _range(t["score_range"], "score_range")
    cutoffs = _cutoffs(t.get("cutoffs", []), "cutoffs")
    version = _str(t["version"], "version")
    coding = t.get("coding")
    codings: tuple[Coding, ...] = ()
    if coding is not None:
        coding = _str(coding, "coding")
        codings = (Coding(coding, version, response, score_range, cutoffs),)
        codings += tuple(
            _coding(c, i) for i, c in enumerate(_list(t.get("codings", []), "codings"))
        )
    elif "codings" in t:
        raise SpecError(
            "alternative codings need `coding` (the name of the default one)", key="codings"
        )
    return InstrumentSpec(
        name=name,
        title=_str(t["title"], "title"),
        version=version,
        items=items,
        response=response,
        scoring=cast(Any, _str(t["scoring"], "scoring")),
        score_range=score_range,
        direction=cast(Any, _str(t.get("direction", ""), "direction")),
        citation=_str(t["citation"], "citation"),
        licence=_str(t["licence"], "licence"),
        cutoffs=cutoffs,
        missing=_missing(t.get("missing", {})),
        lookup=_lookup(t.get("lookup", {})),
        transforms=tuple(
            _transform(x, i) for i, x in enumerate(_list(t.get("transforms", []), "transforms"))
        ),
        coding=coding,
        codings=codings,
        construct=_str(t.get("construct", ""), "construct"),
        licence_note=_str(t.get("licence_note", ""), "licence_note"),
        notes=_str(t.get("notes", ""), "notes"),
        wording_source=wording_file if has_text else None,
    )


def _items(name: str, t: dict[str, Any], reverse: set[int]) -> tuple[Item, ...]:
    declared = _list(t.get("items", []), "items")
    n = _int(t["n_items"], "n_items") if "n_items" in t else len(declared)
    if declared and n != len(declared):
        raise SpecError(f"n_items = {n} but {len(declared)} items are listed", key="n_items")
    if n < 1:
        raise SpecError("declare `items` (a list of tables) or `n_items`", key="items")
    if not reverse <= set(range(1, n + 1)):
        raise SpecError(f"item numbers must be within 1-{n}", key="reverse")
    items = []
    for k in range(1, n + 1):
        entry = declared[k - 1] if declared else {"label": f"item {k}"}
        where = f"items[{k}]"
        if not isinstance(entry, dict):
            raise SpecError("each item must be a table such as { label = ... }", key=where)
        _check_keys(entry, ("label", "text", "score", "direction"), where)
        text = entry.get("text")
        direction = entry.get("direction")
        items.append(
            Item(
                key=f"{name}_{k}",
                label=_str(entry.get("label", ""), f"{where}.label"),
                text=None if text is None else _str(text, f"{where}.text"),
                reverse=k in reverse,
                score_name=None if "score" not in entry else _str(entry["score"], f"{where}.score"),
                direction=None
                if direction is None
                else cast(Any, _str(direction, f"{where}.direction")),
            )
        )
    return tuple(items)


def _response(value: Any, key: str) -> ResponseRange:
    if not isinstance(value, dict):
        raise SpecError("must be a table { min = ..., max = ... }", key=key)
    _check_keys(value, ("min", "max", "integer", "labels"), key)
    if "min" not in value or "max" not in value:
        raise SpecError("needs min and max (max = inf for no upper bound)", key=key)
    labels = value.get("labels", {})
    if not isinstance(labels, dict):
        raise SpecError('must be a table { 1 = "...", ... }', key=f"{key}.labels")
    pairs = tuple(
        sorted((_code(k, f"{key}.labels"), _str(v, f"{key}.labels")) for k, v in labels.items())
    )
    integer = value.get("integer", True)
    if not isinstance(integer, bool):
        raise SpecError("must be true or false", key=f"{key}.integer")
    return ResponseRange(_num(value["min"], key), _num(value["max"], key), integer, pairs)


def _cutoffs(value: Any, key: str) -> tuple[Band, ...]:
    bands = []
    for i, entry in enumerate(_list(value, key), start=1):
        where = f"{key}[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"label", "min"}:
            raise SpecError('each band is { label = "...", min = <lowest score> }', key=where)
        bands.append(Band(_str(entry["label"], where), _num(entry["min"], where)))
    return tuple(bands)


def _missing(value: Any) -> MissingRule:
    if not isinstance(value, dict):
        raise SpecError('must be a table { max_missing = k, source = "..." }', key="missing")
    _check_keys(value, ("max_missing", "source"), "missing")
    source = value.get("source")
    rule = MissingRule(
        _int(value.get("max_missing", 0), "missing.max_missing"),
        None if source is None else _str(source, "missing.source"),
    )
    if rule.max_missing > 0 and rule.source is None:
        raise SpecError(
            "a default above 0 must cite its official source; otherwise users choose "
            "max_missing when scoring",
            key="missing",
        )
    return rule


def _lookup(value: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, dict):
        raise SpecError("must be a table { <raw> = <score>, ... }", key="lookup")
    return tuple((_code(k, "lookup"), _num(v, "lookup")) for k, v in value.items())


def _transform(value: Any, i: int) -> Transform:
    where = f"transforms[{i + 1}]"
    if not isinstance(value, dict):
        raise SpecError("must be a table { name, range, description }", key=where)
    _check_keys(value, ("name", "range", "description"), where)
    low, high = _range(value.get("range"), f"{where}.range")
    return Transform(
        _str(value.get("name", ""), f"{where}.name"),
        low,
        high,
        _str(value.get("description", ""), f"{where}.description"),
    )


def _coding(value: Any, i: int) -> Coding:
    where = f"codings[{i + 1}]"
    if not isinstance(value, dict):
        raise SpecError("must be a table", key=where)
    _check_keys(value, ("name", "version", "response", "score_range", "cutoffs"), where)
    for key in ("name", "version", "response", "score_range"):
        if key not in value:
            raise SpecError("required key is missing", key=f"{where}.{key}")
    return Coding(
        _str(value["name"], f"{where}.name"),
        _str(value["version"], f"{where}.version"),
        _response(value["response"], f"{where}.response"),
        _range(value["score_range"], f"{where}.score_range"),
        _cutoffs(value.get("cutoffs", []), f"{where}.cutoffs"),
    )


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise SpecError(f"unknown key; allowed keys: {', '.join(allowed)}", key=key)


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise SpecError("must be a list", key=key)
    return value


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise SpecError(f"must be a string, got {value!r}", key=key)
    return value


def _num(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise SpecError(f"must be a number, got {value!r}", key=key)
    return float(value)


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"must be an integer, got {value!r}", key=key)
    return value


def _code(text: str, key: str) -> float:
    """A response code or raw score written as a TOML key (keys are strings)."""
    try:
        return float(int(text))
    except ValueError:
        raise SpecError(f"{text!r} is not an integer code", key=key) from None


def _range(value: Any, key: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise SpecError("must be [low, high]", key=key)
    return (_num(value[0], key), _num(value[1], key))
