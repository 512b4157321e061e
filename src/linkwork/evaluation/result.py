"""The result of an evaluation: tidy tables, meta data, the plan, trajectories; and its outputs.

:meth:`Evaluation.write` puts ``report.html`` (rendered by :mod:`linkwork.report`),
``results.json`` (every table at full precision with the plan, meta data, data hash and
versions; NaN as ``null``) and ``tables/<name>.csv`` into a folder.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkwork.evaluation.plan import Plan

__all__ = ["Evaluation", "json_ready"]

ALL = "all available"


def json_ready(value: Any) -> Any:
    """Plain JSON data: NaN and missing values become ``None``, numpy scalars Python numbers.

    Examples
    --------
    >>> json_ready({"a": [1.5, float("nan")], "b": np.int64(3), "c": pd.NA})
    {'a': [1.5, None], 'b': 3, 'c': None}
    """
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [json_ready(r) for r in value.to_dict("records")]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return f"{float(x):.{digits}f}"


def _p(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    return "< .001" if float(x) < 0.001 else f"= {float(x):.3f}".replace("0.", ".", 1)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A programme's evaluation as tidy tables (see the evaluation contract in the docs).

    Attributes
    ----------
    tables
        Table name -> DataFrame at full precision: flow, descriptives, attrition, groups,
        models, anova, emmeans, contrasts, correlations, estimability, exclusions, scoring,
        sites. These are exactly the CSV files written to ``tables/``.
    plan
        The resolved :class:`~linkwork.evaluation.Plan`.
    meta
        Versions, data hash, timestamp, participants, waves and their labels, outcomes with
        titles and directions, formulas, the d definition, the df method, sign conventions and
        the disclosure settings.
    trajectories
        outcome, trajectory (an anonymous number, never the participant id), wave, value: for
        people with at least two scored waves of the outcome.
    """

    tables: Mapping[str, pd.DataFrame]
    plan: Plan
    meta: Mapping[str, Any]
    trajectories: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data (what ``results.json`` holds)."""
        return json_ready(
            {
                "meta": dict(self.meta),
                "plan": self.plan.to_dict(),
                "tables": {name: table for name, table in self.tables.items()},
                "trajectories": self.trajectories,
            }
        )

    def to_json(self) -> str:
        """``results.json``: full precision (shortest round-trip floats), NaN as null."""
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``report.html``, ``results.json`` and ``tables/*.csv`` into *directory*.

        The report is rendered by ``linkwork.report.render_html`` (imported when needed); if
        the report module is not installed the other files are still written. Returns the
        paths written.
        """
        out = Path(directory)
        tables = out / "tables"
        tables.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables.items():
            path = tables / f"{name}.csv"
            table.to_csv(path, index=False, lineterminator="\n")
            written.append(path)
        path = out / "results.json"
        path.write_text(self.to_json(), encoding="utf-8")
        written.append(path)
        render = _renderer()
        if render is not None:
            path = out / "report.html"
            path.write_text(render(self), encoding="utf-8")
            written.append(path)
        return written

    def summary(self) -> str:
        """A short plain-text summary: sample, each outcome's change with d, groups."""
        meta = self.meta
        tables = self.tables
        flow = tables.get("flow", pd.DataFrame())
        observed = flow[flow["stage"] == "observed"] if "stage" in flow else flow
        counts = ", ".join(f"{r['wave']} n = {int(r['n'])}" for r in observed.to_dict("records"))
        lines = [
            f"linkwork evaluation: {meta.get('n_participants', '?')} participants"
            + (f"; {counts}" if counts else "")
        ]
        arm = meta.get("arm")
        if arm:
            lines.append(f"Arms: {', '.join(meta.get('arms', []))} (models: wave x arm)")
        baseline, last = meta.get("baseline", ""), meta.get("last_wave", "")
        label = f"{last} - {baseline}"
        header = len(lines)
        contrasts = tables.get("contrasts", pd.DataFrame())
        anova = tables.get("anova", pd.DataFrame())
        status = tables.get("estimability", pd.DataFrame())
        alpha = float(meta.get("alpha", 0.05))
        skipped = []
        for name, info in dict(meta.get("outcomes", {})).items():
            title = f"{info.get('title', name)} ({info.get('direction', '')})"
            mine = (
                status[(status["outcome"] == name) & (status["model"] == ALL)]
                if len(status)
                else status
            )
            if len(mine) and mine.iloc[0]["status"] != "estimated":
                skipped.append(f"{name} ({mine.iloc[0]['reason']})")
                continue
            rows = (
                contrasts[
                    (contrasts["outcome"] == name)
                    & (contrasts["model"] == ALL)
                    & (contrasts["contrast"] == label)
                ]
                if len(contrasts)
                else contrasts
            )
            term = f"wave:{arm}" if arm else "wave"
            test = (
                anova[
                    (anova["outcome"] == name) & (anova["model"] == ALL) & (anova["term"] == term)
                ]
                if len(anova)
                else anova
            )
            parts = []
            for r in rows.to_dict("records"):
                where = f"{r['arm']}: " if "arm" in r else ""
                parts.append(
                    f"{where}{_fmt(r['estimate'])}, d {_fmt(r['d'])} [{_fmt(r['d_conf_low'])}, "
                    f"{_fmt(r['d_conf_high'])}], p {_p(r['p_adjusted'])}"
                )
            if len(test):
                t = test.iloc[0]
                flag = " *" if float(t["p_value"]) < alpha else ""
                parts.append(
                    f"{'wave x arm' if arm else 'wave'} F({_fmt(t['num_df'], 0)}, "
                    f"{_fmt(t['den_df'], 1)}) = {_fmt(t['F'])}, p {_p(t['p_value'])}{flag}"
                )
            lines.append(f"  {title}: " + "; ".join(parts))
        if len(lines) > header:
            lines.insert(
                header,
                f"Change {label} (mixed model, all available data; d = change / SD at "
                f"{baseline}, 95% CI; p adjusted):",
            )
        groups = tables.get("groups", pd.DataFrame())
        if len(groups):
            medians = groups[groups["kind"] == "summary"]["median"]
            text = " -> ".join(_fmt(m, 1).removesuffix(".0") for m in medians)
            friedman = groups[groups["kind"] == "friedman"]
            if len(friedman) and pd.notna(friedman.iloc[0]["statistic"]):
                f = friedman.iloc[0]
                text += (
                    f"; Friedman chi2({_fmt(f['df'], 0)}) = {_fmt(f['statistic'])}, "
                    f"p {_p(f['p_value'])}, n = {int(f['n'])}"
                )
            lines.append(f"Meaningful groups, median by wave: {text}")
        if skipped:
            lines.append("Not estimable: " + "; ".join(skipped))
        lines.append(f"* p < {alpha:g}. Contrasts are later minus earlier wave.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        text = html.escape(self.summary())
        contrasts = self.tables.get("contrasts")
        body = (
            contrasts.to_html(index=False, float_format=lambda x: f"{x:.3f}")
            if (contrasts is not None and len(contrasts))
            else ""
        )
        return f"<div><pre>{text}</pre>{body}</div>"


def _renderer() -> Any:
    try:
        from linkwork.report import render_html
    except ImportError:
        return None
    return render_html
