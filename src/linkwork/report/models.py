"""Model, sensitivity and correlation tables of the report (sections 5 to 7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from linkwork.report._format import (
    MISSING,
    fmt_df,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_p_is,
    fmt_r,
    is_missing,
)
from linkwork.report._source import ALL_DATA, COMPLETERS, OutcomeInfo, ReportInput
from linkwork.report.tables import (
    Cell,
    Table,
    ci_cell,
    group_row,
    head,
    num,
    row_header,
    rows_of,
)

__all__ = [
    "OutcomeModel",
    "correlation_tables",
    "model_formula",
    "outcome_model",
    "predictor_title",
    "sensitivity_table",
    "status_of",
]


@dataclass(frozen=True, slots=True)
class OutcomeModel:
    """Everything section 5 shows for one outcome (tables are None when not estimable)."""

    info: OutcomeInfo
    formula: str
    estimable: bool
    reason: str
    n_analysed: str
    anova: Table | None
    emmeans: Table | None
    contrasts: Table | None
    coefficients: Table | None


def predictor_title(inp: ReportInput, name: str) -> str:
    """Display title of a relationship predictor."""
    return inp.title_of(name)


def status_of(inp: ReportInput, outcome: str, model: str = ALL_DATA) -> tuple[bool, str]:
    """(estimable, reason) from the estimability table; estimable when a model has results."""
    frame = rows_of(inp.table("estimability"), outcome=outcome, model=model)
    if not frame.empty:
        r = frame.iloc[0]
        ok = str(r.get("status", "")).strip().lower() == "estimated"
        reason = "" if is_missing(r.get("reason")) else str(r.get("reason"))
        return ok, reason
    has = not rows_of(inp.table("emmeans"), outcome=outcome, model=model).empty
    return has, "" if has else "no model results in the evaluation"


def model_formula(inp: ReportInput, outcome: str) -> str:
    """The model formula: from meta when given, else rebuilt from the Type III terms."""
    for key in (f"formulas.{outcome}", f"outcomes.{outcome}.formula"):
        text = inp.get(key)
        if isinstance(text, str) and text:
            return text
    terms = [str(t) for t in rows_of(inp.table("anova"), outcome=outcome, model=ALL_DATA)["term"]]
    if not terms:
        terms = ["wave"] + ([inp.arm, f"wave:{inp.arm}"] if inp.arm else [])
    covered = {part for t in terms if ":" in t for part in t.split(":")}
    parts = [t.replace(":", " * ") for t in terms if ":" in t or t not in covered]
    group = str(inp.get("random_group", "participant_column", default="participant"))
    return f"{outcome} ~ {' + '.join(parts)} + (1 | {group})"


def _by_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in ("arm",) if c in frame.columns and frame[c].notna().any()]


def _anova_table(inp: ReportInput, name: str, model: str) -> Table:
    frame = rows_of(inp.table("anova"), outcome=name, model=model)
    body = [
        [
            row_header(str(r["term"]).replace(":", " × ")),
            num(fmt_df(r["num_df"])),
            num(fmt_df(r["den_df"])),
            num(fmt_num(r["F"])),
            num(fmt_p(r["p_value"])),
        ]
        for _, r in frame.iterrows()
    ]
    return Table(
        f"table-anova-{name}",
        "Type III F tests (Satterthwaite denominator df)",
        [head("Term", "num df", "den df", "F", "p")],
        body,
    )


def _emmeans_table(inp: ReportInput, info: OutcomeInfo, model: str) -> Table:
    frame = rows_of(inp.table("emmeans"), outcome=info.name, model=model)
    by = _by_columns(frame)
    body = []
    for _, r in frame.iterrows():
        body.append(
            [
                row_header(inp.wave_label(r["wave"])),
                *(Cell(str(r[c])) for c in by),
                num(fmt_num(r["emmean"])),
                num(fmt_num(r["std_error"])),
                num(fmt_df(r["df"])),
                ci_cell(r["conf_low"], r["conf_high"]),
            ]
        )
    unit = f"scale points, {info.scale}" if info.scale else "scale points"
    return Table(
        f"table-emmeans-{info.name}",
        f"Estimated marginal means per wave ({unit}; {info.direction_text})",
        [head("Wave", *(c.capitalize() for c in by), "EMM", "SE", "df", "95% CI")],
        body,
    )


def _contrasts_table(inp: ReportInput, info: OutcomeInfo, model: str) -> Table:
    frame = rows_of(inp.table("contrasts"), outcome=info.name, model=model)
    by = _by_columns(frame)
    body = []
    for _, r in frame.iterrows():
        body.append(
            [
                row_header(str(r["contrast"])),
                *(Cell(str(r[c])) for c in by),
                num(fmt_num(r["estimate"])),
                num(fmt_num(r["std_error"])),
                num(fmt_df(r["df"])),
                num(fmt_num(r["statistic"])),
                num(fmt_p(r["p_value"])),
                num(fmt_p(r["p_adjusted"])),
                num(fmt_num(r["d"])),
                ci_cell(r["d_conf_low"], r["d_conf_high"]),
            ]
        )
    return Table(
        f"table-contrasts-{info.name}",
        "Pairwise comparisons of waves (difference in scale points) and effect sizes d",
        [
            head(
                "Comparison",
                *(c.capitalize() for c in by),
                "Difference",
                "SE",
                "df",
                "t",
                "p",
                "p (Holm)",
                "d",
                "95% CI of d",
            )
        ],
        body,
        [
            "Difference: later minus earlier wave. p (Holm): adjusted over the comparisons of "
            "this outcome. d: see the formula above.",
        ],
    )


def _coefficients_table(inp: ReportInput, name: str, model: str) -> Table:
    frame = rows_of(inp.table("models"), outcome=name, model=model)
    body = [
        [
            row_header(str(r["term"])),
            num(fmt_num(r["estimate"])),
            num(fmt_num(r["std_error"])),
            num(fmt_df(r["df"])),
            num(fmt_num(r["statistic"])),
            num(fmt_p(r["p_value"])),
            ci_cell(r["conf_low"], r["conf_high"]),
        ]
        for _, r in frame.iterrows()
    ]
    return Table(
        f"table-coefficients-{name}",
        "Fixed effects (treatment coding; terms as R names them)",
        [head("Term", "Estimate", "SE", "df", "t", "p", "95% CI")],
        body,
    )


def _n_analysed(inp: ReportInput, name: str) -> str:
    flow = inp.table("flow")
    if flow.empty or "outcome" not in flow.columns:
        return ""
    rows = rows_of(flow, outcome=name)
    if rows.empty:
        return ""
    return fmt_int(rows.iloc[-1]["n"])


def outcome_model(inp: ReportInput, info: OutcomeInfo) -> OutcomeModel:
    """The tables of section 5 for one outcome (all-available-data model)."""
    ok, reason = status_of(inp, info.name)
    formula = model_formula(inp, info.name)
    if not ok:
        return OutcomeModel(
            info, formula, False, reason or "not estimable", "", None, None, None, None
        )
    return OutcomeModel(
        info,
        formula,
        True,
        "",
        _n_analysed(inp, info.name),
        _anova_table(inp, info.name, ALL_DATA),
        _emmeans_table(inp, info, ALL_DATA),
        _contrasts_table(inp, info, ALL_DATA),
        _coefficients_table(inp, info.name, ALL_DATA),
    )


def _sensitivity_cells(inp: ReportInput, row: pd.Series | None) -> list[Cell]:
    if row is None:
        return [num(MISSING)] * 3
    return [
        num(f"{fmt_num(row['estimate'])} ({fmt_num(row['std_error'])})"),
        num(f"{fmt_num(row['d'])} [{fmt_num(row['d_conf_low'])}, {fmt_num(row['d_conf_high'])}]"),
        num(fmt_p(row["p_adjusted"])),
    ]


def _wave_test(inp: ReportInput, name: str, model: str) -> str:
    ok, reason = status_of(inp, name, model)
    if not ok:
        return f"not estimable ({reason})" if reason else "not estimable"
    frame = rows_of(inp.table("anova"), outcome=name, model=model)
    if frame.empty:
        return MISSING
    r = frame.iloc[0]
    return (
        f"F({fmt_df(r['num_df'])}, {fmt_df(r['den_df'])}) = {fmt_num(r['F'])}, "
        f"{fmt_p_is(r['p_value'])}"
    )


def sensitivity_table(inp: ReportInput) -> Table:
    """All-available-data and completers-only contrasts side by side, per outcome."""
    contrasts = inp.table("contrasts")
    top = [
        Cell("Comparison", header=True, rowspan=2),
        Cell("All available data", header=True, colspan=3),
        Cell("Completers only", header=True, colspan=3),
    ]
    sub = head(*(["Difference (SE)", "d [95% CI]", "p (Holm)"] * 2))
    body: list[list[Cell]] = []
    for info in inp.outcomes:
        first = rows_of(inp.table("anova"), outcome=info.name, model=ALL_DATA)
        term = str(first.iloc[0]["term"]) if not first.empty else "wave"
        body.append(group_row(info.title, 7))
        body.append(
            [
                row_header(f"Test of {term.replace(':', ' × ')}"),
                Cell(_wave_test(inp, info.name, ALL_DATA), colspan=3),
                Cell(_wave_test(inp, info.name, COMPLETERS), colspan=3),
            ]
        )
        both = [rows_of(contrasts, outcome=info.name, model=m) for m in (ALL_DATA, COMPLETERS)]
        keys: list[tuple[str, ...]] = []
        for frame in both:
            for _, r in frame.iterrows():
                key = (str(r["contrast"]), *(str(r[c]) for c in _by_columns(frame)))
                if key not in keys:
                    keys.append(key)
        for key in keys:
            cells = [row_header(" | ".join(key))]
            for frame in both:
                by = dict(zip(_by_columns(frame), key[1:], strict=False))
                match = rows_of(frame, contrast=key[0], **by)
                cells += _sensitivity_cells(inp, match.iloc[0] if not match.empty else None)
            body.append(cells)
    return Table(
        "table-sensitivity",
        "Sensitivity analysis: all available data versus completers only (scale points and d)",
        [top, sub],
        body,
        [
            "Completers: people observed at every wave. The all-available-data model is the main "
            "analysis (valid if drop-out is missing at random given the observed scores).",
        ],
    )


def correlation_tables(inp: ReportInput) -> list[Table]:
    """One table per target (last wave, change): Pearson and Spearman side by side."""
    frame = inp.table("correlations")
    if frame.empty:
        return []
    tables = []
    targets = [str(t) for t in frame["target"].drop_duplicates()]
    last = inp.wave_label(inp.last_wave) if inp.last_wave else "the last wave"
    base = inp.wave_label(inp.baseline) if inp.baseline else "baseline"
    methods = ["pearson", "spearman"]
    top = [Cell("Outcome", header=True, rowspan=2), Cell("n", header=True, rowspan=2)]
    top += [Cell(m.capitalize(), header=True, colspan=4) for m in methods]
    sub = head(*(["r [95% CI]", "p", "p (Holm)", "p (FDR)"] * len(methods)))
    for target in targets:
        part = rows_of(frame, target=target)
        body: list[list[Cell]] = []
        for predictor in part["predictor"].drop_duplicates():
            for pwave in part[part["predictor"] == predictor]["predictor_wave"].drop_duplicates():
                title = f"{predictor_title(inp, str(predictor))} at {inp.wave_label(pwave)}"
                body.append(group_row(title, 2 + 4 * len(methods)))
                rows = part[(part["predictor"] == predictor) & (part["predictor_wave"] == pwave)]
                for outcome in rows["outcome"].drop_duplicates():
                    cells = [row_header(inp.title_of(str(outcome)))]
                    n_cell: Any = MISSING
                    stats_cells: list[Cell] = []
                    for method in methods:
                        match = rows_of(rows, outcome=outcome, method=method)
                        if match.empty:
                            stats_cells += [num(MISSING)] * 4
                            continue
                        r = match.iloc[0]
                        n_cell = fmt_int(r["n"]) if n_cell == MISSING else n_cell
                        stats_cells += [
                            num(
                                f"{fmt_r(r['r'])} [{fmt_r(r['conf_low'])}, {fmt_r(r['conf_high'])}]"
                            ),
                            num(fmt_p(r["p_value"])),
                            num(fmt_p(r["p_holm"])),
                            num(fmt_p(r["p_fdr"])),
                        ]
                    body.append([*cells, num(str(n_cell)), *stats_cells])
        if target == "change":
            caption = f"Correlations of the relationship scores with change from {base} to {last}"
            note = (
                f"Change = score at {last} minus score at {base}. For outcomes where higher is "
                "worse, a negative r means a better relationship went with more improvement."
            )
        else:
            caption = f"Correlations of the relationship scores with outcomes at {last}"
            note = "For outcomes where higher is worse, a negative r goes with better outcomes."
        tables.append(
            Table(
                f"table-correlations-{target.replace(' ', '-')}",
                caption,
                [top, sub],
                body,
                [
                    note,
                    "95% CI by Fisher's z. p (Holm), p (FDR): adjusted for the number of "
                    "correlations tested (Holm; Benjamini–Hochberg false discovery rate).",
                ],
            )
        )
    return tables
