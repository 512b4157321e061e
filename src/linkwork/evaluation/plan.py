"""The analysis plan: what an evaluation analyses and how, read from TOML.

The default plan (``default_plan.toml`` in this package, written with its comments by
``linkwork plan --init``) is the design of the 18-month link worker social prescribing study.
A plan file may leave out any key to take its default; an unknown key or an impossible value
is a :class:`linkwork.PlanError` naming the key, the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from linkwork.errors import PlanError
from linkwork.evaluation.disclosure import Disclosure

__all__ = [
    "ADJUSTMENTS",
    "DIRECTIONS",
    "EFFECT_SIZES",
    "Measure",
    "Plan",
    "default_plan",
    "default_plan_text",
    "load_plan",
]

DIRECTIONS = ("higher is better", "higher is worse")
ADJUSTMENTS = ("holm", "bonferroni", "none")
EFFECT_SIZES = ("baseline-sd", "none")
METHODS = ("pearson", "spearman")
TARGETS = ("last wave", "change")
PAIRS = ("available", "complete")


@dataclass(frozen=True, slots=True)
class Measure:
    """One scored measure: an outcome, a relationship predictor or the groups count.

    Attributes
    ----------
    name
        The score column in the scored data.
    instrument
        The linkwork instrument scored from the item columns ``<instrument>_<k>`` when they are
        present; ``None`` takes the column ``name`` as the score.
    title
        Human-readable name for the report.
    direction
        ``"higher is better"`` or ``"higher is worse"``.
    options
        Scoring options passed to :func:`linkwork.instruments.score`.
    waves
        Predictors only: the waves at which it is measured and correlated with outcomes.
    """

    name: str
    instrument: str | None = None
    title: str = ""
    direction: str = "higher is better"
    options: Mapping[str, Any] = field(default_factory=dict)
    waves: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """A resolved analysis plan (see ``default_plan.toml`` for every key and its meaning).

    Examples
    --------
    >>> plan = default_plan()
    >>> plan.waves, plan.baseline, [o.name for o in plan.outcomes][:3]
    (('T1', 'T2', 'T3'), 'T1', ['ons_loneliness', 'uls8', 'k6'])
    >>> Plan.from_toml(plan.to_toml()) == plan
    True
    """

    waves: tuple[str, ...] = ()
    baseline: str = ""
    wave_labels: Mapping[str, str] = field(default_factory=dict)
    arm: str = "arm"
    site: str = "site"
    covariates: tuple[str, ...] = ()
    attrition: tuple[str, ...] = ()
    alpha: float = 0.05
    adjust: str = "holm"
    completers: bool = True
    effect_size: str = "baseline-sd"
    disclosure: Disclosure = field(default_factory=Disclosure)
    groups: Measure | None = None
    group_pairs: str = "available"
    methods: tuple[str, ...] = METHODS
    targets: tuple[str, ...] = TARGETS
    predictors: tuple[Measure, ...] = ()
    outcomes: tuple[Measure, ...] = ()
    source: str = field(default="default", compare=False)

    @classmethod
    def from_toml(cls, text: str, *, file: str | None = None) -> Plan:
        """Parse and validate plan TOML *text* (*file* names it in error messages)."""
        from linkwork.evaluation._plan_parser import parse_plan

        return parse_plan(text, file)

    def label(self, wave: str) -> str:
        """The report's name for *wave* (the wave itself when no label is set)."""
        return self.wave_labels.get(wave, wave)

    def measures(self) -> list[Measure]:
        """Every measure the plan scores: outcomes, predictors, then groups."""
        found = [*self.outcomes, *self.predictors]
        if self.groups is not None:
            found.append(self.groups)
        return found

    def to_dict(self) -> dict[str, Any]:
        """The plan as nested plain data, in the layout of the TOML file."""

        def measure(m: Measure, *, waves: bool = False) -> dict[str, Any]:
            out: dict[str, Any] = {"name": m.name, "instrument": m.instrument or ""}
            out |= {"title": m.title, "direction": m.direction}
            if m.options:
                out["options"] = dict(m.options)
            if waves:
                out["waves"] = list(m.waves)
            return out

        groups: dict[str, Any] = {"name": "", "pairs": self.group_pairs}
        if self.groups is not None:
            groups = measure(self.groups) | {"pairs": self.group_pairs}
        return {
            "waves": {
                "order": list(self.waves),
                "baseline": self.baseline,
                "labels": dict(self.wave_labels),
            },
            "design": {
                "arm": self.arm,
                "site": self.site,
                "covariates": list(self.covariates),
                "attrition": list(self.attrition),
            },
            "analysis": {
                "alpha": self.alpha,
                "adjust": self.adjust,
                "completers": self.completers,
            },
            "effect_size": {"definition": self.effect_size},
            "disclosure": {
                "suppress": self.disclosure.suppress,
                "threshold": self.disclosure.threshold,
                "rounding": self.disclosure.rounding,
            },
            "groups": groups,
            "relationships": {
                "methods": list(self.methods),
                "targets": list(self.targets),
                "predictors": [measure(p, waves=True) for p in self.predictors],
            },
            "outcomes": [measure(o) for o in self.outcomes],
        }

    def to_toml(self) -> str:
        """The resolved plan as TOML (no comments; ``default_plan_text()`` has them)."""
        data = self.to_dict()
        lines = [f"# linkwork analysis plan (resolved from: {self.source})", ""]
        for section in ("waves", "design", "analysis", "effect_size", "disclosure", "groups"):
            lines.append(f"[{section}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in data[section].items()]
            lines.append("")
        rel = data["relationships"]
        lines.append("[relationships]")
        lines += [f"{k} = {_toml_value(rel[k])}" for k in ("methods", "targets")]
        lines.append("")
        for item in rel["predictors"]:
            lines.append("[[relationships.predictors]]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
            lines.append("")
        for item in data["outcomes"]:
            lines.append("[[outcomes]]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
            lines.append("")
        return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {value!r} as TOML")


def default_plan_text() -> str:
    """The default plan file, with its comments (what ``linkwork plan --init`` writes)."""
    return resources.files("linkwork.evaluation").joinpath("default_plan.toml").read_text("utf-8")


def default_plan() -> Plan:
    """The study's design as a :class:`Plan` (see ``default_plan.toml``)."""
    return Plan.from_toml(default_plan_text(), file="default_plan.toml")


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file.

    Raises
    ------
    linkwork.PlanError
        For a file that is not TOML, an unknown key or an impossible value, naming the key,
        the file and the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlanError(f"cannot read the plan file: {error.strerror}", file=str(path)) from None
    plan = Plan.from_toml(text, file=str(path))
    return replace(plan, source=str(path))
