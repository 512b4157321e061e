"""Figures as inline SVG: accessible, unique ids, unlabelled trajectories, data from the tables."""

from __future__ import annotations

import re

import pandas as pd

from linkwork.report._format import fmt_num
from linkwork.report._source import read_input
from linkwork.report.figures import correlation_figure, outcome_figure


def ids_and_references(svg: str) -> tuple[set[str], set[str]]:
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    refs = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
    return ids, refs


def test_outcome_figure_is_an_inline_accessible_svg(fake_evaluation):
    inp = read_input(fake_evaluation)
    svg = outcome_figure(inp, inp.outcome("uls8"), "fig-uls8")
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg
    assert "<!DOCTYPE" not in svg
    assert "<metadata" not in svg
    assert 'role="img"' in svg
    assert '<title id="fig-uls8-title">' in svg
    assert '<desc id="fig-uls8-desc">' in svg
    assert not re.search(r'<svg[^>]*\swidth="', svg)  # scales with the page
    emm = fake_evaluation.tables["emmeans"]
    first = emm[(emm["outcome"] == "uls8") & (emm["model"] == "all available")].iloc[0]
    assert fmt_num(first["emmean"]) in svg  # the means are described for screen readers


def test_ids_are_prefixed_and_references_resolve_within_each_figure(fake_evaluation):
    inp = read_input(fake_evaluation)
    one = outcome_figure(inp, inp.outcome("uls8"), "fig-a")
    two = outcome_figure(inp, inp.outcome("k6"), "fig-b")
    ids_one, refs_one = ids_and_references(one)
    ids_two, refs_two = ids_and_references(two)
    assert ids_one.isdisjoint(ids_two)
    assert all(i.startswith("fig-a-") for i in ids_one)
    assert refs_one <= ids_one
    assert refs_two <= ids_two


def test_one_grey_line_per_trajectory_and_no_labels(fake_evaluation):
    inp = read_input(fake_evaluation)
    trajectories = fake_evaluation.trajectories
    uls8 = trajectories[trajectories["outcome"] == "uls8"]
    expected = int((uls8.groupby("trajectory")["wave"].count() >= 2).sum())
    svg = outcome_figure(inp, inp.outcome("uls8"), "fig-uls8")
    collection = re.search(r'<g id="fig-uls8-LineCollection_1">(.*?)</g>', svg, flags=re.S)
    assert collection is not None
    assert collection.group(1).count("<path") == expected
    # Halving the trajectories changes the lines but not a single text element: no labels.
    keep = sorted(uls8["trajectory"].unique())[::2]
    fewer = type(fake_evaluation)(
        fake_evaluation.tables,
        fake_evaluation.meta,
        fake_evaluation.plan,
        trajectories[trajectories["trajectory"].isin(keep)],
    )
    inp_fewer = read_input(fewer)
    svg_fewer = outcome_figure(inp_fewer, inp_fewer.outcome("uls8"), "fig-uls8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    texts_fewer = re.findall(r"<text[^>]*>([^<]*)</text>", svg_fewer)
    assert [t for t in texts if "n = " not in t] == [t for t in texts_fewer if "n = " not in t]


def test_correlation_figure_shows_each_predictor_wave(fake_evaluation):
    inp = read_input(fake_evaluation)
    svg = correlation_figure(inp)
    assert svg is not None
    assert "measured at T1 (Baseline)" in svg
    assert "measured at T2 (8 weeks)" in svg
    assert "<title" in svg
    pearson = fake_evaluation.tables["correlations"]
    n_points = int((pearson["method"] == "pearson").sum())
    assert svg.count("r = ") == n_points  # every plotted r is in the description


def test_no_correlations_no_figure(fake_evaluation):
    tables = dict(fake_evaluation.tables, correlations=pd.DataFrame())
    evaluation = type(fake_evaluation)(
        tables, fake_evaluation.meta, fake_evaluation.plan, fake_evaluation.trajectories
    )
    assert correlation_figure(read_input(evaluation)) is None


def test_caption_says_when_the_trajectories_are_a_sample(fake_evaluation):
    from linkwork.evaluation.cohort import MAX_TRAJECTORIES

    def caption(count: int) -> str:
        n = pd.Series(range(1, count + 1)).repeat(2).to_numpy()
        lines = pd.DataFrame(
            {"outcome": "uls8", "trajectory": n, "wave": ["T1", "T2"] * count, "value": 20.0}
        )
        ev = type(fake_evaluation)(
            fake_evaluation.tables, fake_evaluation.meta, fake_evaluation.plan, lines
        )
        inp = read_input(ev)
        svg = outcome_figure(inp, inp.outcome("uls8"), "fig-uls8")
        return re.search(r"<desc[^>]*>(.*?)</desc>", svg, flags=re.S).group(1)

    assert f"{MAX_TRAJECTORIES} individual trajectories" in caption(MAX_TRAJECTORIES)
    assert "a sample chosen by a fixed hash" in caption(MAX_TRAJECTORIES)
    assert "sample" not in caption(12)
    assert "12 individual trajectories" in caption(12)
