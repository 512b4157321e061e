"""Evaluation-like objects with the contract's tables, for the report's tests.

:func:`build_evaluation` simulates a small cohort (64 / 50 / 30 by default) and fills every
table of the evaluation contract from it with simple, self-consistent statistics (observed
means for the model tables, scipy for tests and correlations). The numbers are realistic in
shape, not a reference for anything: the report's job is to present the tables it is given,
which the tests check against these very tables. When the real pipeline is importable,
``demo_evaluation`` evaluates the shipped demo cohort with it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tests.report._cohort_tables import (
    OUTCOMES,
    PREDICTORS,
    _attrition,
    _correlations,
    _descriptives,
    _groups,
    _model_tables,
    _sites,
    _trajectories,
)


@dataclass(frozen=True)
class FakeEvaluation:
    """Duck-typed stand-in for :class:`linkwork.evaluation.Evaluation`."""

    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any]
    plan: Any
    trajectories: pd.DataFrame
    participant_ids: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class FakePlan:
    alpha: float = 0.05

    def to_toml(self) -> str:
        return f'[analysis]\nalpha = {self.alpha}\nadjust = "holm"\n'


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    letters = np.array(list(string.ascii_uppercase + string.digits))
    return ["SPX-" + "".join(rng.choice(letters, 6)) for _ in range(n)]


def _simulate(rng, n, retained, waves, arm):
    ids = _ids(rng, n)
    present = np.zeros((n, len(waves)), dtype=bool)
    present[:, 0] = True
    order = rng.permutation(n)
    for k in range(1, len(waves)):
        present[order[: retained[k]], k] = True
    arms = np.where(rng.random(n) < 0.55, "social prescribing", "usual care") if arm else None
    responsiveness = rng.normal(size=n)
    rows = []
    person = {o: rng.normal(size=n) for o in OUTCOMES}
    for i in range(n):
        for k, wave in enumerate(waves):
            if not present[i, k]:
                continue
            row: dict[str, Any] = {
                "participant_id": ids[i],
                "wave": wave,
                "site": f"Site {i % 5 + 1}",
            }
            row["age"] = float(np.clip(rng.normal(53.6, 14), 18, 90)) if k == 0 else np.nan
            row["gender"] = ("female", "male")[i % 3 == 0]
            if arm:
                row["arm"] = arms[i]
            for name, (_, better, mean, sd, low, high, change) in OUTCOMES.items():
                effect = 0.0 if k == 0 else change[min(k, len(change)) - 1]
                if arm and arms[i] == "usual care":
                    effect *= 0.3
                gain = 0.3 * responsiveness[i] * (k > 0) * (1 if better else -1)
                z = 0.7 * person[name][i] + 0.7 * rng.normal() + effect + gain
                row[name] = float(np.clip(np.round(mean + sd * z), low, high))
            for name in PREDICTORS:
                base = rng.normal()
                z = base if k == 0 else 0.6 * responsiveness[i] + 0.8 * base
                row[name] = float(np.clip(np.round(5 + 1.2 * z, 1), 1, 7)) if k < 2 else np.nan
            row["groups"] = float(rng.poisson(2 + 0.8 * (k > 0)))
            rows.append(row)
    data = pd.DataFrame(rows)
    data["wave"] = pd.Categorical(data["wave"], categories=list(waves), ordered=True)
    return data


def build_evaluation(
    *,
    seed: int = 1,
    n: int = 64,
    retained=(64, 50, 30),
    waves=("T1", "T2", "T3"),
    arm=False,
    not_estimable: tuple[str, ...] = (),
) -> FakeEvaluation:
    """A contract-shaped evaluation of a simulated cohort (see the module notes)."""
    rng = np.random.default_rng(seed)
    waves = tuple(waves)
    data = _simulate(rng, n, retained, waves, arm)
    tables: dict[str, pd.DataFrame] = {"descriptives": _descriptives(data, waves)}
    n_wave = [int((data["wave"] == w).sum()) for w in waves]
    flow = [dict(stage="enrolled", wave="", n=n, lost=np.nan, reason="", outcome="")]
    for k, wave in enumerate(waves):
        lost = n_wave[k - 1] - n_wave[k] if k else n - n_wave[0]
        flow.append(
            dict(
                stage="observed",
                wave=wave,
                n=n_wave[k],
                lost=lost,
                outcome="",
                reason=f"not observed at {wave}" if lost else "",
            )
        )
    estimable = len(waves) > 1
    for name in OUTCOMES:
        flow.append(
            dict(
                stage="analysed",
                wave="",
                outcome=name,
                n=int(data.loc[data[name].notna(), "participant_id"].nunique()),
                lost=0,
                reason="",
            )
        )
    tables["flow"] = pd.DataFrame(flow)
    models = []
    if estimable:
        completers = data[data.groupby("participant_id")["wave"].transform("count") == len(waves)]
        models = [
            _model_tables(data, waves, "all available", arm),
            _model_tables(completers, waves, "completers", arm),
        ]
    for k, name in enumerate(("models", "anova", "emmeans", "contrasts")):
        frame = pd.concat([m[k] for m in models], ignore_index=True) if models else pd.DataFrame()
        if not frame.empty:
            frame = frame[~frame["outcome"].isin(not_estimable)].reset_index(drop=True)
        tables[name] = frame
    status = []
    for name in OUTCOMES:
        for model in ("all available", "completers"):
            ok = estimable and name not in not_estimable
            reason = (
                ""
                if ok
                else (
                    "only one wave observed"
                    if not estimable
                    else "no follow-up data for this outcome"
                )
            )
            status.append(
                dict(
                    outcome=name,
                    model=model,
                    status="estimated" if ok else "not estimable",
                    reason=reason,
                )
            )
    tables["estimability"] = pd.DataFrame(status)
    tables["correlations"] = _correlations(data, waves) if estimable else pd.DataFrame()
    tables["attrition"] = _attrition(data, waves) if estimable else pd.DataFrame()
    tables["groups"] = _groups(data, waves)
    tables["exclusions"] = pd.DataFrame(
        [
            dict(table="k6", reason="more than one K6 item missing", n=1),
            dict(table="uls8", reason="an item missing (no prorating rule)", n=2),
        ]
    )
    tables["scoring"] = pd.DataFrame(
        [
            dict(
                instrument=o,
                version="1",
                missing_rule="any item missing -> score missing",
                n_scored=int(data[o].notna().sum()),
                n_prorated=3 if o == "k6" else 0,
                n_missing=1 if o == "k6" else 0,
            )
            for o in OUTCOMES
        ]
    )
    tables["sites"] = _sites(data, waves)
    # The layout of linkwork.evaluation's meta (the report must read exactly this).
    meta = {
        "title": "Link worker social prescribing: evaluation",
        "linkwork_version": "0.1.0",
        "versions": {"python": "3.11.2", "numpy": np.__version__, "pandas": pd.__version__},
        "data_hash": "9f2c" + "0" * 60,
        "data_hash_method": "sha256 of the long input data as CSV",
        "data_source": "data frame",
        "plan_source": "default",
        "created": "2025-01-31T12:00:00+00:00",
        "n_participants": n,
        "n_rows": len(data),
        "waves": list(waves),
        "wave_labels": dict(zip(waves, ("Baseline", "8 weeks", "18 months"), strict=False)),
        "observed_waves": list(waves),
        "baseline": waves[0],
        "last_wave": waves[-1],
        "alpha": 0.05,
        "adjust": "holm",
        "arm": "arm" if arm else None,
        "arms": ["social prescribing", "usual care"] if arm else [],
        "covariates": [],
        "outcomes": {
            o: {
                "title": v[0],
                "direction": "higher is better" if v[1] else "higher is worse",
                "higher_is_better": v[1],
                "instrument": o,
                "formula": f"{o} ~ wave{' * arm' if arm else ''} + (1 | participant_id)",
            }
            for o, v in OUTCOMES.items()
        },
        "predictors": {
            "lw_relationship": {"title": "Relationship with the link worker"},
            "facilitator_belonging": {"title": "Group facilitator fosters belonging"},
        },
        "groups": "groups",
        "estimation": "linear mixed model with a random intercept per participant, REML",
        "df_method": "Satterthwaite degrees of freedom for t tests, F tests and contrasts",
        "contrast_sign": "later minus earlier wave (e.g. T2 - T1), Holm-adjusted",
        "d_formula": "d = (EMM at the later wave - EMM at the earlier wave) / SD at T1",
        "change_definition": "change = score at the last wave - score at T1",
        "completers_definition": "participants with the outcome scored at the last wave",
        "correlation_adjustment": "Holm and FDR within each method over the whole table",
        "wilcoxon": "pairs of waves, later minus earlier; r = z / sqrt(n non-zero differences)",
        "suppression": {
            "suppress": True,
            "threshold": 7,
            "rounding": 5,
            "text": "counts of 1-7 suppressed, other counts rounded to the nearest 5",
            "applies_to": ["sites"],
        },
        "notes": [],
    }
    return FakeEvaluation(
        tables, meta, FakePlan(), _trajectories(data, waves), tuple(data["participant_id"].unique())
    )
