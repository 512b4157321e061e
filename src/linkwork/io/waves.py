"""Wave labels and their order: the ``wave`` column as an ordered Categorical.

Rules, in order:

1. ``waves=[...]`` lists the allowed labels in time order; any other label is an error.
   ``waves={raw: label, ...}`` also renames (e.g. ``{"baseline": "T1", "8wk": "T2"}``); the
   order is that of the labels' first appearance among the mapping's values.
2. Without ``waves=``, an ordered categorical (a pandas ordered Categorical, or an SPSS/Stata
   variable with value labels, ordered by code) keeps its order.
3. Otherwise labels that share a prefix and end in a whole number (``T1 ... T10``,
   ``Wave 1 ...``, ``1, 2, 3``) sort by that number; a single label needs no order.
4. Anything else is an error asking for ``waves=[...]``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from linkwork.io._problems import Problem, quote_list
from linkwork.io._values import to_text_value

__all__ = ["WaveOption", "natural_order", "resolve_waves"]

#: ``waves=``: a list of labels in time order, or a mapping raw value -> label.
WaveOption = Sequence[str] | Mapping[Any, str] | None

_NATURAL = re.compile(r"^(\D*?)(\d+)$")


def natural_order(labels: Sequence[str]) -> list[str] | None:
    """Labels sorted by their trailing number when they share one prefix, else ``None``.

    >>> natural_order(["T10", "T2", "T1"])
    ['T1', 'T2', 'T10']
    >>> natural_order(["baseline", "week8"]) is None
    True
    """
    parsed = [_NATURAL.match(label) for label in labels]
    if not labels or any(m is None for m in parsed):
        return None
    prefixes = {m.group(1) for m in parsed if m is not None}
    numbers = [int(m.group(2)) for m in parsed if m is not None]
    if len(prefixes) != 1 or len(set(numbers)) != len(numbers):
        return None
    return [label for _, label in sorted(zip(numbers, labels, strict=True))]


def _key(value: Any) -> Any:
    """Compare raw wave values as text (1, 1.0 and "1" are the same)."""
    return to_text_value(value)


def _option_problem(message: str, file: str | None, column: str, value: Any) -> Problem:
    return Problem(
        message,
        file=file,
        column=column,
        value=value,
        expected="waves= as a list of distinct labels or a mapping raw -> label",
    )


def resolve_waves(
    values: pd.Series,
    *,
    waves: WaveOption = None,
    value_labels: Mapping[Any, str] | None = None,
    file: str | None = None,
    rows: Sequence[Hashable],
    column: str,
    display: Sequence[Any] | None = None,
    hint: str = "waves=[...] listing the labels in time order",
) -> tuple[pd.Categorical, list[Problem]]:
    """Turn raw wave values into an ordered Categorical and the problems found.

    ``rows`` names each value's row and ``column`` the column (as in the file) for messages;
    ``display`` gives the values to show in messages when they differ from ``values`` (e.g.
    REDCap event names). Rows with a problem get a missing wave.
    """
    problems: list[Problem] = []
    # Work on the distinct values (a few waves), then map back to the rows.
    codes, distinct = pd.factorize(values.astype(object), use_na_sentinel=True)
    raw = list(distinct)
    unlabelled = [False] * len(raw)
    base: list[str] | None = None
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        base = [str(to_text_value(c)) for c in values.cat.categories]
    if value_labels:
        by_code = sorted(value_labels.items(), key=lambda kv: _sort_code(kv[0]))
        labels = {_key(code): str(label) for code, label in by_code}
        base = list(dict.fromkeys(labels.values()))
        unlabelled = [_key(v) not in labels for v in raw]
        raw = [labels.get(_key(v), v) for v in raw]
    texts = [_key(v) for v in raw]

    mapping: dict[Any, str] | None = None
    if waves is not None and isinstance(waves, str):
        problems.append(_option_problem("waves= must not be a single string", file, column, waves))
        waves = None
    if isinstance(waves, Mapping):
        mapping = {_key(k): str(v) for k, v in waves.items()}
        order = list(dict.fromkeys(mapping.values()))
        allowed = list(mapping)
    elif waves is not None:
        order = [str(w) for w in waves]
        duplicates = sorted({w for w in order if order.count(w) > 1})
        if duplicates:
            problems.append(_option_problem("waves= lists a label twice", file, column, duplicates))
        order = list(dict.fromkeys(order))
        allowed = order
    else:
        present = list(dict.fromkeys(t for t in texts if isinstance(t, str)))
        if base is not None:
            order = base
        else:
            natural = present if len(present) < 2 else natural_order(present)
            if natural is None:
                problems.append(
                    Problem(
                        "the wave order is not explicit: the labels do not sort naturally (T1, "
                        "T2, ...) and the column is not an ordered categorical",
                        file=file,
                        column=column,
                        value=present[:20],
                        expected=hint,
                    )
                )
                empty = np.full(len(values), -1, dtype=np.int64)
                return _categorical(empty, []), problems
            order = natural
        allowed = order

    allowed_set = set(allowed)
    position = {label: i for i, label in enumerate(order)}
    targets = []  # category code of each distinct value (-1: missing or not allowed)
    for text in texts:
        if isinstance(text, str) and text in allowed_set:
            targets.append(position[mapping[text] if mapping is not None else text])
        else:
            targets.append(-1)
    lookup = np.array([*targets, -1], dtype=np.int64)  # the last entry serves NA (code -1)
    out = lookup[codes]
    expected = f"one of {quote_list(allowed)}"
    for i in np.flatnonzero(out == -1).tolist():
        k = int(codes[i])
        if k < 0 or not isinstance(texts[k], str):
            problems.append(
                Problem("missing wave", file=file, row=rows[i], column=column, expected=expected)
            )
            continue
        message = "wave code without a value label" if unlabelled[k] else "unknown wave label"
        value = raw[k] if display is None else display[i]
        problems.append(
            Problem(message, file=file, row=rows[i], column=column, value=value, expected=expected)
        )
    return _categorical(out, order), problems


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    index = pd.Index(categories, dtype="str")
    return pd.Categorical.from_codes(codes.tolist(), categories=index, ordered=True)


def _sort_code(code: Any) -> tuple[int, Any]:
    if isinstance(code, int | float):
        return (0, float(code))
    return (1, str(code))
