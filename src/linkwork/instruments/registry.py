"""The registry: instrument name -> declared spec, read-only except through :func:`register`.

The default :data:`REGISTRY` holds the declarations bundled in this package (``builtin.toml``
and ``study_scales.toml``). Users add their own with :func:`load_scales` (a TOML file in the
same format, read by the same loader) or :func:`register` (a spec built in Python).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from linkwork.errors import LinkworkError
from linkwork.instruments.loader import read_package_scales, read_scales
from linkwork.instruments.spec import DIRECTIONS, InstrumentSpec, _fmt

__all__ = [
    "REGISTRY",
    "Registry",
    "UnknownInstrument",
    "get",
    "load_scales",
    "register",
    "table",
]


class UnknownInstrument(LinkworkError, KeyError):
    """An instrument name that is not in the registry; the message lists the known names."""

    def __init__(self, name: object, known: Iterable[str]) -> None:
        known = list(known)
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        self.name = name
        self.message = f"unknown instrument {name!r}{hint}; known instruments: {', '.join(known)}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class Registry(Mapping[str, InstrumentSpec]):
    """A read-only mapping of instrument names to specs; add entries with :meth:`register`.

    Examples
    --------
    >>> from linkwork.instruments import REGISTRY
    >>> "k6" in REGISTRY, REGISTRY["k6"].n_items
    (True, 6)
    >>> try:
    ...     REGISTRY["uls-8"]
    ... except KeyError as error:
    ...     print(str(error)[:59])
    unknown instrument 'uls-8' (did you mean 'uls8'?); known in
    """

    __slots__ = ("_specs",)

    def __init__(self, specs: Iterable[InstrumentSpec] = ()) -> None:
        self._specs: dict[str, InstrumentSpec] = {}
        for spec in specs:
            self.register(spec)

    def __getitem__(self, name: str) -> InstrumentSpec:
        try:
            return self._specs[name]
        except (KeyError, TypeError):
            raise UnknownInstrument(name, self._specs) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Registry({', '.join(self._specs)})"

    def register(self, spec: InstrumentSpec, *, replace: bool = False) -> InstrumentSpec:
        """Add *spec*; an existing name is an error unless ``replace=True``."""
        if not isinstance(spec, InstrumentSpec):
            raise TypeError(f"expected an InstrumentSpec, got {type(spec).__name__}")
        if spec.name in self._specs and not replace:
            raise LinkworkError(
                f"instrument {spec.name!r} is already registered; pass replace=True to redefine it"
            )
        self._specs[spec.name] = spec
        return spec

    def copy(self) -> Registry:
        """An independent registry with the same entries."""
        return Registry(self._specs.values())


#: The default registry: built-in instruments and the study-specific scales.
REGISTRY = Registry(read_package_scales().values())


def get(name: str) -> InstrumentSpec:
    """The spec registered as *name* (:class:`UnknownInstrument` lists the known names).

    Examples
    --------
    >>> get("swemwbs").scoring
    'lookup'
    """
    return REGISTRY[name]


def register(spec: InstrumentSpec, *, replace: bool = False) -> InstrumentSpec:
    """Add *spec* to the default registry (``replace=True`` to redefine a name)."""
    return REGISTRY.register(spec, replace=replace)


def load_scales(path: str | Path, *, replace: bool = False) -> dict[str, InstrumentSpec]:
    """Read instrument declarations from a TOML file and add them to the default registry.

    The file uses the same format as the built-in declarations (see ``docs/instruments.md``).
    Every declaration is validated before any is registered. Returns name -> spec.
    """
    specs = read_scales(path)
    if not replace:
        for name in specs:
            if name in REGISTRY:
                raise LinkworkError(
                    f"file {path}: instrument {name!r} is already registered; pass replace=True "
                    "to redefine it"
                )
    for spec in specs.values():
        REGISTRY.register(spec, replace=replace)
    return specs


def range_text(spec: InstrumentSpec) -> str:
    """The score range as short text: ``8-32``, ``0 or more``, ``0-10 each``."""
    low, high = spec.score_range
    text = f"{_fmt(low)} or more" if math.isinf(high) else f"{_fmt(low)}-{_fmt(high)}"
    return f"{text} each" if spec.scoring == "separate" else text


def direction_text(spec: InstrumentSpec) -> str:
    """The direction, with per-score exceptions: ``higher = better (anxious: higher = worse)``."""
    text = DIRECTIONS[spec.direction]
    exceptions = [
        f"{item.score_name}: {DIRECTIONS[item.direction]}"
        for item in spec.items
        if item.direction is not None and item.direction != spec.direction
    ]
    return f"{text} ({'; '.join(exceptions)})" if exceptions else text


def table(registry: Mapping[str, InstrumentSpec] | None = None) -> pd.DataFrame:
    """One row per registered instrument: name, title, items, range, direction, licence.

    Examples
    --------
    >>> t = table()
    >>> list(t.columns)
    ['name', 'title', 'items', 'range', 'direction', 'licence']
    >>> t.set_index("name").loc["swemwbs", "range"]
    '7-35'
    """
    specs = list((REGISTRY if registry is None else registry).values())
    return pd.DataFrame(
        {
            "name": [s.name for s in specs],
            "title": [s.title for s in specs],
            "items": pd.array([s.n_items for s in specs], dtype="int64"),
            "range": [range_text(s) for s in specs],
            "direction": [direction_text(s) for s in specs],
            "licence": [s.licence for s in specs],
        }
    )
