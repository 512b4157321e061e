"""The data commands: ``linkwork instruments``, ``score``, ``validate``, and input errors."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from linkwork import instruments, io
from linkwork.cli import app, main
from linkwork.datasets import demo_cohort

runner = CliRunner(env={"COLUMNS": "200"})


def test_instruments_lists_every_registry_instrument():
    result = runner.invoke(app, ["instruments"])
    assert result.exit_code == 0, result.output
    for name in instruments.REGISTRY:
        assert name in result.output


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".sav"])
def test_score_writes_what_the_library_scores(tmp_path, suffix):
    cohort = demo_cohort()
    source = io.write(cohort, tmp_path / f"cohort{suffix}")
    out = tmp_path / "k6.csv"
    result = runner.invoke(app, ["score", "k6", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    expected = instruments.score("k6", cohort)
    assert list(written.columns) == ["participant_id", "wave", "k6"]
    assert written["participant_id"].tolist() == cohort["participant_id"].tolist()
    pd.testing.assert_series_equal(
        written["k6"], expected.reset_index(drop=True), check_names=False, rtol=1e-12
    )
    assert f"{expected.attrs['n_prorated']} prorated" in result.output


def test_validate_clean_file_exits_zero(tmp_path):
    source = io.write(demo_cohort(), tmp_path / "cohort.csv")
    result = runner.invoke(app, ["validate", str(source)])
    assert result.exit_code == 0, result.output
    assert "no errors" in result.output


def test_validate_bad_file_exits_non_zero_naming_the_place(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("participant_id,wave,uls8_1\nA,T1,2\nA,T1,3\nB,T1,9\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(source)])
    assert result.exit_code == 1
    assert "duplicate" in result.output
    assert "'uls8_1': response out of range: got 9" in " ".join(result.output.split())


def test_console_script_turns_input_errors_into_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    source = tmp_path / "bad.csv"
    columns = ",".join(f"uls8_{k}" for k in range(1, 9))
    source.write_text(f"participant_id,wave,{columns}\nA,T1,7,1,1,1,1,1,1,1\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["linkwork", "score", "uls8", str(source), "-o", "x.csv"])
    monkeypatch.setenv("COLUMNS", "300")
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    message = capsys.readouterr().err
    for part in ("uls8_1", "got 7", "1-4"):
        assert part in message
