"""HTML tables: suppression symbols, descriptives layout, readable test names."""

from __future__ import annotations

import pandas as pd

from linkwork.report._source import read_input
from linkwork.report.tables import (
    SUPPRESSED,
    descriptives_table,
    label_of_test,
    rows_of,
    sites_table,
)


def replace_table(evaluation, **tables):
    return read_input(
        type(evaluation)(
            dict(evaluation.tables, **tables),
            evaluation.meta,
            evaluation.plan,
            evaluation.trajectories,
        )
    )


def test_suppressed_and_missing_counts_print_as_the_symbol(fake_evaluation):
    sites = pd.DataFrame(
        {
            "site": ["A", "A", "B", "B"],
            "wave": ["T1", "T2", "T1", "T2"],
            "n": [15.0, None, 10.0, 0.0],
            "suppressed": [False, True, False, False],
        }
    )
    table = sites_table(replace_table(fake_evaluation, sites=sites), "counts of 1-7 suppressed")
    cells = [[c.text for c in row[1:]] for row in table.body]
    assert cells == [["15", SUPPRESSED], ["10", "0"]]
    assert [c.css for c in table.body[0][1:]] == ["", "suppressed"]
    assert table.notes == [
        "* suppressed: a small count, hidden by disclosure control (counts of 1-7 suppressed)."
    ]


def test_no_suppression_note_without_suppressed_cells(fake_evaluation):
    sites = pd.DataFrame({"site": ["A"], "wave": ["T1"], "n": [15.0], "suppressed": [False]})
    assert sites_table(replace_table(fake_evaluation, sites=sites)).notes == []


def test_descriptives_has_a_group_per_measure_and_a_row_per_wave(fake_evaluation):
    table = descriptives_table(read_input(fake_evaluation))
    groups = [row[0].text for row in table.body if row[0].css == "group"]
    assert groups[0] == "Loneliness (ONS single item); higher is worse"
    assert len(groups) == 6
    assert len(table.body) == 6 * (1 + 3)


def test_statistical_test_names_are_readable():
    assert label_of_test("welch_t") == "Welch t"
    assert label_of_test("fisher") == "Fisher exact"
    assert label_of_test(None) == "—"


def test_rows_of_matches_on_text_and_never_on_absent_columns():
    frame = pd.DataFrame({"wave": pd.Categorical(["T1", "T2"]), "n": [1, 2]})
    assert rows_of(frame, wave="T2")["n"].tolist() == [2]
    assert rows_of(frame, arm="x").empty
