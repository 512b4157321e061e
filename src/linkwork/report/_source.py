"""What the report reads: an evaluation's tidy tables, meta data, plan and trajectories.

The report depends on nothing but this duck-typed interface (see :class:`EvaluationLike`), so
it renders an :class:`linkwork.evaluation.Evaluation` and any object with the same attributes.
:class:`ReportInput` normalises the meta dictionary once, so that the section builders never
look keys up themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from linkwork.report._format import is_missing

__all__ = [
    "ALL_DATA",
    "COMPLETERS",
    "TABLE_NAMES",
    "EvaluationLike",
    "OutcomeInfo",
    "ReportInput",
    "lookup",
    "read_input",
]

#: Tables the report knows, in the order of the evaluation contract.
TABLE_NAMES = (
    "flow",
    "descriptives",
    "attrition",
    "groups",
    "models",
    "anova",
    "emmeans",
    "contrasts",
    "correlations",
    "estimability",
    "exclusions",
    "scoring",
    "sites",
)

ALL_DATA = "all available"
COMPLETERS = "completers"


class EvaluationLike(Protocol):
    """The attributes of an evaluation that the report uses."""

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]: ...

    @property
    def meta(self) -> Mapping[str, Any]: ...

    @property
    def plan(self) -> Any: ...

    @property
    def trajectories(self) -> pd.DataFrame: ...


@dataclass(frozen=True, slots=True)
class OutcomeInfo:
    """How an outcome is named and read.

    Attributes
    ----------
    name
        Column name in the tables (e.g. ``uls8``).
    title
        Human-readable title (e.g. ``Loneliness (ULS-8)``).
    higher_is_better
        True when a higher score is better, False when worse, None when unknown.
    scale
        Scale description for captions (e.g. ``total 8–32``), possibly empty.
    """

    name: str
    title: str
    higher_is_better: bool | None
    scale: str = ""

    @property
    def direction_text(self) -> str:
        """'higher is better', 'higher is worse' or 'direction not stated'."""
        if self.higher_is_better is None:
            return "direction not stated"
        return "higher is better" if self.higher_is_better else "higher is worse"


@dataclass(frozen=True, slots=True)
class ReportInput:
    """An evaluation's content, normalised for the report (tables copied, never modified)."""

    tables: Mapping[str, pd.DataFrame]
    trajectories: pd.DataFrame
    meta: Mapping[str, Any]
    plan_text: str
    outcomes: tuple[OutcomeInfo, ...]
    waves: tuple[str, ...]
    wave_labels: Mapping[str, str]
    baseline: str
    alpha: float
    arm: str | None
    title: str
    measure_titles: Mapping[str, str] = field(default_factory=dict)
    observed_waves: tuple[str, ...] = ()

    @property
    def last_wave(self) -> str:
        """The last wave with data (meta ``last_wave``), else the last planned wave."""
        last = self.get("last_wave")
        if isinstance(last, str) and last:
            return last
        waves = self.observed_waves or self.waves
        return waves[-1] if waves else ""

    def table(self, name: str) -> pd.DataFrame:
        """The named table, or an empty frame when the evaluation did not produce it."""
        frame = self.tables.get(name)
        return frame if frame is not None else pd.DataFrame()

    def outcome(self, name: str) -> OutcomeInfo:
        """Information on outcome *name* (a plain entry for outcomes meta does not describe)."""
        for info in self.outcomes:
            if info.name == name:
                return info
        return OutcomeInfo(name, name, None)

    def title_of(self, name: str) -> str:
        """Display title of any measure: an outcome, a predictor, the groups count."""
        info = self.outcome(name)
        if info.title != name:
            return info.title
        return self.measure_titles.get(name, name)

    def wave_label(self, wave: Any) -> str:
        """Display label of a wave: "T2" or "T2 (8 weeks)" when meta gives a description."""
        key = str(wave)
        label = self.wave_labels.get(key)
        return f"{key} ({label})" if label and label != key else key

    def get(self, *keys: str, default: Any = None) -> Any:
        """First present meta value among *keys* (dotted keys look into nested mappings)."""
        return lookup(self.meta, *keys, default=default)


def lookup(meta: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    """First non-missing value among *keys* in *meta*; ``a.b`` looks up ``meta["a"]["b"]``.

    Examples
    --------
    >>> lookup({"a": {"b": 1}, "c": None}, "c", "a.b")
    1
    >>> lookup({}, "x", default=0)
    0
    """
    for key in keys:
        node: Any = meta
        for part in key.split("."):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                node = None
                break
        if node is not None and not (isinstance(node, float) and is_missing(node)):
            return node
    return default


def _direction(entry: Mapping[str, Any]) -> bool | None:
    flag = lookup(entry, "higher_is_better")
    if isinstance(flag, bool):
        return flag
    text = str(lookup(entry, "direction", default="")).lower()
    if "better" in text:
        return True
    if "worse" in text:
        return False
    return None


def _outcomes(meta: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> list[OutcomeInfo]:
    raw = lookup(meta, "outcomes", default=None)
    infos: list[OutcomeInfo] = []
    entries: list[tuple[str, Any]] = []
    if isinstance(raw, Mapping):
        entries = [(str(k), v) for k, v in raw.items()]
    elif isinstance(raw, Sequence) and not isinstance(raw, str):
        for item in raw:
            if isinstance(item, Mapping):
                entries.append((str(lookup(item, "name", "outcome", default="")), item))
            else:
                entries.append((str(item), {}))
    titles = lookup(meta, "outcome_labels", "outcome_titles", default={}) or {}
    directions = lookup(meta, "outcome_directions", "directions", default={}) or {}
    for name, entry in entries:
        spec = entry if isinstance(entry, Mapping) else {"title": entry}
        title = str(lookup(spec, "title", "label", default=titles.get(name, name)))
        higher = _direction(spec)
        if higher is None and name in directions:
            higher = _direction({"direction": directions[name]})
        scale = str(lookup(spec, "scale", "unit", "range", default=""))
        infos.append(OutcomeInfo(name, title, higher, scale))
    known = {i.name for i in infos}
    # Measures only described (predictors, the groups count) are not outcomes; without meta,
    # the modelled ones are.
    for table in (
        ("estimability", "emmeans") if infos else ("estimability", "emmeans", "descriptives")
    ):
        frame = tables.get(table)
        if frame is None or "outcome" not in frame.columns:
            continue
        for name in frame["outcome"].dropna().astype(str).unique():
            if name not in known:
                known.add(name)
                title = str(titles.get(name, name))
                higher = _direction({"direction": directions.get(name, "")})
                infos.append(OutcomeInfo(name, title, higher))
    return infos


def _waves(meta: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> list[str]:
    raw = lookup(meta, "waves", "wave_order", default=None)
    if isinstance(raw, Mapping):
        return [str(k) for k in raw]
    if isinstance(raw, Sequence) and not isinstance(raw, str) and len(raw):
        return [str(w) for w in raw]
    seen: list[str] = []
    for name in ("descriptives", "emmeans", "flow"):
        frame = tables.get(name)
        if frame is None or "wave" not in frame.columns:
            continue
        column = frame["wave"]
        values = (
            [str(c) for c in column.cat.categories]
            if isinstance(column.dtype, pd.CategoricalDtype)
            else [str(v) for v in column.dropna().unique()]
        )
        for value in values:
            if value not in seen and not is_missing(value):
                seen.append(value)
        if seen:
            break
    return seen


#: Titles of the study's own measures when neither meta nor the plan names them.
_KNOWN_TITLES = {
    "lw_relationship": "Relationship with the link worker",
    "facilitator_belonging": "Facilitator fosters belonging",
    "groups": "Meaningful social groups",
    "age": "Age (years)",
    "gender": "Gender",
}


def _measure_titles(meta: Mapping[str, Any], plan: Mapping[str, Any]) -> dict[str, str]:
    titles = dict(_KNOWN_TITLES)
    sources = [lookup(plan, "relationships.predictors"), lookup(plan, "groups")]
    sources += [lookup(meta, "predictors"), lookup(meta, "predictor_labels")]
    for source in sources:
        items: list[tuple[str, Any]] = []
        if isinstance(source, Mapping) and "name" in source:
            items = [(str(source["name"]), source)]
        elif isinstance(source, Mapping):
            items = [(str(k), v) for k, v in source.items()]
        elif isinstance(source, Sequence) and not isinstance(source, str):
            items = [
                (str(lookup(v, "name", default="")), v) for v in source if isinstance(v, Mapping)
            ]
        for name, value in items:
            title = value if isinstance(value, str) else lookup(value, "title", "label")
            if name and isinstance(title, str) and title:
                titles[name] = title
    return titles


def _observed(meta: Mapping[str, Any], waves: list[str]) -> tuple[str, ...]:
    raw = lookup(meta, "observed_waves", default=None)
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        return tuple(str(w) for w in raw)
    return tuple(waves)


def _plan_text(plan: Any) -> str:
    if plan is None:
        return ""
    to_toml = getattr(plan, "to_toml", None)
    if callable(to_toml):
        return str(to_toml())
    return str(plan)


def _plan_dict(plan: Any) -> dict[str, Any]:
    to_dict = getattr(plan, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        return dict(data) if isinstance(data, Mapping) else {}
    return {}


def _with_plan_defaults(meta: Mapping[str, Any], plan: Any) -> dict[str, Any]:
    """Meta, with what it lacks taken from the plan's ``to_dict()`` layout when there is one."""
    merged = dict(meta)
    data = _plan_dict(plan)
    fallbacks = {
        "outcomes": lookup(data, "outcomes"),
        "predictors": lookup(data, "relationships.predictors"),
        "waves": lookup(data, "waves.order"),
        "wave_labels": lookup(data, "waves.labels"),
        "baseline_wave": lookup(data, "waves.baseline"),
        "alpha": lookup(data, "analysis.alpha"),
        "adjust": lookup(data, "analysis.adjust"),
        "suppression": lookup(data, "disclosure"),
    }
    for key, value in fallbacks.items():
        if value not in (None, "", [], {}) and lookup(merged, key) in (None, "", [], {}):
            merged[key] = value
    describe = getattr(getattr(plan, "disclosure", None), "describe", None)
    if callable(describe) and lookup(merged, "suppression_rule") is None:
        merged["suppression_rule"] = str(describe())
    return merged


def read_input(evaluation: EvaluationLike) -> ReportInput:
    """Normalise *evaluation* for the report (nothing is computed; meta keys are resolved)."""
    tables = {str(k): v for k, v in dict(evaluation.tables).items() if v is not None}
    meta: Mapping[str, Any] = _with_plan_defaults(evaluation.meta or {}, evaluation.plan)
    trajectories = getattr(evaluation, "trajectories", None)
    if trajectories is None:
        trajectories = pd.DataFrame(columns=["outcome", "trajectory", "wave", "value"])
    waves = _waves(meta, tables)
    labels_raw = lookup(meta, "wave_labels", default=None)
    if labels_raw is None and isinstance(lookup(meta, "waves"), Mapping):
        labels_raw = lookup(meta, "waves")
    labels = (
        {str(k): str(v) for k, v in (labels_raw or {}).items()}
        if isinstance(labels_raw, Mapping)
        else {}
    )
    baseline = str(lookup(meta, "baseline_wave", "baseline", default="") or "")
    if not baseline and waves:
        baseline = waves[0]
    alpha = float(lookup(meta, "alpha", default=getattr(evaluation.plan, "alpha", 0.05)) or 0.05)
    emmeans = tables.get("emmeans")
    arm = lookup(meta, "arm", "arm_column", default=None)
    if arm is None and emmeans is not None and "arm" in emmeans.columns:
        arm = "arm" if emmeans["arm"].notna().any() else None
    title = str(lookup(meta, "title", "programme", default="Link worker social prescribing"))
    return ReportInput(
        tables=tables,
        trajectories=trajectories,
        meta=meta,
        plan_text=_plan_text(evaluation.plan),
        outcomes=tuple(_outcomes(meta, tables)),
        waves=tuple(waves),
        wave_labels=labels,
        baseline=baseline,
        alpha=alpha,
        arm=str(arm) if arm else None,
        title=title,
        measure_titles=_measure_titles(meta, _plan_dict(evaluation.plan)),
        observed_waves=_observed(meta, waves),
    )
