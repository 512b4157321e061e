"""The chunked synthetic generator and the `linkwork simulate` command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from linkwork.cli import app
from linkwork.errors import PlanError
from linkwork.scale import lmer_duckdb
from linkwork.scale.simulate import write_scores


def test_chunks_ids_and_dropout(tmp_path: Path) -> None:
    n = 20_000
    files = write_scores(tmp_path, n, seed=3, chunk=6_000)
    assert [f.name for f in files] == [f"part-{k:05d}.parquet" for k in range(4)]
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    ids = df["participant_id"].to_numpy()
    assert np.array_equal(np.unique(ids), np.arange(1, n + 1))
    assert bool(np.all(np.diff(ids) >= 0))  # sorted by participant, as files are written
    per_wave = df.groupby("wave", observed=True)["participant_id"].nunique()
    assert per_wave["T1"] == n
    for wave, p in (("T2", 0.8), ("T3", 0.7)):  # documented monotone drop-out
        assert abs(per_wave[wave] - n * p) < 5 * np.sqrt(n * p * (1 - p))
    has_t3 = set(df.loc[df["wave"] == "T3", "participant_id"])
    has_t2 = set(df.loc[df["wave"] == "T2", "participant_id"])
    assert has_t3 <= has_t2
    assert df["wemwbs"].between(14, 70).all()
    assert (df["wemwbs"] == np.round(df["wemwbs"])).all()


def test_same_seed_same_files_other_seed_differs(tmp_path: Path) -> None:
    a = pd.read_parquet(write_scores(tmp_path / "a", 500, seed=9, chunk=200)[1])
    b = pd.read_parquet(write_scores(tmp_path / "b", 500, seed=9, chunk=200)[1])
    c = pd.read_parquet(write_scores(tmp_path / "c", 500, seed=10, chunk=200)[1])
    pd.testing.assert_frame_equal(a, b)
    assert not a["wemwbs"].equals(c["wemwbs"])


def test_generating_effects_are_recovered(tmp_path: Path) -> None:
    """The documented effects (control +0.5, intervention +3/+4 at T2/T3) within 4 SE."""
    write_scores(tmp_path, 20_000, seed=5)
    fit = lmer_duckdb("wemwbs ~ wave * arm + (1 | participant_id)", str(tmp_path / "*.parquet"))
    truth = {
        "(Intercept)": 45.0,
        "waveT2": 0.5,
        "waveT3": 0.5,
        "armintervention": 0.0,
        "waveT2:armintervention": 2.5,
        "waveT3:armintervention": 3.5,
    }
    t = fit.tidy().set_index("term")
    for term, value in truth.items():
        assert abs(t.loc[term, "estimate"] - value) < 4 * t.loc[term, "std_error"], term
    vc = fit.varcorr.set_index("grp")["sdcor"]
    assert abs(vc["participant_id"] - 7.0) < 0.3
    assert abs(vc["Residual"] - 5.0) < 0.2


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="participants"):
        write_scores(tmp_path, 0)
    with pytest.raises(PlanError, match="chunk"):
        write_scores(tmp_path, 10, chunk=0)
    write_scores(tmp_path, 3)
    with pytest.raises(PlanError, match="already holds"):
        write_scores(tmp_path, 3)


def test_cli_simulate(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    result = CliRunner().invoke(app, ["simulate", "--participants", "25", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "25 participants" in result.output
    df = pd.read_parquet(out / "part-00000.parquet")
    assert df["participant_id"].nunique() == 25
