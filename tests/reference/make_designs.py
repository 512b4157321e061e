"""Generate the seeded reference designs that R (lme4, lmerTest, emmeans) fits.

Run from the repository root::

    python3 tests/reference/make_designs.py

It writes ``tests/reference/data/<design>.csv`` for every simulated design and the manifest
``tests/reference/designs.json`` (formula, REML, factor level order, emmeans specs, nested
model pairs) that both the R script ``make_reference.R`` and the Python tests read, so the two
sides fit exactly the same model to exactly the same numbers. lme4's ``sleepstudy`` is listed in
the manifest too; R writes its CSV from the lme4 package.

The simulation itself is ``lmm_simulate.py`` (every value exact on a 2**-10 grid, so R and
pandas parse identical doubles; ``make_reference.R`` records an MD5 of the values as R read
them and the tests check it).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["DESIGNS", "REPLAYS", "write_designs"]

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """Import ``<name>.py`` from this folder (not a package, not on sys.path)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {name}.py from {HERE}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_sim = _sibling("lmm_simulate")
Sim = _sim.Sim
design_entry = _sim.design_entry
simulate = _sim.simulate
write_csv = _sim.write_csv

ARM2 = ("control", "lwsp")
INTER2 = ((0.0, 0.0, 0.0), (0.0, -2.0, -3.0))

# name -> (seed, simulation (an lmm_simulate.Sim, None for sleepstudy), manifest entry)
DESIGNS: dict[str, tuple[int, Any, dict[str, Any]]] = {}


def _add(name: str, seed: int, sim: Any, formula: str, **kwargs: Any) -> None:
    DESIGNS[name] = (seed, sim, design_entry(name, formula, **kwargs))


_add(
    "ri_balanced",
    101,
    Sim(n_ids=60),
    "y ~ wave + (1 | id)",
    emmeans=[["wave"]],
    description="random intercept, 60 participants x 3 waves, complete",
)
_add(
    "ri_645030",
    102,
    Sim(n_ids=64, keep_counts=(64, 50, 30)),
    "y ~ wave + (1 | id)",
    emmeans=[["wave"]],
    lrt=[("y ~ 1 + (1 | id)", "y ~ wave + (1 | id)")],
    description="the study's 64/50/30 waves, drop-out related to the random intercept",
)
_add(
    "ri_na_rows",
    103,
    Sim(n_ids=64, keep_counts=(64, 50, 30), na_rows=True, age_coef=0.05),
    "y ~ wave + age + (1 | id)",
    emmeans=[["wave"]],
    description="64/50/30 with missing rows kept as NA y, and one participant's age NA",
)
_add(
    "ri_5waves_unbalanced",
    104,
    Sim(
        n_ids=150,
        waves=("T1", "T2", "T3", "T4", "T5"),
        wave_effects=(0.0, -1.0, -2.5, -3.0, -2.0),
        keep=(1.0, 0.85, 0.7, 0.6, 0.5),
    ),
    "y ~ wave + (1 | id)",
    emmeans=[["wave"]],
    description="five waves, random missingness",
)
_add(
    "ri_wave_arm",
    105,
    Sim(
        n_ids=114,
        arms=ARM2,
        arm_sizes=(51, 63),
        arm_effects=(0.0, 0.5),
        interaction=INTER2,
        keep=(1.0, 0.8, 0.6),
    ),
    "y ~ wave * arm + (1 | id)",
    emmeans=[["wave"], ["arm"], ["wave", "arm"]],
    lrt=[("y ~ wave + arm + (1 | id)", "y ~ wave * arm + (1 | id)")],
    description="two arms (51 usual care, 63 LWSP), wave x arm",
)
_add(
    "ri_wave_arm_covariates",
    106,
    Sim(
        n_ids=114,
        arms=ARM2,
        arm_effects=(0.0, 0.5),
        interaction=INTER2,
        keep=(1.0, 0.8, 0.6),
        age_coef=0.08,
        sex_effect=1.5,
    ),
    "y ~ wave * arm + age + sex + (1 | id)",
    emmeans=[["wave"], ["wave", "arm"]],
    description="wave x arm with participant-level age (continuous) and sex (factor)",
)
_add(
    "ri_timevarying_x",
    107,
    Sim(n_ids=90, keep=(1.0, 0.8, 0.7), x_coef=0.6),
    "y ~ wave + x + (1 | id)",
    emmeans=[["wave"]],
    description="a covariate that varies within participant",
)
_add(
    "ri_three_arms",
    108,
    Sim(
        n_ids=150,
        arms=("control", "group", "individual"),
        arm_effects=(0.0, 0.3, -0.4),
        interaction=((0.0, 0.0, 0.0), (0.0, -1.5, -2.5), (0.0, -1.0, -3.5)),
        keep=(1.0, 0.8, 0.65),
    ),
    "y ~ wave * arm + (1 | id)",
    emmeans=[["arm"], ["wave", "arm"]],
    description="three arms, wave x arm; trt.vs.ctrl over arms",
)
_add(
    "ri_custom_levels",
    109,
    Sim(n_ids=70, waves=("baseline", "week8", "month18"), keep=(1.0, 0.8, 0.5)),
    "y ~ wave + (1 | id)",
    levels={"wave": ["baseline", "week8", "month18"]},
    emmeans=[["wave"]],
    description="wave levels in time order, not alphabetical (an explicit factor order)",
)
_add(
    "ri_singular",
    110,  # the first seed from 110 whose balanced ANOVA estimate of the id variance is < 0
    Sim(n_ids=40, sd_id=0.0),
    "y ~ wave + (1 | id)",
    emmeans=[["wave"]],
    description="true random-intercept variance 0: REML estimate on the boundary (singular)",
)
_add(
    "ri_singletons",
    111,
    Sim(n_ids=120, singletons=50, keep=(1.0, 0.8, 0.7)),
    "y ~ wave + (1 | id)",
    emmeans=[["wave"]],
    description="50 of 120 participants observed once (clusters of size 1)",
)
_add(
    "ri_large_5000",
    112,
    Sim(
        n_ids=5000,
        arms=ARM2,
        arm_effects=(0.0, 0.5),
        interaction=INTER2,
        keep=(1.0, 0.8, 0.7),
    ),
    "y ~ wave * arm + (1 | id)",
    emmeans=[["wave"], ["wave", "arm"]],
    description="5,000 participants, 20% missing at T2 and 30% at T3, wave x arm",
)
_add(
    "ri_ml",
    113,
    Sim(n_ids=80, arms=ARM2, arm_effects=(0.0, 1.0), keep=(1.0, 0.8, 0.6)),
    "y ~ wave + arm + (1 | id)",
    reml=False,
    emmeans=[["wave"], ["arm"]],
    description="maximum likelihood fit (REML = FALSE)",
)
_add(
    "rs_corr_balanced",
    114,
    Sim(
        n_ids=80,
        waves=("T1", "T2", "T3", "T4", "T5"),
        wave_effects=(0.0,) * 5,
        slope=-1.0,
        sd_id=3.0,
        sd_slope=1.0,
        corr=0.3,
        sd_e=2.0,
    ),
    "y ~ t + (1 + t | id)",
    description="correlated random intercept and slope, 5 waves complete",
)
_add(
    "rs_corr_missing",
    115,
    Sim(
        n_ids=100,
        waves=("T1", "T2", "T3", "T4"),
        wave_effects=(0.0,) * 4,
        slope=-0.8,
        sd_id=3.0,
        sd_slope=0.8,
        corr=-0.4,
        sd_e=2.0,
        keep=(1.0, 0.85, 0.7, 0.55),
    ),
    "y ~ t + (1 + t | id)",
    lrt=[("y ~ t + (t || id)", "y ~ t + (1 + t | id)")],
    description="correlated random slopes with missing waves",
)
_add(
    "rs_uncorr",
    116,
    Sim(
        n_ids=80,
        waves=("T1", "T2", "T3", "T4", "T5"),
        wave_effects=(0.0,) * 5,
        slope=-0.5,
        sd_id=3.0,
        sd_slope=0.7,
        sd_e=2.0,
        keep=(1.0, 0.9, 0.8, 0.7, 0.6),
    ),
    "y ~ t + (t || id)",
    description="uncorrelated random intercept and slope (double bar)",
)
_add(
    "rs_continuous_times",
    117,
    Sim(
        n_ids=120,
        waves=("T1", "T2", "T3", "T4"),
        times=(0.0, 2.0, 6.0, 18.0),
        time_jitter=0.4,
        wave_effects=(0.0,) * 4,
        slope=-0.15,
        sd_id=3.0,
        sd_slope=0.2,
        corr=0.2,
        sd_e=2.0,
        keep=(1.0, 0.8, 0.7, 0.6),
        age_coef=0.05,
    ),
    "y ~ t + age + (1 + t | id)",
    description="random slopes on nearly unique observation times (months), plus age",
)
_add(
    "rs_wave_factor",
    118,
    Sim(
        n_ids=100,
        waves=("T1", "T2", "T3", "T4"),
        wave_effects=(0.0, -2.0, -2.5, -3.5),
        sd_id=3.0,
        sd_slope=0.8,
        corr=0.3,
        sd_e=2.0,
        keep=(1.0, 0.85, 0.75, 0.65),
    ),
    "y ~ wave + (1 + t | id)",
    emmeans=[["wave"]],
    description="wave as a fixed factor with a random slope on numeric time",
)
_add(
    "rs_t_by_arm",
    119,
    Sim(
        n_ids=120,
        waves=("T1", "T2", "T3", "T4"),
        wave_effects=(0.0,) * 4,
        slope=-0.3,
        sd_id=3.0,
        sd_slope=0.6,
        corr=0.1,
        sd_e=2.0,
        arms=ARM2,
        arm_effects=(0.0, 0.5),
        interaction=((0.0,) * 4, (0.0, -0.6, -1.2, -1.8)),
        keep=(1.0, 0.85, 0.75, 0.65),
    ),
    "y ~ t * arm + (1 + t | id)",
    emmeans=[["arm"]],
    description="numeric time x arm with correlated random slopes",
)
_add(
    "rs_large_2000",
    120,
    Sim(
        n_ids=2000,
        waves=("T1", "T2", "T3", "T4"),
        wave_effects=(0.0,) * 4,
        slope=-0.5,
        sd_id=3.0,
        sd_slope=0.7,
        corr=0.25,
        sd_e=2.0,
        keep=(1.0, 0.8, 0.7, 0.6),
    ),
    "y ~ t + (1 + t | id)",
    description="random slopes, 2,000 participants with missing waves",
)
_add(
    "nested_site",
    121,
    Sim(n_ids=100, n_sites=5, sd_site=2.0, keep=(1.0, 0.8, 0.6)),
    "y ~ wave + (1 | site/id)",
    emmeans=[["wave"]],
    description="participants nested in 5 sites of unequal size",
)
_add(
    "nested_arm_unbalanced",
    122,
    Sim(
        n_ids=160,
        n_sites=8,
        sd_site=1.5,
        arms=ARM2,
        arm_effects=(0.0, 0.5),
        interaction=INTER2,
        keep=(1.0, 0.75, 0.55),
    ),
    "y ~ wave * arm + (1 | site/id)",
    emmeans=[["wave"], ["wave", "arm"]],
    description="wave x arm, participants nested in 8 unequal sites, missing waves",
)
SLEEP = "data/sleepstudy.csv"
_add(
    "sleepstudy_rs",
    0,
    None,
    "Reaction ~ Days + (Days | Subject)",
    data=SLEEP,
    lrt=[
        ("Reaction ~ Days + (1 | Subject)", "Reaction ~ Days + (Days | Subject)"),
        ("Reaction ~ Days + (Days || Subject)", "Reaction ~ Days + (Days | Subject)"),
    ],
    description="lme4::sleepstudy (Belenky et al. 2003), correlated random slopes",
)
_add(
    "sleepstudy_ri",
    0,
    None,
    "Reaction ~ Days + (1 | Subject)",
    data=SLEEP,
    description="lme4::sleepstudy, random intercept",
)
_add(
    "sleepstudy_uncorr",
    0,
    None,
    "Reaction ~ Days + (Days || Subject)",
    data=SLEEP,
    description="lme4::sleepstudy, uncorrelated random intercept and slope",
)
_add(
    "sleepstudy_ml",
    0,
    None,
    "Reaction ~ Days + (Days | Subject)",
    data=SLEEP,
    reml=False,
    description="lme4::sleepstudy, correlated random slopes by maximum likelihood",
)


def _singular_seed(start: int, sim: Any) -> int:
    """First seed >= *start* whose data give a negative ANOVA estimate of the id variance.

    For a complete balanced id x wave layout the REML estimate of the random-intercept
    variance is max(0, (MS_id - MS_residual) / waves), so a negative difference guarantees a
    boundary (singular) fit.
    """
    seed = start
    while True:
        frame = simulate(np.random.default_rng(seed), sim)
        table = frame.pivot(index="id", columns="wave", values="y").to_numpy()
        n, k = table.shape
        resid = table - table.mean(1, keepdims=True) - table.mean(0) + table.mean()
        ms_id = k * np.sum((table.mean(1) - table.mean()) ** 2) / (n - 1)
        ms_res = np.sum(resid**2) / ((n - 1) * (k - 1))
        if ms_id < ms_res:
            return seed
        seed += 1


# Regression designs: a live-test draw that once exposed a problem, replayed by its seed
# (lmm_simulate.replay_live_design) and kept. name -> (seed, live design name, description).
REPLAYS: dict[str, tuple[int, str, str]] = {
    "live_rs_corr_2349991654": (
        2349991654,
        "live_rs_corr",
        "live-test draw, correlated random slopes, 109 participants x 5 waves: linkwork once "
        "stopped on the boundary theta[0] = 0 (REML criterion 2424.08 vs lme4's 2388.95)",
    ),
}


def write_designs(out: Path = HERE) -> list[dict[str, Any]]:
    """Write every simulated CSV and the manifest ``designs.json`` under *out*."""
    manifest = []
    for name, (seed, live_name, description) in REPLAYS.items():
        live_entry, frame = _sim.replay_live_design(seed, live_name)
        entry = design_entry(
            name,
            live_entry["formula"],
            emmeans=live_entry["emmeans"],
            lrt=[tuple(pair) for pair in live_entry["lrt"]],
            description=description,
        )
        write_csv(frame, out / entry["data"])
        DESIGNS[name] = (seed, None, entry)
    for name, (seed, sim, entry) in DESIGNS.items():
        entry = dict(entry)
        if name in REPLAYS:
            entry["seed"] = seed
        elif sim is not None:
            if name == "ri_singular":
                seed = _singular_seed(seed, sim)
            frame = simulate(np.random.default_rng(seed), sim)
            if name == "ri_na_rows":
                # One participant's (participant-level) age unknown: all their rows drop out.
                frame["age"] = frame["age"].astype(float)
                frame.loc[frame["id"] == "p0007", "age"] = np.nan
            write_csv(frame, out / entry["data"])
            entry["seed"] = seed
        else:
            entry["seed"] = None
        manifest.append(entry)
    text = json.dumps({"designs": manifest}, indent=1) + "\n"
    (out / "designs.json").write_text(text, encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for entry in write_designs():
        print(f"{entry['name']:28s} {entry['data']}")
