import numpy as np
import pandas as pd
import pytest

from linkwork.stats.descriptives import describe_by_wave


def test_matches_numpy_definitions_and_wave_order():
    rng = np.random.default_rng(1)
    wave = pd.Categorical(
        rng.choice(["T1", "T2", "T3"], 200), categories=["T3", "T1", "T2"], ordered=True
    )
    y = rng.normal(size=200)
    y[:10] = np.nan
    table = describe_by_wave(pd.DataFrame({"wave": wave, "y": y}), ["y"])
    assert list(table["wave"]) == ["T3", "T1", "T2"]
    for _, row in table.iterrows():
        v = y[(np.asarray(wave) == row["wave"]) & ~np.isnan(y)]
        assert row["n"] == len(v)
        assert row["mean"] == pytest.approx(v.mean(), rel=1e-12)
        assert row["sd"] == pytest.approx(v.std(ddof=1), rel=1e-12)
        # R's quantile type 7 is numpy's default "linear" method
        assert row["q1"] == pytest.approx(np.quantile(v, 0.25), rel=1e-12)
        assert row["q3"] == pytest.approx(np.quantile(v, 0.75), rel=1e-12)


def test_empty_wave_gives_zero_n_not_error():
    wave = pd.Categorical(["T1", "T1"], categories=["T1", "T2"], ordered=True)
    table = describe_by_wave(pd.DataFrame({"wave": wave, "y": [1.0, 2.0]}), ["y"])
    assert table.loc[table["wave"] == "T2", "n"].item() == 0
    assert np.isnan(table.loc[table["wave"] == "T2", "mean"].item())


def test_unknown_column_is_named():
    with pytest.raises(KeyError, match="nope"):
        describe_by_wave(pd.DataFrame({"wave": ["T1"]}), ["nope"])


def test_package_exports_resolve():
    import linkwork.stats as stats

    for name in stats.__all__:
        assert callable(getattr(stats, name)), name
