"""Assemble the report: the template context from an evaluation, and the rendered HTML."""

from __future__ import annotations

import dataclasses
import platform
import re
from collections.abc import Mapping
from importlib import metadata, resources
from typing import Any

import jinja2
from markupsafe import Markup

from linkwork.report._format import fmt_int
from linkwork.report._source import EvaluationLike, ReportInput, read_input
from linkwork.report.figures import correlation_figure, outcome_figure, placeholder_figure
from linkwork.report.flow import flow_diagram, flow_table
from linkwork.report.models import (
    correlation_tables,
    outcome_model,
    sensitivity_table,
)
from linkwork.report.tables import (
    Table,
    attrition_table,
    descriptives_table,
    exclusions_table,
    groups_tables,
    scoring_table,
    sites_table,
    versions_table,
)
from linkwork.report.text import THRESHOLDS, build_summary

__all__ = ["SECTIONS", "build_context", "render"]

#: Section ids and titles, in report order (the template uses the same ids).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary for GPs and commissioners"),
    ("flow", "Participant flow and attrition"),
    ("descriptives", "Descriptive statistics per wave"),
    ("groups", "Meaningful social groups"),
    ("outcomes", "Outcomes: mixed models"),
    ("relationships", "Relationships with the link worker and group facilitators"),
    ("sensitivity", "Sensitivity analysis: completers only"),
    ("methods", "Methods"),
    ("disclosure", "Disclosure control"),
)

_D_FORMULA = (
    "d = (EMM at the later wave − EMM at the earlier wave) / SD of the outcome at baseline "
    "(observed, n − 1 denominator)"
)


class _Numbering:
    """Numbers tables in the order they are created ("Table 1. ...")."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, table: Table | None) -> Table | None:
        if table is None or table.empty:
            return table
        self.count += 1
        return dataclasses.replace(table, caption=f"Table {self.count}. {table.caption}")


def _key(name: str) -> str:
    return "fig-" + re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-").lower()


def _versions(inp: ReportInput) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    linkwork = inp.get("linkwork_version", "versions.linkwork", "version")
    if linkwork:
        found["linkwork"] = str(linkwork)
    for key in ("versions", "dependency_versions", "dependencies", "software"):
        value = inp.get(key)
        if isinstance(value, Mapping):
            found.update({str(k): str(v) for k, v in value.items() if k not in found})
    for package in ("jinja2", "matplotlib"):
        if package not in found:
            try:
                found[f"{package} (report)"] = metadata.version(package)
            except metadata.PackageNotFoundError:  # pragma: no cover - both are dependencies
                continue
    if not any(k.lower().startswith("python") for k in found):
        found["Python (report)"] = platform.python_version()
    return list(found.items())


def _suppression(inp: ReportInput) -> dict[str, Any]:
    raw = inp.get("suppression", "disclosure", default={})
    enabled = True
    threshold: Any = None
    rounding: Any = None
    if isinstance(raw, Mapping):
        flag = raw.get("suppress", raw.get("enabled", True))
        enabled = bool(flag) if flag is not None else True
        threshold = raw.get("threshold")
        rounding = raw.get("rounding", raw.get("round_to"))
    elif isinstance(raw, bool):
        enabled = raw
    rule = inp.get("suppression.text", "suppression.rule", "suppression_rule")
    if rule is None and isinstance(raw, str):
        rule = raw
    if rule is None and threshold is not None:
        rule = f"counts of 1-{threshold} suppressed"
        if rounding and int(rounding) > 1:
            rule += f", other counts rounded to the nearest {rounding}"
    text = []
    if enabled:
        text.append(
            "Counts in tables broken down below the whole programme (for example by site, link "
            f"worker or group) are protected against identifying individuals: {rule or 'the configured rule'}. "  # noqa: E501
            "Suppressed counts are shown as * in those tables. Counts for the whole programme "
            "(the participant flow, descriptive statistics) and model estimates with their "
            "confidence intervals are not suppressed."
        )
    else:
        text.append(
            "Disclosure control was switched off: small counts in breakdowns below the whole "
            "programme are shown as they are. This report is for internal use only."
        )
    text.append(
        "No participant identifier appears anywhere in this report: individual trajectories in "
        "the figures are drawn as unlabelled lines, and every table is an aggregate."
    )
    return {"enabled": enabled, "rule": rule or "", "text": text}


def _said(inp: ReportInput, key: str, default: str) -> str:
    value = inp.get(key)
    return str(value) if isinstance(value, str) and value.strip() else default


def _methods(inp: ReportInput, models: list[Any]) -> dict[str, Any]:
    n = inp.get("n_participants")
    waves = ", ".join(inp.wave_label(w) for w in inp.waves)
    adjust = str(inp.get("adjust", default="holm")).capitalize()
    thresholds = ", ".join(
        f"{label} from {bound:g}" for bound, label in reversed(THRESHOLDS) if bound > 0
    )
    scoring = inp.table("scoring")
    prorated = int(scoring["n_prorated"].fillna(0).sum()) if "n_prorated" in scoring else 0
    estimation = [
        "Estimation: "
        + _said(
            inp,
            "estimation",
            "linear mixed models with a random intercept per participant, fitted by restricted "
            "maximum likelihood (REML)",
        )
        + ". Wave is a factor with treatment coding and the baseline wave as reference.",
        "Degrees of freedom: "
        + _said(inp, "df_method", "Satterthwaite (as lmerTest and emmeans)")
        + ". Type III F tests as lmerTest's anova(type = 3); estimated marginal means as emmeans.",
        "Comparisons of waves: "
        + _said(inp, "contrast_sign", f"later minus earlier wave, {adjust}-adjusted")
        + ".",
        f"Effect size: {_said(inp, 'd_formula', _D_FORMULA)}. Words used in the summary for "
        f"sizes of |d| (Cohen 1988): {thresholds}, below 0.2 very small.",
        "Change (for correlations): "
        + _said(inp, "change_definition", "last wave minus baseline")
        + ".",
        "Completers: "
        + _said(inp, "completers_definition", "participants observed at every wave")
        + ".",
        "Meaningful groups: Friedman test over all waves on complete cases; Wilcoxon signed-rank "
        "tests: " + _said(inp, "wilcoxon", f"pairs of waves, {adjust}-adjusted, r = z / √n") + ".",
        "Relationships: Pearson and Spearman correlations with 95% CIs by Fisher's z "
        "transformation; adjusted p values: "
        + _said(inp, "correlation_adjustment", "Holm and Benjamini–Hochberg (FDR)")
        + ".",
        "Numbers are kept at full precision in the results (results.json, tables/*.csv) and "
        "rounded only in this report: estimates to 2 decimals, p values to 3.",
    ]
    notes = inp.get("notes", default=[])
    facts = [
        ("Participants", fmt_int(n) if n is not None else "—"),
        ("Person-wave rows", fmt_int(inp.get("n_rows")) if inp.get("n_rows") else "—"),
        ("Waves", waves or "—"),
        ("Baseline wave", inp.wave_label(inp.baseline) if inp.baseline else "—"),
        ("Significance level α", str(inp.alpha)),
        ("Data source", _said(inp, "data_source", "—")),
        ("Analysis plan", _said(inp, "plan_source", "—")),
        ("Data hash (SHA-256)", _said(inp, "data_hash", "—")),
        ("How the hash is computed", _said(inp, "data_hash_method", "—")),
        ("Created", _said(inp, "created", "—")),
    ]
    arms = inp.get("arms", default=[])
    arm_text = (
        f" Arms compared (column '{inp.arm}'): " + ", ".join(str(a) for a in arms) + "."
        if inp.arm and isinstance(arms, list) and arms
        else (f" Arms compared (column '{inp.arm}')." if inp.arm else "")
    )
    return {
        "design": (
            f"{fmt_int(n) + ' participants' if n is not None else 'Participants'} with "
            f"questionnaires at {waves or 'the recorded waves'}."
            + (arm_text or " A single group followed over time (before-and-after design).")
        ),
        "formulas": [(m.info.title, m.formula) for m in models],
        "estimation": estimation,
        "notes": [str(x) for x in notes] if isinstance(notes, list) else [str(notes)],
        "scoring_text": (
            "Scores follow each instrument's published scoring rule and missing-item rule; "
            f"{fmt_int(prorated)} person-wave scores were prorated from partly answered "
            "questionnaires (see the table)."
        ),
        "facts": facts,
    }


def build_context(evaluation: EvaluationLike) -> dict[str, Any]:
    """Everything the template needs, computed from the evaluation's tables (no statistics)."""
    inp = read_input(evaluation)
    number = _Numbering()
    flow_svg = flow_diagram(inp)
    context: dict[str, Any] = {
        "title": inp.title,
        "summary": build_summary(inp),
        "flow_svg": flow_svg,
        "flow_table": number(flow_table(inp)),
        "attrition_table": number(attrition_table(inp)),
        "descriptives_table": number(descriptives_table(inp)),
    }
    groups, pairs = groups_tables(inp)
    context["groups_table"] = number(groups)
    context["groups_pairs_table"] = number(pairs)
    figure_numbers: dict[str, int] = {"flow": 1}
    outcome_svgs: dict[str, str] = {}
    models = []
    for info in inp.outcomes:
        model = outcome_model(inp, info)
        model = dataclasses.replace(
            model,
            anova=number(model.anova),
            emmeans=number(model.emmeans),
            contrasts=number(model.contrasts),
            coefficients=number(model.coefficients),
        )
        models.append(model)
        figure_numbers[info.name] = len(figure_numbers) + 1
        try:
            outcome_svgs[info.name] = outcome_figure(inp, info, _key(info.name))
        except (KeyError, ValueError) as error:
            outcome_svgs[info.name] = placeholder_figure(
                _key(info.name), info.title, f"No figure: {error}"
            )
    context["outcome_models"] = models
    context["outcome_svgs"] = outcome_svgs
    context["correlation_svg"] = correlation_figure(inp)
    figure_numbers["correlations"] = len(figure_numbers) + 1
    context["figure_numbers"] = figure_numbers
    context["correlation_tables"] = [number(t) for t in correlation_tables(inp)]
    context["sensitivity_table"] = number(sensitivity_table(inp))
    context["scoring_table"] = number(scoring_table(inp))
    context["exclusions_table"] = number(exclusions_table(inp))
    context["versions_table"] = number(versions_table(_versions(inp)))
    context["suppression"] = _suppression(inp)
    context["sites_table"] = number(sites_table(inp, context["suppression"]["rule"]))
    context["methods"] = _methods(inp, models)
    context["plan_text"] = inp.plan_text
    context["adjust"] = str(inp.get("adjust", default="holm")).capitalize()
    context["d_formula"] = str(inp.get("d_formula", default=_D_FORMULA))
    context["sections"] = [{"id": key, "title": title} for key, title in SECTIONS]
    version = str(inp.get("linkwork_version", "versions.linkwork", default="")) or _own_version()
    context["version"] = version
    n = inp.get("n_participants")
    created = inp.get("created", "created_at")
    facts = [f"{fmt_int(n)} participants" if n is not None else ""]
    facts.append(", ".join(inp.wave_label(w) for w in inp.waves))
    if created:
        facts.append(f"created {created}")
    context["header_facts"] = " · ".join(f for f in facts if f)
    data_hash = str(inp.get("data_hash", default=""))
    context["footer"] = (
        f"Produced by linkwork {version}"
        + (f" from data with SHA-256 {data_hash[:12]}…" if data_hash else "")
        + ". The report contains aggregates only, no participant identifiers."
    )
    return context


def _own_version() -> str:
    from linkwork import __version__

    return __version__


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("linkwork.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def render(evaluation: EvaluationLike) -> str:
    """Render the report of *evaluation* as one self-contained HTML document."""
    context = build_context(evaluation)
    css = resources.files("linkwork.report").joinpath("templates/report.css").read_text("utf-8")
    context["css"] = Markup(css)
    return _environment().get_template("report.html").render(**context)
