"""The one generic scorer: every instrument is scored by reading its declared spec.

Steps, for every instrument: find and check the item columns; reverse-key the declared items
(``min + max - raw``); apply the scoring rule (sum, mean, lookup table, single item, count, or
separate scores); apply the missing-item rule (official where one exists, else missing if any
item is missing, or prorated when at most ``max_missing`` items are missing); optionally
rescale (e.g. ULS-8 0-100). Nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from linkwork.errors import DataFormatError, InvalidResponse, PlanError
from linkwork.instruments.registry import REGISTRY, get
from linkwork.instruments.responses import item_columns, item_matrix
from linkwork.instruments.spec import InstrumentSpec, _fmt

__all__ = ["classify", "describe_missing_rule", "resolve", "score", "score_all"]


def resolve(instrument: str | InstrumentSpec, *, coding: str | None = None) -> InstrumentSpec:
    """The spec for *instrument* (a registry name or a spec), under *coding* if given."""
    spec = get(instrument) if isinstance(instrument, str) else instrument
    if not isinstance(spec, InstrumentSpec):
        raise TypeError(f"expected an instrument name or InstrumentSpec, got {spec!r}")
    if coding is None or coding == spec.coding:
        return spec
    names = [c.name for c in spec.codings]
    if coding not in names:
        raise PlanError(
            f"unknown coding for {spec.name}",
            value=coding,
            expected=f"one of {', '.join(names)}" if names else "no coding option (none declared)",
        )
    return spec.with_coding(coding)


def describe_missing_rule(spec: InstrumentSpec, max_missing: int | None = None) -> str:
    """The missing-item rule applied with *max_missing* (``None``: the declared default).

    Examples
    --------
    >>> describe_missing_rule(get("uls8"))
    'score missing if any of the 8 items is missing'
    >>> describe_missing_rule(get("uls8"), 2)[:60]
    'prorated when no more than 2 of the 8 items are missing (mea'
    """
    if spec.scoring in ("identity", "count"):
        return "single item: score missing when the item is missing"
    if spec.scoring == "separate":
        return "separate single-item scores: each missing when its item is missing"
    default = spec.missing
    k = default.max_missing if max_missing is None else max_missing
    if k == 0:
        text = f"score missing if any of the {spec.n_items} items is missing"
    else:
        how = {
            "sum": f"mean of the answered items x {spec.n_items}, i.e. each missing item "
            "replaced by the mean of the answered items",
            "mean": "mean of the answered items",
            "lookup": f"mean of the answered items x {spec.n_items}, converted with the table "
            "(linear interpolation between table rows)",
        }[spec.scoring]
        text = (
            f"prorated when no more than {k} of the {spec.n_items} items are missing ({how}); "
            "with more missing the score is missing"
        )
    if k == default.max_missing:
        return f"official rule ({default.source}): {text}" if default.official else text
    official = f"; the official rule allows {default.max_missing}" if default.official else ""
    return f"{text} (user option max_missing={k}{official})"


def score(
    instrument: str | InstrumentSpec,
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    max_missing: int | None = None,
    coding: str | None = None,
    transform: str | None = None,
) -> pd.Series | pd.DataFrame:
    """Score one instrument for every row of *frame*.

    Parameters
    ----------
    instrument
        Registry name (see :func:`linkwork.instruments.table`) or an :class:`InstrumentSpec`.
    frame
        One row per questionnaire; item columns ``<name>_1`` ... hold raw response codes.
    columns
        Item key -> column name, for items stored under other names.
    max_missing
        Prorate when at most this many items are missing (mean of the answered keyed items,
        times the item count for sum-based rules). ``None`` keeps the instrument's official
        rule (K6: one item) or else "missing if any item is missing".
    coding
        A declared alternative response coding, e.g. ``"1-5"`` for the Australian K6.
    transform
        A declared rescaling, e.g. ``"0-100"`` for the ULS-8.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Float scores indexed like *frame* (``NaN`` = missing), named by the instrument; a
        DataFrame with one column per score for separately scored instruments (ONS4).
        ``attrs`` records ``instrument``, ``version``, ``coding``, ``transform``,
        ``score_range``, ``direction``, ``missing_rule``, ``max_missing``, ``n_prorated``
        (scores computed with some items missing) and ``n_missing`` (missing scores).

    Raises
    ------
    DataFormatError
        Item columns absent from *frame* (all are named).
    InvalidResponse
        A response out of range, non-integer on an integer scale, or not a number.
    PlanError
        An unknown coding or transform, or an impossible ``max_missing``.

    Notes
    -----
    Validated against the published rules cited in each spec: the worked examples in
    ``tests/instruments/test_worked_examples.py`` are computed by hand from the sources.

    Examples
    --------
    >>> import pandas as pd
    >>> k6 = pd.DataFrame({"k6_1": [2, 2], "k6_2": [3, None], "k6_3": [1, None],
    ...                    "k6_4": [0, 1], "k6_5": [4, 1], "k6_6": [None, 1]})
    >>> s = score("k6", k6)
    >>> s.tolist(), s.attrs["n_prorated"], s.attrs["n_missing"]
    ([12.0, nan], 1, 1)
    >>> uls8 = pd.DataFrame({f"uls8_{k}": [v] for k, v in enumerate([4, 3, 1, 2, 3, 2, 4, 1], 1)})
    >>> float(score("uls8", uls8).iloc[0])
    24.0
    >>> round(float(score("uls8", uls8, transform="0-100").iloc[0]), 2)
    66.67
    """
    spec = resolve(instrument, coding=coding)
    k = _max_missing(spec, max_missing)
    chosen = None
    if transform is not None:
        chosen = next((t for t in spec.transforms if t.name == transform), None)
        if chosen is None:
            names = [t.name for t in spec.transforms]
            raise PlanError(
                f"unknown transform for {spec.name}",
                value=transform,
                expected=f"one of {', '.join(names)}" if names else "no transform (none declared)",
            )
    x = item_matrix(spec, frame, columns)
    r = spec.response
    for j, item in enumerate(spec.items):
        if item.reverse:
            x[:, j] = r.min + r.max - x[:, j]
    n_missing_items = np.isnan(x).sum(axis=1)
    attrs: dict[str, Any] = {
        "instrument": spec.name,
        "version": spec.version,
        "coding": spec.coding,
        "transform": transform,
        "score_range": list(spec.score_range),
        "direction": spec.direction,
        "missing_rule": describe_missing_rule(spec, max_missing),
        "max_missing": k,
    }
    if spec.scoring == "separate":
        out = pd.DataFrame(x, index=frame.index, columns=list(spec.score_names))
        attrs["n_prorated"] = 0
        attrs["n_missing"] = int(np.isnan(x).sum())
        attrs["n_missing_by_score"] = {c: int(out[c].isna().sum()) for c in out.columns}
        out.attrs.update(attrs)
        return out
    values = _apply_rule(spec, x, k)
    if chosen is not None:
        low, high = spec.score_range
        values = (values - low) / (high - low) * (chosen.high - chosen.low) + chosen.low
        attrs["score_range"] = [chosen.low, chosen.high]
    attrs["n_prorated"] = int(np.sum((n_missing_items > 0) & ~np.isnan(values)))
    attrs["n_missing"] = int(np.isnan(values).sum())
    result = pd.Series(values, index=frame.index, name=spec.name, dtype="float64")
    result.attrs.update(attrs)
    return result


def _max_missing(spec: InstrumentSpec, max_missing: int | None) -> int:
    if max_missing is None:
        return spec.missing.max_missing
    if isinstance(max_missing, bool) or not isinstance(max_missing, int | np.integer):
        raise PlanError("max_missing must be an integer", value=max_missing)
    if not 0 <= max_missing < spec.n_items:
        raise PlanError(
            f"impossible max_missing for {spec.name} ({spec.n_items} items; at least one "
            "must be answered)",
            value=int(max_missing),
            expected=f"an integer from 0 to {spec.n_items - 1}",
        )
    return int(max_missing)


def _apply_rule(spec: InstrumentSpec, x: np.ndarray, k: int) -> np.ndarray:
    if spec.scoring in ("identity", "count"):
        return x[:, 0].copy()
    n = spec.n_items
    answered = (~np.isnan(x)).sum(axis=1)
    total = np.nansum(x, axis=1)
    ok = (n - answered <= k) & (answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if spec.scoring == "mean":
            values = total / answered
        else:
            # Complete rows: the plain sum. Prorated rows: mean of answered x item count.
            values = np.where(answered == n, total, total * n / answered)
    values = np.where(ok, values, np.nan)
    if spec.scoring == "lookup":
        raws, scores = (np.array(column) for column in zip(*spec.lookup, strict=True))
        values = np.where(ok, np.interp(values, raws, scores), np.nan)
    return values


def score_all(
    frame: pd.DataFrame,
    *,
    instruments: Iterable[str] | None = None,
    columns: Mapping[str, str] | None = None,
    max_missing: int | Mapping[str, int] | None = None,
    coding: Mapping[str, str] | None = None,
    transform: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Score every registry instrument whose item columns are all in *frame*.

    Parameters
    ----------
    frame
        Long-format data with item columns ``<name>_<k>``.
    instruments
        Names to score; default every registered instrument found in *frame*. A name given
        here whose columns are absent is an error.
    columns
        Item key -> column name, for any instrument.
    max_missing
        Instrument name -> ``max_missing`` (see :func:`score`); or one integer applied to
        every multi-item instrument without an official missing-item rule.
    coding, transform
        Instrument name -> coding / transform name.

    Returns
    -------
    pandas.DataFrame
        One column per score (named by instrument; ONS4 gives ``ons4_life_satisfaction``,
        ``ons4_worthwhile``, ``ons4_happy``, ``ons4_anxious``), indexed like *frame*;
        ``attrs["scoring"]`` maps instrument name -> the ``attrs`` of :func:`score`.

    Raises
    ------
    DataFormatError
        When only some of an instrument's item columns are present (none are guessed).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"trust_1": [7, 3], "srh_1": [1, 4], "other": ["a", "b"]})
    >>> scores = score_all(frame)
    >>> scores.to_dict("list"), sorted(scores.attrs["scoring"])
    ({'srh': [5.0, 2.0], 'trust': [7.0, 3.0]}, ['srh', 'trust'])
    """
    options = {"coding": coding or {}, "transform": transform or {}}
    per_name_missing = max_missing if isinstance(max_missing, Mapping) else {}
    for option, mapping in [*options.items(), ("max_missing", per_name_missing)]:
        unknown = sorted(set(mapping) - set(REGISTRY))
        if unknown:
            raise PlanError(
                f"{option} names unknown instruments",
                value=unknown,
                expected=f"names among {', '.join(REGISTRY)}",
            )
    requested = None if instruments is None else list(instruments)
    names = list(REGISTRY) if requested is None else [get(name).name for name in requested]
    present = set(frame.columns)
    parts: list[pd.Series | pd.DataFrame] = []
    scoring: dict[str, dict[str, Any]] = {}
    for name in names:
        spec = REGISTRY[name]
        wanted = item_columns(
            spec, {k: v for k, v in (columns or {}).items() if k in spec.item_keys}
        )
        found = [c for c in wanted if c in present]
        if not found and requested is None:
            continue
        if len(found) < len(wanted):
            absent = ", ".join(repr(c) for c in wanted if c not in present)
            raise DataFormatError(
                f"{name}: some item columns are present but these are missing: {absent}",
                expected=f"all of {', '.join(wanted)}",
            )
        k = per_name_missing.get(name)
        if isinstance(max_missing, int) and not spec.missing.official and spec.n_items > 1:
            k = max_missing
        result = score(
            spec,
            frame,
            columns=dict(zip(spec.item_keys, wanted, strict=True)),
            max_missing=k,
            coding=options["coding"].get(name),
            transform=options["transform"].get(name),
        )
        scoring[name] = {str(key): value for key, value in result.attrs.items()}
        parts.append(result)
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    out.attrs = {"scoring": scoring}
    return out


def classify(
    instrument: str | InstrumentSpec,
    scores: pd.Series | Iterable[float],
    *,
    coding: str | None = None,
) -> pd.Series:
    """Name the cut-off band of each score, as an ordered categorical.

    Each band runs from its lower bound (inclusive) to the next band's lower bound, so a
    prorated K6 score of 12.6 is "moderate distress" and 13 is "serious psychological
    distress". The coding defaults to the one recorded in ``scores.attrs`` by :func:`score`.

    Examples
    --------
    >>> classify("k6", [0, 7, 8, 12.6, 13, None]).cat.codes.tolist()
    [0, 0, 1, 1, 2, -1]
    >>> classify("k6", [12.6, 13]).tolist()
    ['moderate distress', 'serious psychological distress']
    >>> classify("k6", [18, 19], coding="1-5").tolist()
    ['below threshold', 'probable serious mental illness']
    """
    series = scores if isinstance(scores, pd.Series) else pd.Series(list(scores), dtype=object)
    spec = resolve(instrument)
    attrs = series.attrs.get("scoring", {}).get(spec.name, series.attrs)
    if attrs.get("instrument") not in (None, spec.name):
        raise PlanError(
            f"these are {attrs['instrument']} scores, not {spec.name}", value=attrs["instrument"]
        )
    if attrs.get("transform") is not None:
        raise PlanError(
            "cut-offs apply to untransformed scores",
            value=attrs["transform"],
            expected="scores computed without transform=",
        )
    spec = resolve(spec, coding=coding if coding is not None else attrs.get("coding"))
    if not spec.cutoffs:
        raise PlanError(f"{spec.name} declares no cut-offs", value=spec.name)
    name = str(series.name) if series.name is not None else spec.name
    low, high = spec.score_range
    values = np.array([_score_value(v, series.index[i], name) for i, v in enumerate(series)])
    outside = ~np.isnan(values) & ((values < low) | (values > high))
    if outside.any():
        pos = int(np.flatnonzero(outside)[0])
        raise InvalidResponse(
            f"{spec.name} score outside the score range",
            row=series.index[pos],
            column=name,
            value=float(values[pos]),
            expected=f"{_fmt(low)}-{_fmt(high)}"
            + (f" (coding {spec.coding})" if spec.coding else ""),
        )
    lowers = np.array([band.lower for band in spec.cutoffs])
    codes = np.where(np.isnan(values), -1, np.searchsorted(lowers, values, side="right") - 1)
    labels = [band.label for band in spec.cutoffs]
    bands = pd.Categorical.from_codes(codes.astype(int), categories=pd.Index(labels), ordered=True)
    out = pd.Series(bands, index=series.index, name=f"{spec.name}_band")
    out.attrs = {"instrument": spec.name, "coding": spec.coding, "bands": labels}
    return out


def _score_value(value: Any, row: Any, column: str) -> float:
    if value is None or value is pd.NA:
        return np.nan
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise InvalidResponse("score is not a number", row=row, column=column, value=value)
    return float(value)
