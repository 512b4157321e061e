"""Every number in the evaluation's tables against R, live, on the demo cohort and others.

``tests/reference/evaluation_check.R`` recomputes the tables from the scored long data with
lme4/lmerTest/emmeans (``lmer.df = "satterthwaite"``), ``cor.test``, ``friedman.test``,
``wilcox.test``, ``t.test``, ``fisher.test`` and ``p.adjust``; each number is compared here
with an explicit tolerance. Rows must match one to one (by their key columns), so a table with
a missing or extra row fails too.

Tolerances (relative, with a small absolute floor for values near zero): counts exactly;
descriptives, attrition, rank tests and correlations 1e-9 (closed forms); mixed-model
estimates, standard errors, marginal means, contrasts and d 1e-6 (lme4's optimiser stops
within about 1e-7 of the optimum), or 1e-6 of the row's standard error for estimates near
zero (a coefficient of -0.0139 with SE 0.3 may differ by 2e-8, i.e. 1.7e-6 relative);
Satterthwaite df, t and F 1e-4; p-values 1e-4.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkwork.datasets import demo_cohort, simulate_cohort
from linkwork.evaluation import Evaluation, analysis_data, evaluate

pytestmark = [pytest.mark.r, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parents[1] / "reference" / "evaluation_check.R"

CLOSED = {"rtol": 1e-9, "atol": 1e-12}
MODEL = {"rtol": 1e-6, "atol": 1e-10, "se": 1e-6}
DF = {"rtol": 1e-4, "atol": 1e-6}
P = {"rtol": 1e-4, "atol": 1e-12}
EXACT = {"rtol": 0.0, "atol": 0.0}

#: table -> (key columns, {column: tolerance})
CHECKS: dict[str, tuple[list[str], dict[str, dict[str, float]]]] = {
    "descriptives": (
        ["outcome", "wave"],
        {"n": EXACT, "mean": CLOSED, "sd": CLOSED, "median": CLOSED, "q1": CLOSED, "q3": CLOSED},
    ),
    "flow": (["stage", "wave", "outcome"], {"n": EXACT, "lost": EXACT}),
    "sites": (["site", "wave"], {"n": EXACT, "suppressed": EXACT}),
    "attrition": (
        ["variable", "level"],
        {
            "n_completers": EXACT,
            "n_noncompleters": EXACT,
            "mean_completers": CLOSED,
            "sd_completers": CLOSED,
            "mean_noncompleters": CLOSED,
            "sd_noncompleters": CLOSED,
            "smd": CLOSED,
            "statistic": CLOSED,
            "p_value": CLOSED,
        },
    ),
    "groups": (
        ["kind", "wave", "contrast"],
        {
            "n": EXACT,
            "median": CLOSED,
            "q1": CLOSED,
            "q3": CLOSED,
            "statistic": CLOSED,
            "df": EXACT,
            "p_value": CLOSED,
            "p_adjusted": CLOSED,
            "r": CLOSED,
        },
    ),
    "models": (
        ["outcome", "model", "term"],
        {
            "estimate": MODEL,
            "std_error": MODEL,
            "df": DF,
            "statistic": DF,
            "p_value": P,
            "conf_low": MODEL,
            "conf_high": MODEL,
        },
    ),
    "anova": (
        ["outcome", "model", "term"],
        {"num_df": EXACT, "den_df": DF, "F": DF, "p_value": P},
    ),
    "emmeans": (
        ["outcome", "model", "wave"],
        {
            "emmean": MODEL,
            "std_error": MODEL,
            "df": DF,
            "conf_low": MODEL,
            "conf_high": MODEL,
        },
    ),
    "contrasts": (
        ["outcome", "model", "contrast"],
        {
            "estimate": MODEL,
            "std_error": MODEL,
            "df": DF,
            "statistic": DF,
            "p_value": P,
            "p_adjusted": P,
            "d": MODEL,
            "d_conf_low": MODEL,
            "d_conf_high": MODEL,
        },
    ),
    "correlations": (
        ["predictor", "predictor_wave", "outcome", "target", "method"],
        {
            "n": EXACT,
            "r": CLOSED,
            "conf_low": CLOSED,
            "conf_high": CLOSED,
            "p_value": CLOSED,
            "p_holm": CLOSED,
            "p_fdr": CLOSED,
        },
    ),
}


def _config(evaluation: Evaluation) -> pd.DataFrame:
    plan, meta = evaluation.plan, evaluation.meta
    measures = [m.name for m in plan.measures()]
    outcomes = list(meta["outcomes"])
    attrition = [*outcomes, *([meta["groups"]] if meta["groups"] else [])]
    attrition += [c for c in plan.attrition if c not in attrition]
    values = {
        "waves": "|".join(plan.waves),
        "baseline": plan.baseline,
        "last": meta["last_wave"],
        "outcomes": "|".join(outcomes),
        "measures": "|".join(measures),
        "adjust": plan.adjust,
        "arm": meta["arm"] or "",
        "groups": meta["groups"] or "",
        "group_pairs": plan.group_pairs,
        "site": plan.site,
        "suppress": "true" if plan.disclosure.suppress else "false",
        "threshold": str(plan.disclosure.threshold),
        "rounding": str(plan.disclosure.rounding),
        "attrition": "|".join(attrition),
        "methods": "|".join(plan.methods),
        "targets": "|".join(plan.targets),
        "completers": "true" if plan.completers else "false",
        "predictors": "|".join(f"{p.name}:{';'.join(p.waves)}" for p in plan.predictors),
    }
    return pd.DataFrame({"key": list(values), "value": list(values.values())})


def _r_tables(rscript: str, data: pd.DataFrame, evaluation: Evaluation, tmp: Path) -> dict:
    scored = analysis_data(data, evaluation.plan)
    scored.to_csv(tmp / "scored.csv", index=False)
    _config(evaluation).to_csv(tmp / "config.csv", index=False)
    out = tmp / "r"
    run = subprocess.run(
        [rscript, str(SCRIPT), str(tmp / "scored.csv"), str(tmp / "config.csv"), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return {
        name: pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=[""])
        for name in CHECKS
        if (out / f"{name}.csv").exists()
    }


def _key_frame(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for key in keys:
        frame[key] = frame[key].astype(object).where(frame[key].notna(), "").astype(str)
    return frame.set_index(keys)


def _compare(name: str, ours: pd.DataFrame, theirs: pd.DataFrame, arm: bool) -> int:
    keys, columns = CHECKS[name]
    if arm and name in ("emmeans", "contrasts"):
        keys = [*keys, "arm"]
    if name == "correlations":  # R reports nothing where we could not compute (n < 4)
        ours = ours[ours["r"].notna()]
    if name == "groups":
        ours = ours[ours["p_value"].notna() | (ours["kind"] == "summary")]
    a, b = _key_frame(ours, keys), _key_frame(theirs, keys)
    assert a.index.is_unique, name
    assert b.index.is_unique, name
    assert sorted(a.index) == sorted(b.index), (
        f"{name}: rows differ: ours only {sorted(set(a.index) - set(b.index))[:5]}, "
        f"R only {sorted(set(b.index) - set(a.index))[:5]}"
    )
    b = b.loc[a.index]
    checked = 0
    for column, tolerance in columns.items():
        x = pd.to_numeric(a[column].replace({True: 1, False: 0}), errors="coerce").to_numpy(float)
        y = pd.to_numeric(b[column].replace({True: 1, False: 0}), errors="coerce").to_numpy(float)
        atol = tolerance["atol"]
        if "se" in tolerance:
            # Estimates near zero: allow 1e-6 of the estimate's standard error (for d, of the
            # contrast's SE on the d scale, SE x d / estimate).
            se = pd.to_numeric(b["std_error"], errors="coerce").to_numpy(float)
            if column.startswith("d"):
                ratio = np.abs(
                    pd.to_numeric(b["d"]).to_numpy(float) / b["estimate"].to_numpy(float)
                )
                se = se * ratio
            atol = atol + tolerance["se"] * np.nan_to_num(se)
        ok = np.isclose(x, y, equal_nan=True, rtol=tolerance["rtol"], atol=atol)
        if not ok.all():
            bad = np.flatnonzero(~ok)[:5]
            details = [(a.index[i], x[i], y[i]) for i in bad]
            raise AssertionError(f"{name}.{column} differs from R (ours, R): {details}")
        checked += int(np.isfinite(x).sum())
    return checked


def _check_against_r(rscript: str, data: pd.DataFrame, tmp: Path) -> None:
    evaluation = evaluate(data)
    theirs = _r_tables(rscript, data, evaluation, tmp)
    arm = evaluation.meta["arm"] is not None
    counted = {}
    for name in CHECKS:
        ours = evaluation.tables[name]
        if name not in theirs:
            assert ours.empty, f"R produced no {name} table but we did"
            continue
        counted[name] = _compare(name, ours, theirs[name], arm)
    # The models were really compared (not vacuously: every outcome estimated on these data).
    assert counted["models"] >= 6 * 2 * 3 * 5
    assert counted["contrasts"] >= 6 * 2 * 3 * 5
    assert counted["correlations"] > 0
    assert counted["groups"] > 0
    assert counted["attrition"] > 0


def test_demo_cohort_against_r(rscript, tmp_path):
    _check_against_r(rscript, demo_cohort(), tmp_path)


def test_simulated_cohort_against_r(rscript, tmp_path):
    data = simulate_cohort(
        n=150,
        attrition=(150, 104, 71),
        effects={"uls8": (-0.6, -0.8), "k6": (-0.2, -0.5), "groups": (0.3, 0.5)},
        seed=20240611,
        item_missing={"k6": 0.02, "wemwbs": 0.01},
    )
    _check_against_r(rscript, data, tmp_path)


def test_two_arm_cohort_against_r(rscript, tmp_path):
    data = simulate_cohort(
        n=120,
        attrition=(120, 95, 70),
        arms={"social prescribing": {"uls8": (-0.8, -1.0)}, "usual care": {}},
        seed=4242,
    )
    _check_against_r(rscript, data, tmp_path)
