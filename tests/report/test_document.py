"""The whole report: structure, self-containment, privacy, suppression, every outcome's figure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from linkwork.report import SECTIONS, render_html
from linkwork.report._format import fmt_ci, fmt_num

VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "source", "wbr"}


class Outline(HTMLParser):
    """Elements with attributes, the open-element stack, and checks of tag balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], tuple[str, ...]]] = []
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        ids = tuple(a.get("id", "") for _, a in self.stack)
        self.elements.append((tag, attributes, ids))
        if tag not in VOID:
            self.stack.append((tag, attributes))

    def handle_startendtag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes, tuple(a.get("id", "") for _, a in self.stack)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1][0] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def outline(document: str) -> Outline:
    parser = Outline()
    parser.feed(document)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def report(fake_report) -> str:
    return fake_report


@pytest.fixture(scope="module")
def parsed(report) -> Outline:
    return outline(report)


def within(parsed: Outline, element_id: str, tag: str) -> list[dict[str, str]]:
    return [a for t, a, ids in parsed.elements if t == tag and element_id in ids]


def test_document_is_well_formed(report, parsed):
    assert report.startswith("<!DOCTYPE html>")
    assert parsed.errors == []
    assert parsed.stack == []
    ids = [a["id"] for _, a, _ in parsed.elements if "id" in a]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicated == []


def test_every_section_is_present_with_a_heading(parsed):
    sections = {a.get("id") for t, a, _ in parsed.elements if t == "section"}
    for key, _ in SECTIONS:
        assert key in sections
        assert within(parsed, key, "h2"), f"section {key} has no h2"
    nav = within(parsed, "", "a")
    assert {a["href"] for a in nav if a.get("href", "").startswith("#")} >= {
        f"#{key}" for key, _ in SECTIONS
    }


def test_self_contained_no_external_resources_or_scripts(report, parsed):
    for tag, attributes, _ in parsed.elements:
        assert tag not in {"script", "link", "iframe", "object", "embed", "img"}, tag
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attributes.get(name, "")
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
            assert not value.strip().lower().startswith(("javascript:", "file:")), value
        assert not any(k.startswith("on") for k in attributes), (tag, attributes)
    assert "@import" not in report
    assert "@font-face" not in report
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", report)


def test_every_outcome_has_a_figure_with_a_title(fake_evaluation, parsed):
    outcomes = fake_evaluation.meta["outcomes"]
    for name in outcomes:
        svgs = within(parsed, f"outcome-{name}", "svg")
        assert len(svgs) == 1, name
        assert svgs[0].get("role") == "img"
        labelled = svgs[0]["aria-labelledby"].split()
        assert all(i in {a.get("id") for _, a, _ in parsed.elements} for i in labelled)
    titles = [a for t, a, _ in parsed.elements if t == "title"]
    assert len(titles) >= len(outcomes) + 2  # + flow + correlations + the page title


def test_flow_and_relationship_figures_present(parsed):
    assert len(within(parsed, "flow", "svg")) == 1
    assert len(within(parsed, "relationships", "svg")) == 1


def test_no_participant_identifier_appears(fake_evaluation, report):
    assert fake_evaluation.participant_ids
    for pid in fake_evaluation.participant_ids:
        assert pid not in report


def test_every_table_has_a_caption_and_header_scopes(parsed):
    tables = [i for i, (t, _, _) in enumerate(parsed.elements) if t == "table"]
    assert len(tables) > 20
    for index in tables:
        assert parsed.elements[index + 1][0] == "caption"
    for tag, attributes, _ in parsed.elements:
        if tag == "th":
            assert attributes.get("scope") in {"col", "colgroup", "row", "rowgroup"}


def test_suppressed_site_counts_show_the_symbol_with_a_footnote(fake_evaluation, report):
    sites = fake_evaluation.tables["sites"]
    assert sites["suppressed"].any()
    assert (~sites["suppressed"]).any()
    block = report[report.index('id="table-sites"') :]
    block = block[: block.index("</table>")]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", block)
    expected = [
        "*" if row.suppressed else f"{int(row.n)}"
        for site in sites["site"].drop_duplicates()
        for row in sites[sites["site"] == site].itertuples()
    ]
    assert cells == expected
    after = report[report.index('id="table-sites"') :]
    notes = after[after.index("</table>") : after.index("</section>")]
    assert "* suppressed" in notes
    assert "counts of 1-7 suppressed" in notes


def test_disclosure_off_is_flagged_as_internal(make_evaluation):
    evaluation = make_evaluation()
    meta = dict(evaluation.meta)
    meta["suppression"] = {"suppress": False, "threshold": 7, "rounding": 5, "text": "none"}
    html = render_html(
        type(evaluation)(evaluation.tables, meta, evaluation.plan, evaluation.trajectories)
    )
    assert "Internal use only" in html
    assert "Disclosure control was switched off" in html


def test_emmeans_table_rows_are_the_input_rows_rounded(fake_evaluation, report):
    emm = fake_evaluation.tables["emmeans"]
    part = emm[(emm["outcome"] == "uls8") & (emm["model"] == "all available")]
    block = report[report.index('id="table-emmeans-uls8"') :]
    block = block[: block.index("</table>")]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", block, flags=re.S)
    assert len(rows) == len(part)
    for row, r in zip(rows, part.itertuples(), strict=True):
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
        assert cells == [
            fmt_num(r.emmean),
            fmt_num(r.std_error),
            f"{r.df:.1f}",
            fmt_ci(r.conf_low, r.conf_high),
        ]


def test_not_estimable_outcome_is_reported_with_reason(arm_report):
    parsed = outline(html := arm_report)
    block = html[html.index('id="outcome-trust"') :]
    block = block[: block.index("</section>")]
    assert "Not estimable:" in block
    assert "no follow-up data for this outcome" in block
    assert "table-contrasts-trust" not in html
    assert len(within(parsed, "outcome-trust", "svg")) == 1
    assert "Generalised trust:</strong> could not be estimated" in html


def test_single_wave_cohort_renders_everything_as_not_estimable(make_evaluation):
    evaluation = make_evaluation(waves=("T1",), retained=(64,))
    html = render_html(evaluation)
    parsed = outline(html)
    assert parsed.errors == []
    for name in evaluation.meta["outcomes"]:
        assert len(within(parsed, f"outcome-{name}", "svg")) == 1
    assert html.count("could not be estimated (only one wave observed)") == len(
        evaluation.meta["outcomes"]
    )
    assert "nothing can be said yet about change" in html


def test_arm_design_shows_interaction_and_one_line_per_arm(arm_report):
    html = arm_report
    block = html[html.index('id="outcome-uls8"') :]
    block = block[: block.index("</section>")]
    assert "wave × arm" in block
    assert "uls8 ~ wave * arm + (1 | participant_id)" in block
    for arm in ("social prescribing", "usual care"):
        assert f"{arm}: mean (95% CI)" in block  # one legend entry per arm line
    assert "differed between arms" in html
    assert "no comparison group of similar people" not in html


def test_without_arm_the_summary_says_change_cannot_be_attributed(report):
    assert "cannot be attributed to the programme" in report
    assert "did not answer the questionnaire at T3 (18 months)" in report


def test_summary_reports_effect_sizes_from_the_contrasts(fake_evaluation, report):
    c = fake_evaluation.tables["contrasts"]
    mask = (c["outcome"] == "uls8") & (c["model"] == "all available") & (c["contrast"] == "T3 - T1")
    row = c[mask].iloc[0]
    expected = f"d = {fmt_num(row.d)}, 95% CI {fmt_num(row.d_conf_low)} to"
    summary = report[report.index('id="summary"') : report.index('id="flow"')]
    assert expected in summary


def test_missing_tables_are_reported_not_crashed(fake_evaluation):
    tables = {k: v for k, v in fake_evaluation.tables.items() if k not in {"attrition", "sites"}}
    tables["correlations"] = pd.DataFrame()
    html = render_html(
        type(fake_evaluation)(tables, fake_evaluation.meta, None, fake_evaluation.trajectories)
    )
    assert "No attrition comparison" in html
    assert "No breakdown by site was produced." in html
    assert "No correlations are available" in html


def test_real_demo_evaluation_renders(demo_evaluation, demo_report):
    evaluation, ids = demo_evaluation
    html = demo_report
    parsed = outline(html)
    assert parsed.errors == []
    for pid in ids:
        assert pid not in html
    for name in evaluation.meta["outcomes"]:
        assert len(within(parsed, f"outcome-{name}", "svg")) == 1, name
    for key, _ in SECTIONS:
        assert within(parsed, key, "h2")
