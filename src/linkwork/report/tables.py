"""HTML tables of the report, built from the evaluation's tidy tables.

A :class:`Table` is plain data (caption, header rows, body rows of :class:`Cell`, notes); the
template renders it with captions, ``scope`` attributes on header cells and numeric alignment.
Cell texts are plain strings (the template escapes them). Numbers are formatted here with
:mod:`linkwork.report._format`, never before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linkwork.report._format import (
    MISSING,
    fmt_ci,
    fmt_df,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_p_is,
    fmt_r,
    is_missing,
)
from linkwork.report._source import ReportInput

__all__ = [
    "SUPPRESSED",
    "Cell",
    "Table",
    "attrition_table",
    "ci_cell",
    "descriptives_table",
    "exclusions_table",
    "group_row",
    "groups_tables",
    "head",
    "label_of_test",
    "m_sd",
    "median_iqr",
    "num",
    "row_header",
    "rows_of",
    "scoring_table",
    "sites_table",
    "versions_table",
    "wave_order",
]

#: What a suppressed count prints as (explained in a table note).
SUPPRESSED = "*"


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: text, whether it is a header, alignment and spans."""

    text: str
    header: bool = False
    numeric: bool = False
    colspan: int = 1
    rowspan: int = 1
    css: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """A captioned table: header rows, body rows and notes printed under it."""

    id: str
    caption: str
    head: list[list[Cell]]
    body: list[list[Cell]]
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the table has no body rows."""
        return not self.body

    @property
    def long(self) -> bool:
        """True when the table is too long to keep on one printed page."""
        return len(self.body) > 18


def num(text: str) -> Cell:
    """A right-aligned numeric cell."""
    return Cell(text, numeric=True)


def head(*labels: str | Cell) -> list[Cell]:
    """A header row; strings become column headers."""
    return [c if isinstance(c, Cell) else Cell(c, header=True) for c in labels]


def row_header(text: str, rowspan: int = 1) -> Cell:
    """A row header cell (``<th scope="row">``)."""
    return Cell(text, header=True, rowspan=rowspan, css="row")


def group_row(text: str, width: int) -> list[Cell]:
    """A full-width row that labels the rows beneath it."""
    return [Cell(text, header=True, colspan=width, css="group")]


def rows_of(frame: pd.DataFrame, **equal: Any) -> pd.DataFrame:
    """Rows of *frame* whose columns equal the given values (missing columns never match)."""
    if frame.empty:
        return frame
    mask = np.ones(len(frame), dtype=bool)
    for column, value in equal.items():
        if column not in frame.columns:
            return frame.iloc[0:0]
        wanted = str(value)
        # A Python loop: these tables are small, and it is much faster than pandas' casts.
        mask &= np.fromiter((str(v) == wanted for v in frame[column]), bool, len(frame))
    return frame[mask]


def wave_order(inp: ReportInput, values: Iterable[Any]) -> list[str]:
    """Distinct waves among *values*, in the evaluation's wave order."""
    present = {str(v) for v in values if not is_missing(v)}
    ordered = [w for w in inp.waves if w in present]
    return ordered + sorted(present - set(ordered))


def m_sd(mean: Any, sd: Any, digits: int = 2) -> str:
    """'M (SD)' text."""
    if is_missing(mean):
        return MISSING
    return f"{fmt_num(mean, digits)} ({fmt_num(sd, digits)})"


def median_iqr(median: Any, q1: Any, q3: Any, digits: int = 2) -> str:
    """'Mdn [Q1, Q3]' text."""
    if is_missing(median):
        return MISSING
    return f"{fmt_num(median, digits)} [{fmt_num(q1, digits)}, {fmt_num(q3, digits)}]"


def descriptives_table(inp: ReportInput) -> Table:
    """Per measure (a group of rows) and wave: n, M (SD), median [IQR]."""
    frame = inp.table("descriptives")
    body: list[list[Cell]] = []
    names = [o.name for o in inp.outcomes]
    if "outcome" in frame.columns:
        names += [str(n) for n in frame["outcome"].drop_duplicates() if str(n) not in names]
    for name in names:
        part = rows_of(frame, outcome=name)
        if part.empty:
            continue
        info = inp.outcome(name)
        label = inp.title_of(name) + (f" ({info.scale})" if info.scale else "")
        if info.higher_is_better is not None:
            label += f"; {info.direction_text}"
        body.append(group_row(label, 4))
        for wave in wave_order(inp, part["wave"]):
            r = rows_of(part, wave=wave).iloc[0]
            body.append(
                [
                    row_header(inp.wave_label(wave)),
                    num(fmt_int(r["n"])),
                    num(m_sd(r["mean"], r["sd"])),
                    num(median_iqr(r["median"], r["q1"], r["q3"])),
                ]
            )
    return Table(
        "table-descriptives",
        "Descriptive statistics per wave (observed scores, in each instrument's scale points)",
        [head("Wave", "n", "M (SD)", "Mdn [IQR]")],
        body,
        [
            "n: people with a score at that wave. M (SD): mean (standard deviation, n − 1 "
            "denominator). Mdn [IQR]: median [first quartile, third quartile].",
        ],
    )


_TESTS = {
    "welch_t": "Welch t",
    "t": "t",
    "fisher": "Fisher exact",
    "chisq": "χ²",
    "chi-squared": "χ²",
    "chi_squared": "χ²",
    "wilcoxon": "Wilcoxon",
}


def label_of_test(name: Any) -> str:
    """A readable name for a test identifier ("welch_t" -> "Welch t").

    Examples
    --------
    >>> label_of_test("welch_t"), label_of_test("fisher"), label_of_test("mann_whitney")
    ('Welch t', 'Fisher exact', 'mann whitney')
    """
    if is_missing(name):
        return MISSING
    text = str(name)
    return _TESTS.get(text.lower(), text.replace("_", " "))


def attrition_table(inp: ReportInput) -> Table:
    """Completers versus non-completers at baseline: M (SD) or %, SMD and test."""
    frame = inp.table("attrition")
    last = inp.wave_label(inp.last_wave) if inp.last_wave else "the last wave"
    body = []
    for _, r in frame.iterrows():
        label = inp.title_of(str(r.get("variable", "")))
        level = r.get("level")
        categorical = not is_missing(level)
        if categorical:
            label = f"{label}: {level} (%)"
            completers = f"{fmt_num(100 * float(r['mean_completers']), 1)}%"
            others = f"{fmt_num(100 * float(r['mean_noncompleters']), 1)}%"
        else:
            completers = m_sd(r.get("mean_completers"), r.get("sd_completers"))
            others = m_sd(r.get("mean_noncompleters"), r.get("sd_noncompleters"))
        body.append(
            [
                row_header(label),
                num(fmt_int(r.get("n_completers"))),
                num(completers),
                num(fmt_int(r.get("n_noncompleters"))),
                num(others),
                num(fmt_num(r.get("smd"))),
                Cell(label_of_test(r.get("test")), css="nowrap"),
                num(fmt_num(r.get("statistic"))),
                num(fmt_p(r.get("p_value"))),
            ]
        )
    return Table(
        "table-attrition",
        f"Baseline characteristics of completers (seen at {last}) and non-completers",
        [
            head(
                "Baseline variable",
                "n completers",
                "Completers M (SD) or %",
                "n non-completers",
                "Non-completers M (SD) or %",
                "SMD",
                "Test",
                "Statistic",
                "p",
            )
        ],
        body,
        [
            "SMD: standardised mean difference, completers minus non-completers, in pooled "
            "baseline SD units; |SMD| above 0.1 is a conventional sign of imbalance. "
            "Scores are in each instrument's scale points.",
        ],
    )


def groups_tables(inp: ReportInput) -> tuple[Table, Table]:
    """Number of meaningful groups: medians per wave with Friedman; Wilcoxon pairs with r."""
    frame = inp.table("groups")
    summary = rows_of(frame, kind="summary")
    body = [
        [
            row_header(inp.wave_label(r["wave"])),
            num(fmt_int(r["n"])),
            num(median_iqr(r["median"], r["q1"], r["q3"], 1)),
        ]
        for _, r in summary.iterrows()
    ]
    notes = ["Mdn [IQR]: median [first quartile, third quartile] number of groups."]
    for _, r in rows_of(frame, kind="friedman").iterrows():
        notes.append(
            f"Friedman test on the {fmt_int(r['n'])} people with all waves (complete cases): "
            f"χ²({fmt_df(r['df'])}) = {fmt_num(r['statistic'])}, {fmt_p_is(r['p_value'])}."
        )
    if rows_of(frame, kind="friedman").empty:
        notes.append("Friedman test: not available (needs at least three waves).")
    first = Table(
        "table-groups",
        "Number of meaningful social groups per wave (count of groups)",
        [head("Wave", "n", "Mdn [IQR]")],
        body,
        notes,
    )
    pairs = [
        [
            row_header(str(r["contrast"])),
            num(fmt_int(r["n"])),
            num(fmt_num(r["statistic"], 1)),
            num(fmt_p(r["p_value"])),
            num(fmt_p(r["p_adjusted"])),
            num(fmt_r(r["r"])),
        ]
        for _, r in rows_of(frame, kind="wilcoxon").iterrows()
    ]
    second = Table(
        "table-groups-pairs",
        "Wilcoxon signed-rank tests of the change in the number of groups between waves",
        [head("Comparison", "n pairs", "V", "p", "p (Holm)", "r")],
        pairs,
        [
            "V: the signed-rank statistic (sum of the ranks of the positive differences, later "
            "minus earlier wave, as R's wilcox.test). r = z / √n: the effect size of the "
            "signed-rank test (0.1 small, 0.3 medium, 0.5 large by Cohen's conventions). "
            "p (Holm): adjusted over these comparisons.",
            *([f"Details: {inp.get('wilcoxon')}."] if isinstance(inp.get("wilcoxon"), str) else []),
        ],
    )
    return first, second


def sites_table(inp: ReportInput, rule: str = "") -> Table:
    """Participants per site and wave, suppressed cells shown as :data:`SUPPRESSED`."""
    frame = inp.table("sites")
    waves = wave_order(inp, frame["wave"]) if "wave" in frame.columns else []
    sites = [str(s) for s in frame["site"].drop_duplicates()] if "site" in frame.columns else []
    body = []
    any_suppressed = False
    for site in sites:
        row = [row_header(site)]
        for wave in waves:
            cells = rows_of(frame, site=site, wave=wave)
            if cells.empty:
                row.append(num(MISSING))
                continue
            r = cells.iloc[0]
            flag = r.get("suppressed", False)
            if (not is_missing(flag) and bool(flag)) or is_missing(r.get("n")):
                any_suppressed = True
                row.append(Cell(SUPPRESSED, numeric=True, css="suppressed"))
            else:
                row.append(num(fmt_int(r["n"])))
        body.append(row)
    notes = []
    if any_suppressed:
        why = f" ({rule})" if rule else ""
        notes.append(f"{SUPPRESSED} suppressed: a small count, hidden by disclosure control{why}.")
    return Table(
        "table-sites",
        "Participants per site and wave (people; disclosure control applied)",
        [head("Site", *(inp.wave_label(w) for w in waves))],
        body,
        notes,
    )


def scoring_table(inp: ReportInput) -> Table:
    """How each instrument was scored: version, missing-item rule, scores prorated."""
    frame = inp.table("scoring")
    body = []
    for _, r in frame.iterrows():
        body.append(
            [
                row_header(inp.title_of(str(r.get("instrument", "")))),
                Cell(str(r.get("version", "")) or MISSING),
                Cell(str(r.get("missing_rule", "")) or MISSING),
                num(fmt_int(r.get("n_scored"))),
                num(fmt_int(r.get("n_prorated"))),
                num(fmt_int(r.get("n_missing"))),
            ]
        )
    return Table(
        "table-scoring",
        "Scoring: instrument versions, missing-item rules and numbers of scores",
        [head("Instrument", "Version", "Missing-item rule", "Scored", "Prorated", "Missing")],
        body,
        ["Counts are person-wave scores. Prorated: scored from the answered items by the rule."],
    )


def exclusions_table(inp: ReportInput) -> Table:
    """Rows excluded from each analysis and why."""
    frame = inp.table("exclusions")
    body = [
        [
            row_header(str(r.get("table", ""))),
            Cell(str(r.get("reason", "")) or MISSING),
            num(fmt_int(r.get("n"))),
        ]
        for _, r in frame.iterrows()
    ]
    return Table(
        "table-exclusions",
        "Rows excluded from analyses, and why (person-wave rows)",
        [head("Analysis", "Reason", "Rows")],
        body,
    )


def versions_table(versions: dict[str, Any] | Sequence[tuple[str, Any]]) -> Table:
    """Software and versions used."""
    items = versions.items() if isinstance(versions, dict) else versions
    body = [[row_header(str(k)), Cell(str(v))] for k, v in items]
    return Table("table-versions", "Software versions", [head("Software", "Version")], body)


def ci_cell(low: Any, high: Any, *, r: bool = False) -> Cell:
    """A numeric cell holding a 95% CI."""
    return num(fmt_ci(low, high, r=r))
