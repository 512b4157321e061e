"""compare_completers against R's t.test, fisher.test and chisq.test (stored and live random).

Tolerance: 1e-10 relative for means, SDs, t, df and every p-value (R's methods exactly). The
standardised differences are checked against the published formulas (Austin 2009) applied to
R's group means, SDs and counts.
"""

import math
import secrets

import numpy as np
import pandas as pd
import pytest
from tests.reference import make_other_stats_data

from linkwork.errors import DataFormatError, ModelError, PlanError
from linkwork.stats.attrition import compare_completers

oracle = make_other_stats_data

REF = oracle.load_reference()
DATA = oracle.read_table("attrition")
VARIABLES = ["age", "k6", "lonely", "sex", "employment", "site", "half"]


def approx(value):
    return pytest.approx(value, rel=1e-10, abs=0)


def split(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    completer = data["completer"].map({True: True, False: False, "TRUE": True, "FALSE": False})
    return data[VARIABLES], completer.astype("boolean")


def check(table: pd.DataFrame, reference: dict, test: str, context: str = "") -> None:
    for entry in reference["attrition_continuous"]:
        row = table[table["variable"] == entry["variable"]].iloc[0]
        assert row["kind"] == "continuous", context
        assert (row["n_completers"], row["n_noncompleters"]) == (entry["n_c"], entry["n_n"])
        for ours, theirs in [
            ("mean_completers", "mean_c"),
            ("sd_completers", "sd_c"),
            ("mean_noncompleters", "mean_n"),
            ("sd_noncompleters", "sd_n"),
            ("statistic", "statistic"),
            ("df", "df"),
            ("p_value", "p_value"),
        ]:
            assert row[ours] == approx(entry[theirs]), f"{context} {entry['variable']} {ours}"
        pooled = math.sqrt((entry["sd_c"] ** 2 + entry["sd_n"] ** 2) / 2)
        assert row["smd"] == approx((entry["mean_c"] - entry["mean_n"]) / pooled), context
    for entry in reference["attrition_categorical"]:
        rows = table[table["variable"] == entry["variable"]]
        assert list(rows["level"]) == entry["levels"], context
        assert list(rows["count_completers"]) == entry["count_c"], context
        assert list(rows["count_noncompleters"]) == entry["count_n"], context
        n_c, n_n = sum(entry["count_c"]), sum(entry["count_n"])
        for (_, row), c, m in zip(rows.iterrows(), entry["count_c"], entry["count_n"], strict=True):
            pc, pn = c / n_c, m / n_n
            spread = math.sqrt((pc * (1 - pc) + pn * (1 - pn)) / 2)
            if spread > 0:
                assert row["smd"] == approx((pc - pn) / spread), context
            else:
                assert math.isinf(row["smd"]), context
            if test == "fisher":
                assert row["p_value"] == approx(entry["fisher_p"]), f"{context} {entry['variable']}"
                assert math.isnan(row["statistic"])
            else:
                assert row["statistic"] == approx(entry["chisq_statistic"]), context
                assert row["df"] == entry["chisq_df"], context
                assert row["p_value"] == approx(entry["chisq_p"]), context


@pytest.mark.parametrize("test", ["fisher", "chisq"])
def test_matches_stored_r(test):
    baseline, completer = split(DATA)
    result = compare_completers(baseline, completer, categorical_test=test)
    check(result.tidy(), REF, test)
    assert result.categorical_test == test


def test_counts_missing_values_and_unknown_status():
    baseline, completer = split(DATA)
    result = compare_completers(baseline, completer)
    assert result.n_unknown == 2
    assert result.n_completers + result.n_noncompleters == len(DATA) - 2
    glance = result.glance()
    assert glance.loc[0, "retention"] == result.n_completers / (len(DATA) - 2)
    table = result.tidy()
    age = table[table["variable"] == "age"].iloc[0]
    known = completer.notna()
    assert (
        age["missing_completers"] + age["missing_noncompleters"]
        == (baseline["age"].isna() & known).sum()
    )
    assert age["n_completers"] + age["missing_completers"] == result.n_completers


def test_symmetric_2x2_uses_rs_tie_tolerance():
    """Equal margins make tables of exactly equal probability; R counts them as extreme."""
    entry = next(e for e in REF["attrition_categorical"] if e["variable"] == "half")
    baseline, completer = split(DATA)
    table = compare_completers(baseline[["half"]], completer).tidy()
    assert table["p_value"].iloc[0] == approx(entry["fisher_p"])


def test_level_seen_only_with_unknown_status_is_not_a_level():
    baseline = pd.DataFrame({"s": ["a", "b", "a", "b", "a", "b", "c"]})
    done = pd.Series([True, True, True, False, False, False, None], dtype="boolean")
    table = compare_completers(baseline, done).tidy()
    assert list(table["level"]) == ["a", "b"]
    # R: fisher.test(table(c(T, T, T, F, F, F), c("a", "b", "a", "b", "a", "b")))$p.value = 1
    assert table["p_value"].iloc[0] == pytest.approx(1.0, rel=1e-12, abs=0)
    assert np.isfinite(table["smd"]).all()


def test_numeric_codes_can_be_declared_categorical():
    baseline = pd.DataFrame({"code": [1, 2, 1, 2, 1, 2, 2, 1]})
    done = pd.Series([True, True, True, True, False, False, False, False])
    table = compare_completers(baseline, done, categorical=["code"]).tidy()
    assert list(table["level"]) == ["1", "2"]
    assert set(table["kind"]) == {"categorical"}
    # R: fisher.test(matrix(c(2, 2, 2, 2), 2)) gives p = 1
    assert table["p_value"].iloc[0] == pytest.approx(1.0, rel=1e-12, abs=0)


def test_errors():
    baseline = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "s": list("aaaa")})
    done = pd.Series([True, True, False, False])
    with pytest.raises(ModelError, match=r"'s'.*2 observed levels"):
        compare_completers(baseline, done, ["s"])
    with pytest.raises(ModelError, match=r"'x'.*constant"):
        compare_completers(pd.DataFrame({"x": [1.0, 1.0, 1.0, 1.0]}), done)
    with pytest.raises(ModelError, match="at least 2 values per group"):
        compare_completers(baseline, pd.Series([True, False, False, False]), ["x"])
    with pytest.raises(DataFormatError, match="not boolean"):
        compare_completers(baseline, pd.Series(["yes", "no", "no", "no"]), ["x"])
    with pytest.raises(DataFormatError, match="same index"):
        compare_completers(baseline, pd.Series([True, True, False, False], index=[4, 5, 6, 7]))
    with pytest.raises(PlanError):
        compare_completers(baseline, done, ["x"], categorical_test="g")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="nope"):
        compare_completers(baseline, done, ["nope"])


def test_fisher_refuses_huge_enumerations():
    rng = np.random.default_rng(3)
    baseline = pd.DataFrame({"g": rng.choice([f"l{i}" for i in range(12)], 2000)})
    done = pd.Series(rng.uniform(size=2000) < 0.5)
    with pytest.raises(ModelError, match="chisq"):
        compare_completers(baseline, done)
    assert compare_completers(baseline, done, categorical_test="chisq").rows


@pytest.mark.r
def test_live_random_against_r(rscript, tmp_path):
    seed = secrets.randbits(32)
    data = oracle.build_attrition(np.random.default_rng(seed), n=int(seed % 80) + 40)
    result = oracle.run_oracle(rscript, {"attrition": data}, tmp_path)
    written = oracle.read_table("attrition", tmp_path / "other_stats_data")
    baseline, completer = split(written)
    for test in ("fisher", "chisq"):
        table = compare_completers(baseline, completer, categorical_test=test).tidy()
        check(table, result, test, f"seed {seed}, {test}")
