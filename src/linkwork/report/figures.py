"""Figures of the report as inline SVG strings (matplotlib, no files, no pyplot state).

Each figure is drawn on a bare :class:`matplotlib.figure.Figure` with the SVG canvas (no
global backend is touched), its text kept as text (``svg.fonttype = "none"``) so it stays
searchable and sharp, and then made fit for inlining in HTML: the XML prolog and metadata are
dropped, every element id is prefixed so that several figures can share one page, and a
``<title>`` and ``<desc>`` give screen readers the figure's content (WAI-ARIA ``role="img"``).
Individual trajectories are drawn as unlabelled thin grey lines; their anonymous numbers are
never written into the figure.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from linkwork.evaluation.cohort import MAX_TRAJECTORIES
from linkwork.report._format import fmt_ci, fmt_num, fmt_r, is_missing
from linkwork.report._source import ALL_DATA, OutcomeInfo, ReportInput
from linkwork.report.models import predictor_title, status_of
from linkwork.report.tables import rows_of, wave_order

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["correlation_figure", "outcome_figure", "placeholder_figure", "svg_document"]

#: Okabe & Ito (2008) colour-blind-safe colours with at least 3:1 contrast on white.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
MARKERS = ("o", "s", "^", "D")
TRAJECTORY_COLOUR = "#8c8c8c"
TEXT_COLOUR = "#1a1a1a"

_RC: Any = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 10.0,
    "axes.edgecolor": "#4d4d4d",
    "axes.labelcolor": TEXT_COLOUR,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "text.color": TEXT_COLOUR,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    # Fixed margins rather than a layout engine: constrained layout doubles the drawing time.
    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    return figure


def svg_document(figure: Figure, key: str, title: str, description: str) -> str:
    """Render *figure* to an inline-ready ``<svg>`` element string.

    Parameters
    ----------
    figure
        A matplotlib figure drawn under :data:`_RC` settings.
    key
        A page-unique key (letters, digits, hyphens): prefixes every id in the SVG.
    title, description
        Accessible name and long description (plain text, escaped here).
    """
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": key, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    prefix = f"{key}-"

    def rename(match: re.Match[str]) -> str:
        head, name, tail = match.group(1), match.group(2), match.group(3)
        return f"{head}{prefix}{name}{tail}" if name in ids else match.group(0)

    text = re.sub(r'(\bid=")([^"]+)(")', rename, text)
    text = re.sub(r"(url\(#)([^)]+)(\))", rename, text)
    text = re.sub(r'(href="#)([^"]+)(")', rename, text)
    root = re.match(r"<svg\b[^>]*>", text)
    if root is None:  # pragma: no cover - matplotlib always writes an <svg> root
        raise RuntimeError("matplotlib wrote no <svg> element")
    attributes = re.sub(r'\s(width|height)="[^"]*"', "", root.group(0)[4:-1])
    opening = (
        f'<svg{attributes} role="img" aria-labelledby="{key}-title {key}-desc" '
        f'class="figure-svg" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{key}-title">{html.escape(title)}</title>'
        f'<desc id="{key}-desc">{html.escape(description)}</desc>'
    )
    return opening + text[root.end() :].strip()


def _wave_axis(axes: Axes, inp: ReportInput, waves: Sequence[str]) -> None:
    axes.set_xticks(range(len(waves)))
    axes.set_xticklabels([inp.wave_label(w).replace(" (", "\n(") for w in waves])
    axes.set_xlim(-0.35, len(waves) - 0.65)
    axes.grid(axis="y", color="#e6e6e6", linewidth=0.8)
    axes.set_axisbelow(True)


def _trajectory_lines(inp: ReportInput, name: str, waves: Sequence[str]) -> list[np.ndarray]:
    frame = inp.trajectories
    if frame.empty or "outcome" not in frame.columns:
        return []
    part = rows_of(frame, outcome=name)
    position = {w: k for k, w in enumerate(waves)}
    lines = []
    for _, person in part.groupby("trajectory", sort=False):
        points = sorted(
            (position[str(w)], float(v))
            for w, v in zip(person["wave"], person["value"], strict=True)
            if str(w) in position and not is_missing(v)
        )
        if len(points) >= 2:
            lines.append(np.asarray(points))
    return lines


def outcome_figure(inp: ReportInput, info: OutcomeInfo, key: str) -> str:
    """Means with 95% CI over waves (per arm when present) over individual trajectories."""
    from matplotlib import rc_context
    from matplotlib.collections import LineCollection

    emmeans = rows_of(inp.table("emmeans"), outcome=info.name, model=ALL_DATA)
    estimable, reason = status_of(inp, info.name)
    descriptives = rows_of(inp.table("descriptives"), outcome=info.name)
    source = emmeans if estimable and not emmeans.empty else descriptives
    waves = list(inp.waves) or wave_order(inp, source.get("wave", []))
    lines = _trajectory_lines(inp, info.name, waves)
    described: list[str] = []
    with rc_context(_RC):
        figure = _new_figure(6.4, 3.9)
        figure.subplots_adjust(left=0.14, right=0.98, bottom=0.16, top=0.86)
        axes = figure.add_subplot()
        if lines:
            axes.add_collection(
                LineCollection(
                    lines,
                    colors=TRAJECTORY_COLOUR,
                    linewidths=0.6,
                    alpha=0.45,
                    label=f"Individuals (≥ 2 waves, n = {len(lines)})",
                )
            )
        groups: list[tuple[str, pd.DataFrame]] = [("", source)]
        if "arm" in source.columns and source["arm"].notna().any():
            groups = [(str(a), g) for a, g in source.groupby("arm", sort=False)]
        offsets = np.linspace(-0.06, 0.06, len(groups)) if len(groups) > 1 else [0.0]
        for k, ((arm, part), offset) in enumerate(zip(groups, offsets, strict=True)):
            part = part.set_index(part["wave"].astype("string"))
            present = [w for w in waves if w in part.index]
            x = np.array([waves.index(w) for w in present], dtype=float) + offset
            if source is emmeans:
                y = part.loc[present, "emmean"].to_numpy(dtype=float)
                low = part.loc[present, "conf_low"].to_numpy(dtype=float)
                high = part.loc[present, "conf_high"].to_numpy(dtype=float)
                label = f"{arm}: mean (95% CI)" if arm else "Estimated mean (95% CI)"
                axes.errorbar(
                    x,
                    y,
                    yerr=np.vstack([y - low, high - y]),
                    color=COLOURS[k % len(COLOURS)],
                    marker=MARKERS[k % len(MARKERS)],
                    markersize=6,
                    linewidth=2,
                    capsize=4,
                    label=label,
                    zorder=3,
                )
                described += [
                    f"{arm + ', ' if arm else ''}{inp.wave_label(w)}: {fmt_num(m)} {fmt_ci(a, b)}"
                    for w, m, a, b in zip(present, y, low, high, strict=True)
                ]
            else:
                y = part.loc[present, "mean"].to_numpy(dtype=float)
                axes.plot(
                    x,
                    y,
                    color=COLOURS[0],
                    marker="o",
                    linewidth=2,
                    linestyle="--",
                    label="Observed mean (model not estimable)",
                    zorder=3,
                )
                described += [
                    f"{inp.wave_label(w)}: observed mean {fmt_num(m)}"
                    for w, m in zip(present, y, strict=True)
                ]
        _wave_axis(axes, inp, waves)
        axes.autoscale(axis="y")
        unit = f" ({info.scale})" if info.scale else ""
        axes.set_ylabel(f"{info.title}{unit}\n{info.direction_text}", fontsize=9)
        handles, labels = axes.get_legend_handles_labels()
        ncols = len(labels) if sum(len(label) for label in labels) < 80 else 2
        figure.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.56, 1.0),
            ncols=max(1, ncols),
            fontsize=8,
            frameon=False,
        )
        svg = svg_document(
            figure,
            key,
            f"{info.title}: means over waves with individual trajectories",
            (
                (
                    "Estimated marginal means with 95% confidence intervals. "
                    if estimable
                    else f"Model not estimable ({reason}); observed means. "
                )
                + "; ".join(described)
                + f". Thin grey lines: {len(lines)} individual trajectories of people with at "
                "least two waves, unlabelled"
                + (
                    f" (at most {MAX_TRAJECTORIES} are drawn: a sample chosen by a fixed hash "
                    "of the identifiers)."
                    if len(lines) >= MAX_TRAJECTORIES
                    else "."
                )
            ),
        )
    return svg


def correlation_figure(inp: ReportInput, key: str = "fig-correlations") -> str | None:
    """Dot-and-interval plot of Pearson r by predictor wave: one panel per predictor x target."""
    from matplotlib import rc_context

    frame = inp.table("correlations")
    if frame.empty:
        return None
    frame = rows_of(frame, method="pearson")
    if frame.empty:
        return None
    predictors = [str(p) for p in frame["predictor"].drop_duplicates()]
    targets = [str(t) for t in frame["target"].drop_duplicates()]
    outcomes = [o.name for o in inp.outcomes if (frame["outcome"] == o.name).any()]
    pwaves = wave_order(inp, frame["predictor_wave"])
    last = inp.last_wave or "last wave"
    target_titles = {
        "last wave": f"with the outcome at {last}",
        "change": f"with change {inp.baseline} → {last}",
    }
    described: list[str] = []
    with rc_context(_RC):
        height = 1.5 + (0.5 + 0.34 * len(outcomes)) * len(predictors)
        figure = _new_figure(7.6, height)
        figure.subplots_adjust(
            left=2.3 / 7.6,
            right=0.97,
            bottom=0.95 / height,
            top=1 - 0.45 / height,
            wspace=0.12,
            hspace=0.55 / (0.34 * len(outcomes)),
        )
        grid = figure.subplots(len(predictors), len(targets), sharex=True, squeeze=False)
        ylabels = [
            inp.outcome(o).title
            + {True: " (↑ better)", False: " (↓ better)", None: ""}[inp.outcome(o).higher_is_better]
            for o in outcomes
        ]
        for i, predictor in enumerate(predictors):
            for j, target in enumerate(targets):
                axes = grid[i][j]
                axes.axvline(0, color="#4d4d4d", linewidth=0.8)
                for k, pwave in enumerate(pwaves):
                    part = rows_of(frame, predictor=predictor, target=target, predictor_wave=pwave)
                    part = part.set_index(part["outcome"].astype("string"))
                    present = [o for o in outcomes if o in part.index]
                    y = np.array([outcomes.index(o) for o in present]) + (k - 0.5) * 0.3
                    r = part.loc[present, "r"].to_numpy(dtype=float)
                    low = part.loc[present, "conf_low"].to_numpy(dtype=float)
                    high = part.loc[present, "conf_high"].to_numpy(dtype=float)
                    axes.errorbar(
                        r,
                        y,
                        xerr=np.vstack([r - low, high - r]),
                        fmt=MARKERS[k % len(MARKERS)],
                        color=COLOURS[k % len(COLOURS)],
                        markerfacecolor="white" if k == 0 else COLOURS[k % len(COLOURS)],
                        markersize=5,
                        capsize=2,
                        linewidth=1.2,
                        label=f"measured at {inp.wave_label(pwave)}",
                    )
                    what = f"{predictor_title(inp, predictor)} at {pwave}"
                    described += [
                        f"{what} {target_titles.get(target, target)}, "
                        f"{inp.outcome(o).title}: r = {fmt_r(v)} {fmt_ci(a, b, r=True)}"
                        for o, v, a, b in zip(present, r, low, high, strict=True)
                    ]
                axes.set_yticks(range(len(outcomes)))
                axes.set_yticklabels(ylabels if j == 0 else [], fontsize=8)
                axes.set_ylim(len(outcomes) - 0.5, -0.5)
                axes.set_xlim(-1.08, 1.08)
                axes.set_xticks([-1, -0.5, 0, 0.5, 1])
                axes.set_xticklabels(["−1", "−.5", "0", ".5", "1"])
                axes.grid(axis="x", color="#e6e6e6", linewidth=0.8)
                axes.set_axisbelow(True)
                axes.set_title(
                    f"{predictor_title(inp, predictor)}\n{target_titles.get(target, target)}",
                    fontsize=9,
                )
                if i == len(predictors) - 1:
                    axes.set_xlabel("Pearson r with 95% CI")
        handles, labels = grid[0][0].get_legend_handles_labels()
        figure.legend(
            handles,
            labels,
            loc="lower center",
            bbox_to_anchor=(0.6, 0.0),
            ncols=len(pwaves),
            fontsize=8,
            frameon=False,
        )
        svg = svg_document(
            figure,
            key,
            "Correlations of relationship scores with outcomes, by the wave they were measured",
            "Pearson correlations with 95% confidence intervals. " + "; ".join(described) + ".",
        )
    return svg


def placeholder_figure(key: str, title: str, message: str) -> str:
    """A small SVG that says why a figure could not be drawn."""
    safe = html.escape(message)
    return (
        f'<svg viewBox="0 0 640 80" role="img" aria-labelledby="{key}-title" class="figure-svg">'
        f'<title id="{key}-title">{html.escape(title)}</title>'
        f'<rect x="1" y="1" width="638" height="78" fill="#f4f4f4" stroke="#999999"/>'
        f'<text x="320" y="45" text-anchor="middle" font-size="15" fill="{TEXT_COLOUR}">'
        f"{safe}</text></svg>"
    )
