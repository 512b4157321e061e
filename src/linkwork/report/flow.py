"""The participant flow diagram (CONSORT-style) as a hand-written inline SVG.

Boxes run down the page: the enrolment stage, one box per wave with the number seen, and a
final box with the number analysed per outcome; losses between stages sit in side boxes with
their reasons. Everything comes from the evaluation's ``flow`` table (stage, wave, n, lost,
reason, and optionally outcome); only whole-programme counts appear, so no disclosure control
applies here.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field

import pandas as pd

from linkwork.report._format import as_float, fmt_int, is_missing
from linkwork.report._source import ReportInput
from linkwork.report.tables import Cell, Table, head, num, row_header

__all__ = ["flow_diagram", "flow_table"]

_FONT = 13
_LINE = 18
_PAD = 10
_MAIN_X, _MAIN_W = 20, 340
_SIDE_X, _SIDE_W = 410, 330
_WIDTH = _SIDE_X + _SIDE_W + 20
_CHARS_MAIN = 44
_CHARS_SIDE = 42
_SEEN = {"observed", "responded", "seen", "wave", "followed up", "completed"}


@dataclass
class _Box:
    lines: list[str]
    loss: list[str] = field(default_factory=list)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def _stage_title(inp: ReportInput, stage: str, wave: object) -> str:
    if is_missing(wave):
        return stage[:1].upper() + stage[1:]
    label = inp.wave_label(wave)
    if stage.lower() in _SEEN:
        return f"Questionnaire at {label}"
    return f"{stage[:1].upper() + stage[1:]} – {label}"


def _analysed_line(inp: ReportInput, row: pd.Series) -> str:
    outcome = row.get("outcome")
    if not is_missing(outcome):
        what = inp.outcome(str(outcome)).title
    elif not is_missing(row.get("wave")):
        what = inp.wave_label(row.get("wave"))
    else:
        what = str(row.get("stage", "")).split(":", 1)[-1].strip() or "analysed"
    text = f"{what}: n = {fmt_int(row.get('n'))}"
    lost = row.get("lost")
    if (as_float(lost) or 0.0) > 0:
        reason = row.get("reason")
        text += f" ({fmt_int(lost)} excluded" + (f": {reason})" if not is_missing(reason) else ")")
    return text


def _boxes(inp: ReportInput) -> tuple[list[_Box], list[str]]:
    frame = inp.table("flow")
    boxes: list[_Box] = []
    analysed: list[str] = []
    for _, row in frame.iterrows():
        stage = str(row.get("stage", "")).strip()
        if stage.lower().startswith("analys"):
            analysed.append(_analysed_line(inp, row))
            continue
        title = _stage_title(inp, stage, row.get("wave"))
        box = _Box([title, f"n = {fmt_int(row.get('n'))}"])
        lost, reason = row.get("lost"), row.get("reason")
        wave = row.get("wave")
        where = inp.wave_label(wave) if not is_missing(wave) else stage
        if (as_float(lost) or 0.0) > 0:
            box.loss = [f"Lost before {where}: n = {fmt_int(lost)}"]
        if not is_missing(reason):
            box.loss = box.loss or [f"Note on {where}"]
            box.loss.append(str(reason))
        boxes.append(box)
    return boxes, analysed


def _text(x: float, y: float, lines: list[str], *, bold_first: bool = True) -> str:
    spans = []
    for k, line in enumerate(lines):
        weight = ' font-weight="bold"' if k == 0 and bold_first else ""
        dy = 0 if k == 0 else _LINE
        spans.append(f'<tspan x="{x}" dy="{dy}"{weight}>{html.escape(line)}</tspan>')
    return f'<text x="{x}" y="{y}" font-size="{_FONT}" fill="#1a1a1a">{"".join(spans)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return (
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{fill}" '
        'stroke="#4d4d4d" stroke-width="1.2"/>'
    )


def flow_diagram(inp: ReportInput, key: str = "fig-flow") -> str:
    """The flow diagram as an ``<svg>`` element string with a title and a text description."""
    boxes, analysed = _boxes(inp)
    parts: list[str] = []
    described: list[str] = []
    y = 20.0
    previous_bottom: float | None = None
    centre = _MAIN_X + _MAIN_W / 2
    blocks: list[tuple[list[str], list[str], str]] = [(b.lines, b.loss, "#f2f6fa") for b in boxes]
    if analysed:
        blocks.append((["Analysed (all available data)", *analysed], [], "#eef6ee"))
    for lines, loss, fill in blocks:
        wrapped = [w for line in lines for w in _wrap(line, _CHARS_MAIN)]
        side = [w for line in loss for w in _wrap(line, _CHARS_SIDE)]
        if previous_bottom is not None:
            side_h = len(side) * _LINE + 2 * _PAD if side else 0
            gap = max(36.0, side_h + 24.0)
            y = previous_bottom + gap
            parts.append(
                f'<line x1="{centre}" y1="{previous_bottom}" x2="{centre}" y2="{y - 2}" '
                f'stroke="#4d4d4d" stroke-width="1.5" marker-end="url(#{key}-arrow)"/>'
            )
            if side:
                side_y = previous_bottom + (gap - side_h) / 2
                mid = side_y + side_h / 2
                parts.append(
                    f'<line x1="{centre}" y1="{mid}" x2="{_SIDE_X - 2}" y2="{mid}" '
                    f'stroke="#4d4d4d" stroke-width="1.2" marker-end="url(#{key}-arrow)"/>'
                )
                parts.append(_rect(_SIDE_X, side_y, _SIDE_W, side_h, "#fdf1e6"))
                parts.append(_text(_SIDE_X + _PAD, side_y + _PAD + _FONT, side))
                described.append(". ".join(loss))
        height = len(wrapped) * _LINE + 2 * _PAD
        parts.append(_rect(_MAIN_X, y, _MAIN_W, height, fill))
        parts.append(_text(_MAIN_X + _PAD, y + _PAD + _FONT, wrapped))
        described.append(": ".join(lines[:2]) + ("; " + "; ".join(lines[2:]) if lines[2:] else ""))
        previous_bottom = y + height
    total = (previous_bottom or 40.0) + 20
    title = "Participant flow: enrolment, each wave and analysis, with losses"
    return (
        f'<svg viewBox="0 0 {_WIDTH} {total:.0f}" role="img" class="flow-svg" '
        f'aria-labelledby="{key}-title {key}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{key}-title">{html.escape(title)}</title>'
        f'<desc id="{key}-desc">{html.escape(". ".join(described))}.</desc>'
        f'<defs><marker id="{key}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#4d4d4d"/></marker></defs>' + "".join(parts) + "</svg>"
    )


def flow_table(inp: ReportInput) -> Table:
    """The flow counts as a table (the diagram's content for print and screen readers)."""
    frame = inp.table("flow")
    body = []
    for _, row in frame.iterrows():
        stage = str(row.get("stage", ""))
        outcome = row.get("outcome") if "outcome" in frame.columns else None
        what = inp.outcome(str(outcome)).title if not is_missing(outcome) else ""
        wave = row.get("wave")
        body.append(
            [
                row_header(stage[:1].upper() + stage[1:]),
                Cell(inp.wave_label(wave) if not is_missing(wave) else what or "—"),
                num(fmt_int(row.get("n"))),
                num(fmt_int(row.get("lost"))),
                Cell("" if is_missing(row.get("reason")) else str(row.get("reason"))),
            ]
        )
    return Table(
        "table-flow",
        "Participant flow (people)",
        [head("Stage", "Wave or outcome", "n", "Lost", "Reason")],
        body,
        ["Lost: people not seen at this stage who were seen at the stage before."],
    )
