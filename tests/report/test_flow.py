"""The participant flow diagram and table, from the evaluation's flow table."""

from __future__ import annotations

import pandas as pd

from linkwork.report._source import read_input
from linkwork.report.flow import flow_diagram, flow_table


def with_flow(evaluation, flow: pd.DataFrame):
    tables = dict(evaluation.tables, flow=flow)
    return read_input(
        type(evaluation)(tables, evaluation.meta, evaluation.plan, evaluation.trajectories)
    )


def test_every_stage_count_and_loss_is_drawn(fake_evaluation):
    inp = read_input(fake_evaluation)
    svg = flow_diagram(inp)
    flow = fake_evaluation.tables["flow"]
    for row in flow.itertuples():
        assert f"n = {int(row.n)}" in svg
    assert "Lost before T2 (8 weeks): n = 14" in svg
    assert "Lost before T3 (18 months): n = 20" in svg
    assert "not observed at T3" in svg
    assert "Analysed (all available data)" in svg
    assert "Loneliness (ULS-8): n = 64" in svg
    assert svg.count("<rect") == 4 + 1 + 2  # enrolled + 3 waves, analysed, 2 loss boxes
    assert '<title id="fig-flow-title">' in svg
    assert "<desc" in svg


def test_text_is_escaped(fake_evaluation):
    flow = fake_evaluation.tables["flow"].copy()
    flow.loc[2, "reason"] = "<b>moved away</b> & lost"
    svg = flow_diagram(with_flow(fake_evaluation, flow))
    assert "<b>" not in svg
    assert "&lt;b&gt;moved away&lt;/b&gt; &amp; lost" in svg


def test_returners_reason_is_shown_without_a_loss(fake_evaluation):
    flow = fake_evaluation.tables["flow"].copy()
    flow.loc[3, ["lost", "reason"]] = [0, "2 returned after missing T2"]
    svg = flow_diagram(with_flow(fake_evaluation, flow))
    assert "2 returned after missing T2" in svg


def test_flow_table_has_a_row_per_flow_row(fake_evaluation):
    table = flow_table(read_input(fake_evaluation))
    assert len(table.body) == len(fake_evaluation.tables["flow"])
    assert [c.text for c in table.body[0]][:3] == ["Enrolled", "—", "64"]
