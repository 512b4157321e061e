"""Validation of plan TOML: every key checked, errors naming the key, the file and the line."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from linkwork.errors import PlanError
from linkwork.evaluation.disclosure import Disclosure
from linkwork.evaluation.plan import (
    ADJUSTMENTS,
    DIRECTIONS,
    EFFECT_SIZES,
    METHODS,
    PAIRS,
    TARGETS,
    Measure,
    Plan,
)

__all__ = ["parse_plan"]


def parse_plan(text: str, file: str | None = None) -> Plan:
    """Parse and validate plan TOML *text*; *file* names it in error messages."""
    return _Parser(text, file).plan()


Check = Callable[[str, Any], Any]


class _Parser:
    """Validate one plan document, raising PlanError with the key's file and line."""

    def __init__(self, text: str, file: str | None) -> None:
        self.text = text
        self.file = file or "plan"
        self.lines = text.splitlines()
        try:
            self.doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise PlanError(f"not valid TOML ({error})", file=self.file) from None

    # errors
    def fail(self, key: str, message: str, value: Any = None, expected: str | None = None) -> None:
        line = self._line(key)
        where = f"{self.file}, line {line}" if line else self.file
        raise PlanError(f"key {key!r}: {message}", file=where, value=value, expected=expected)

    def _line(self, key: str) -> int | None:
        """Best-effort line of a dotted key such as ``outcomes[2].direction``."""
        parts = re.findall(r"([^.\[\]]+)(?:\[(\d+)\])?", key)
        start, end = 0, len(self.lines)
        found: int | None = None
        prefix: list[str] = []
        for depth, (name, index) in enumerate(parts):
            prefix.append(name)
            header = re.escape(".".join(prefix))
            pattern = rf"^\s*\[\[\s*{header}\s*\]\]" if index else rf"^\s*\[\s*{header}\s*\]"
            hits = [i for i in range(len(self.lines)) if re.match(pattern, self.lines[i])]
            nth = int(index) if index else 0
            if len(hits) > nth:
                start = hits[nth] + 1
                found = hits[nth] + 1
                following = [
                    i for i in range(start, len(self.lines)) if re.match(r"^\s*\[", self.lines[i])
                ]
                end = following[0] if following else len(self.lines)
                continue
            assign = rf"^\s*\"?{re.escape(name)}\"?\s*="
            hits = [i for i in range(start, end) if re.match(assign, self.lines[i])]
            if hits:
                return hits[0] + 1
            if depth == len(parts) - 1:
                return found
        return found

    def table(self, key: str, value: Any, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key, "must be a table", value)
        unknown = sorted(set(value) - allowed)
        if unknown:
            name = f"{key}.{unknown[0]}" if key else unknown[0]
            self.fail(name, "unknown key", expected=f"one of {sorted(allowed)}")
        return dict(value)

    # typed getters
    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            self.fail(key, "must be a string", value)
        return str(value)

    def strings(self, key: str, value: Any, choices: tuple[str, ...] | None = None) -> tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of strings", value)
        if len(set(value)) != len(value):
            self.fail(key, "has a repeated entry", value)
        if choices is not None:
            for v in value:
                if v not in choices:
                    self.fail(key, "impossible value", v, f"one of {list(choices)}")
        return tuple(value)

    def choice(self, key: str, value: Any, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(key, "impossible value", value, f"one of {list(choices)}")
        return str(value)

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            self.fail(key, "must be true or false", value)
        return bool(value)

    def whole(self, key: str, value: Any, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, "impossible value", value, f"a whole number >= {minimum}")
        return int(value)

    def measure(self, key: str, value: Any, *, predictor: bool = False) -> Measure:
        allowed = {"name", "instrument", "title", "direction", "options"}
        if predictor:
            allowed.add("waves")
        spec = self.table(key, value, allowed)
        if "name" not in spec:
            self.fail(f"{key}.name", "is required")
        name = self.string(f"{key}.name", spec["name"])
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            self.fail(f"{key}.name", "impossible value", name, "a column name (letters, _, digits)")
        instrument = self.string(f"{key}.instrument", spec.get("instrument", "")) or None
        if instrument is not None:
            registry = _registry()
            if registry is not None and instrument not in registry:
                self.fail(
                    f"{key}.instrument",
                    "unknown instrument",
                    instrument,
                    'a name listed by `linkwork instruments` (or "" for a score column)',
                )
        title = self.string(f"{key}.title", spec.get("title", "")) or _title(instrument, name)
        direction = spec.get("direction")
        if direction is None:
            direction = _direction(instrument)
        direction = self.choice(f"{key}.direction", direction, DIRECTIONS)
        options = spec.get("options", {})
        if not isinstance(options, dict):
            self.fail(f"{key}.options", "must be a table", options)
        waves = self.strings(f"{key}.waves", spec.get("waves", [])) if predictor else ()
        return Measure(name, instrument, title, direction, dict(options), waves)

    def plan(self) -> Plan:
        sections = {
            "waves",
            "design",
            "analysis",
            "effect_size",
            "disclosure",
            "groups",
            "relationships",
            "outcomes",
        }
        doc = self.table("", self.doc, sections)
        base = Plan()

        waves = self.table("waves", doc.get("waves", {}), {"order", "baseline", "labels"})
        order = self.strings("waves.order", waves.get("order", []))
        baseline = self.string("waves.baseline", waves.get("baseline", ""))
        if baseline and order and baseline not in order:
            self.fail(
                "waves.baseline", "is not one of the waves", baseline, f"one of {list(order)}"
            )
        labels = waves.get("labels", {})
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            self.fail("waves.labels", 'must be a table of wave = "label"', labels)
        for wave in labels:
            if order and wave not in order:
                self.fail(
                    f"waves.labels.{wave}", "labels an unknown wave", wave, f"one of {list(order)}"
                )

        design = self.table(
            "design", doc.get("design", {}), {"arm", "site", "covariates", "attrition"}
        )
        analysis = self.table(
            "analysis", doc.get("analysis", {}), {"alpha", "adjust", "completers"}
        )
        alpha = analysis.get("alpha", base.alpha)
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
            self.fail("analysis.alpha", "impossible value", alpha, "a number between 0 and 1")
        if not math.isfinite(float(alpha)):
            self.fail("analysis.alpha", "impossible value", alpha, "a number between 0 and 1")
        effect = self.table("effect_size", doc.get("effect_size", {}), {"definition"})
        disclosure = self.table(
            "disclosure", doc.get("disclosure", {}), {"suppress", "threshold", "rounding"}
        )
        rule = Disclosure(
            self.boolean("disclosure.suppress", disclosure.get("suppress", True)),
            self.whole("disclosure.threshold", disclosure.get("threshold", 7), 0),
            self.whole("disclosure.rounding", disclosure.get("rounding", 5), 1),
        )

        groups_doc = self.table(
            "groups",
            doc.get("groups", {}),
            {"name", "instrument", "title", "direction", "options", "pairs"},
        )
        pairs = self.choice("groups.pairs", groups_doc.pop("pairs", "available"), PAIRS)
        groups = None
        if groups_doc.get("name", "") != "":
            groups = self.measure("groups", groups_doc)

        rel = self.table(
            "relationships", doc.get("relationships", {}), {"methods", "targets", "predictors"}
        )
        predictors_doc = rel.get("predictors", [])
        if not isinstance(predictors_doc, list):
            self.fail("relationships.predictors", "must be an array of tables", predictors_doc)
        predictors = tuple(
            self.measure(f"relationships.predictors[{i}]", p, predictor=True)
            for i, p in enumerate(predictors_doc)
        )
        for i, p in enumerate(predictors):
            for wave in p.waves:
                if order and wave not in order:
                    self.fail(
                        f"relationships.predictors[{i}].waves",
                        "names an unknown wave",
                        wave,
                        f"waves from {list(order)}",
                    )
        outcomes_doc = doc.get("outcomes", [])
        if not isinstance(outcomes_doc, list):
            self.fail("outcomes", "must be an array of tables", outcomes_doc)
        outcomes = tuple(self.measure(f"outcomes[{i}]", o) for i, o in enumerate(outcomes_doc))
        names = [m.name for m in (*outcomes, *predictors)] + ([groups.name] if groups else [])
        for i, name in enumerate(names):
            if name in names[:i]:
                self.fail("outcomes", "a measure name is used twice", name, "unique names")
        plan = Plan(
            waves=order,
            baseline=baseline or (order[0] if order else ""),
            wave_labels=dict(labels),
            arm=self.string("design.arm", design.get("arm", base.arm)),
            site=self.string("design.site", design.get("site", base.site)),
            covariates=self.strings("design.covariates", design.get("covariates", [])),
            attrition=self.strings("design.attrition", design.get("attrition", [])),
            alpha=float(alpha),
            adjust=self.choice("analysis.adjust", analysis.get("adjust", "holm"), ADJUSTMENTS),
            completers=self.boolean("analysis.completers", analysis.get("completers", True)),
            effect_size=self.choice(
                "effect_size.definition", effect.get("definition", "baseline-sd"), EFFECT_SIZES
            ),
            disclosure=rule,
            groups=groups,
            group_pairs=pairs,
            methods=self.strings(
                "relationships.methods", rel.get("methods", list(METHODS)), METHODS
            ),
            targets=self.strings(
                "relationships.targets", rel.get("targets", list(TARGETS)), TARGETS
            ),
            predictors=predictors,
            outcomes=outcomes,
            source=self.file,
        )
        for name in plan.covariates:
            if name in {"participant_id", "wave", plan.arm}:
                self.fail("design.covariates", "names a design column", name, "a covariate column")
        return plan


def _registry() -> Mapping[str, Any] | None:
    try:
        from linkwork.instruments import REGISTRY
    except ImportError:  # pragma: no cover - only while the instrument library is incomplete
        return None
    return REGISTRY


def _title(instrument: str | None, name: str) -> str:
    registry = _registry()
    if instrument and registry is not None and instrument in registry:
        return str(getattr(registry[instrument], "title", name))
    return name


def _direction(instrument: str | None) -> str:
    registry = _registry()
    if instrument and registry is not None and instrument in registry:
        spec_direction = getattr(registry[instrument], "direction", "higher-better")
        return "higher is worse" if spec_direction == "higher-worse" else "higher is better"
    return "higher is better"
