"""Simulated long panels for the mixed-model reference designs (seeded, exact on a grid).

:func:`simulate` draws one data set from a :class:`Sim`: participants x waves, optional arms,
participant-level covariates, a within-participant covariate, sites, random intercepts and
slopes, and missing waves (random, exact counts such as the study's 64 / 50 / 30, or clusters
of size one). Every value is a multiple of 2**-10 (ages are integers), so the decimal text that
:func:`write_csv` writes is the exact binary value and R's and pandas' parsers agree to the
last bit. Used by ``make_designs.py`` (the committed designs) and by
``tests/stats/test_lmer_live_r.py`` (fresh random designs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "GRID",
    "WAVES3",
    "Sim",
    "design_entry",
    "draw_live_designs",
    "replay_live_design",
    "simulate",
    "write_csv",
]

GRID = 2.0**-10  # resolution of every simulated value: exactly representable in binary
WAVES3 = ("T1", "T2", "T3")


@dataclass(frozen=True, slots=True)
class Sim:
    """What to simulate: a long panel, one row per participant and observed wave.

    ``y = mu + wave_effects[w] + arm_effects[a] + interaction[a][w] + age_coef * (age - 50)
    + x_coef * x + u0 + u1 * t + v_site + e``, with ``(u0, u1)`` bivariate normal per
    participant (SDs ``sd_id``, ``sd_slope``, correlation ``corr``), ``v_site`` normal per site
    and ``e`` normal with SD ``sd_e``.
    """

    n_ids: int
    waves: tuple[str, ...] = WAVES3
    times: tuple[float, ...] | None = None  # numeric time of each wave; default 0, 1, 2, ...
    time_jitter: float = 0.0  # SD of per-observation jitter added to t (unique times)
    mu: float = 20.0
    wave_effects: tuple[float, ...] = (0.0, -3.0, -4.0)
    slope: float = 0.0  # fixed effect of numeric t
    sd_id: float = 4.0
    sd_slope: float = 0.0
    corr: float = 0.0
    sd_e: float = 3.0
    arms: tuple[str, ...] = ()
    arm_sizes: tuple[int, ...] = ()  # participants per arm; default equal split
    arm_effects: tuple[float, ...] = ()
    interaction: tuple[tuple[float, ...], ...] = ()  # [arm][wave], first arm all zero
    age_coef: float | None = None
    sex_effect: float | None = None
    x_coef: float | None = None  # time-varying covariate x
    n_sites: int = 0
    sd_site: float = 0.0
    keep: tuple[float, ...] | None = None  # per-wave probability a row is observed
    keep_counts: tuple[int, ...] | None = None  # exact participants observed per wave
    singletons: int = 0  # participants observed at one wave only
    na_rows: bool = False  # keep unobserved rows with y = NA instead of dropping them
    extra: dict[str, Any] = field(default_factory=dict)


def _grid(values: np.ndarray) -> np.ndarray:
    return np.round(values / GRID) * GRID


def _observed(rng: np.random.Generator, sim: Sim, u0: np.ndarray) -> np.ndarray:
    """Boolean matrix n_ids x n_waves of observed rows (first wave always observed)."""
    n, k = sim.n_ids, len(sim.waves)
    seen = np.ones((n, k), dtype=bool)
    if sim.keep_counts is not None:
        # Drop-out not completely at random: people with higher u0 (worse scores) more
        # likely to be missing, as in the 64/50/30 study.
        weight = np.exp(0.4 * (u0 - u0.mean()) / (u0.std() + 1e-12))
        for j, count in enumerate(sim.keep_counts[1:], start=1):
            p = (1.0 / weight) / np.sum(1.0 / weight)
            chosen = rng.choice(n, size=count, replace=False, p=p)
            seen[:, j] = False
            seen[chosen, j] = True
    elif sim.keep is not None:
        for j, prob in enumerate(sim.keep[1:], start=1):
            seen[:, j] = rng.random(n) < prob
    if sim.singletons:
        who = rng.choice(n, size=sim.singletons, replace=False)
        for i in who:
            seen[i, :] = False
            seen[i, rng.integers(k)] = True
    return seen


def simulate(rng: np.random.Generator, sim: Sim) -> pd.DataFrame:
    """Draw one long data set from *sim* using *rng* (see :class:`Sim`)."""
    n, k = sim.n_ids, len(sim.waves)
    ids = np.array([f"p{i + 1:04d}" for i in range(n)])
    cov = np.array(
        [
            [sim.sd_id**2, sim.corr * sim.sd_id * sim.sd_slope],
            [sim.corr * sim.sd_id * sim.sd_slope, sim.sd_slope**2],
        ]
    )
    u = rng.multivariate_normal(np.zeros(2), cov, size=n, method="eigh")
    u0, u1 = u[:, 0], u[:, 1]
    times = np.asarray(sim.times if sim.times is not None else range(k), dtype=float)

    arm = np.array([""] * n, dtype=object)
    arm_index = np.zeros(n, dtype=int)
    if sim.arms:
        sizes = sim.arm_sizes or tuple(
            n // len(sim.arms) + (1 if a < n % len(sim.arms) else 0) for a in range(len(sim.arms))
        )
        arm_index = rng.permutation(np.repeat(np.arange(len(sim.arms)), sizes))
        arm = np.array(sim.arms, dtype=object)[arm_index]

    site_index = np.zeros(n, dtype=int)
    v_site = np.zeros(n)
    if sim.n_sites:
        # Unequal site sizes: Dirichlet shares, every site non-empty.
        shares = rng.dirichlet(np.full(sim.n_sites, 2.0))
        site_index = np.sort(rng.choice(sim.n_sites, size=n, p=shares))
        site_index[: sim.n_sites] = np.arange(sim.n_sites)
        v_site = rng.normal(0.0, sim.sd_site, size=sim.n_sites)[site_index]

    age = rng.integers(18, 90, size=n).astype(float)
    sex = rng.choice(np.array(["F", "M"], dtype=object), size=n)
    seen = _observed(rng, sim, u0)

    rows: list[dict[str, Any]] = []
    for i in range(n):
        for j in range(k):
            if not seen[i, j] and not sim.na_rows:
                continue
            t = times[j] + (rng.normal(0.0, sim.time_jitter) if sim.time_jitter else 0.0)
            t = float(_grid(np.array(t)))
            x = float(_grid(np.array(rng.normal(5.0 + 0.5 * j, 2.0))))
            mean = sim.mu + sim.wave_effects[j] + sim.slope * t + u0[i] + u1[i] * t + v_site[i]
            if sim.arms:
                a = arm_index[i]
                mean += sim.arm_effects[a] if sim.arm_effects else 0.0
                mean += sim.interaction[a][j] if sim.interaction else 0.0
            if sim.age_coef is not None:
                mean += sim.age_coef * (age[i] - 50.0)
            if sim.sex_effect is not None and sex[i] == "M":
                mean += sim.sex_effect
            if sim.x_coef is not None:
                mean += sim.x_coef * x
            y = float(_grid(np.array(mean + rng.normal(0.0, sim.sd_e))))
            row: dict[str, Any] = {"id": ids[i], "wave": sim.waves[j], "t": t}
            if sim.arms:
                row["arm"] = arm[i]
            if sim.n_sites:
                row["site"] = f"s{site_index[i] + 1:02d}"
            if sim.age_coef is not None:
                row["age"] = age[i]
            if sim.sex_effect is not None:
                row["sex"] = sex[i]
            if sim.x_coef is not None:
                row["x"] = x
            row["y"] = y if seen[i, j] else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write *frame* so that R's read.csv and pandas' read_csv parse identical doubles."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # repr-style shortest round-trip text; values on the 2**-10 grid print exactly.
    frame.to_csv(path, index=False, na_rep="NA", float_format=None, lineterminator="\n")


def design_entry(
    name: str,
    formula: str,
    *,
    data: str | None = None,
    reml: bool = True,
    levels: dict[str, list[str]] | None = None,
    emmeans: list[list[str]] | None = None,
    lrt: list[tuple[str, str]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """One manifest entry; *data* defaults to ``data/<name>.csv``."""
    return {
        "name": name,
        "description": description,
        "data": data or f"data/{name}.csv",
        "formula": formula,
        "reml": reml,
        "levels": levels or {},
        "emmeans": emmeans or [],
        "lrt": [list(pair) for pair in (lrt or [])],
    }


def draw_live_designs(rng: np.random.Generator) -> list[tuple[dict[str, Any], Sim]]:
    """Three random (manifest entry, simulation) pairs for the live R test.

    A random-intercept wave x arm model with age and random missingness; correlated random
    slopes on 4-5 waves; then (with probability 1/2 each) a nested ``(1 | site/id)`` or an
    uncorrelated ``(t || id)`` model. Simulate them in order with the same *rng* (as
    ``tests/stats/test_lmer_live_r.py`` does) to replay a seed.
    """
    u = rng.uniform
    arm_effect = float(u(-1, 1))
    inter = (0.0, float(u(-3, 1)), float(u(-4, 1)))
    ri = Sim(
        n_ids=int(rng.integers(60, 300)),
        mu=float(u(10, 30)),
        wave_effects=(0.0, float(u(-4, 1)), float(u(-5, 1))),
        sd_id=float(u(2, 6)),
        sd_e=float(u(1.5, 4)),
        arms=("control", "lwsp"),
        arm_effects=(0.0, arm_effect),
        interaction=((0.0, 0.0, 0.0), inter),
        keep=(1.0, float(u(0.6, 0.95)), float(u(0.4, 0.85))),
        age_coef=float(u(-0.1, 0.1)),
    )
    ri_entry = design_entry(
        "live_ri_wave_arm",
        "y ~ wave * arm + age + (1 | id)",
        emmeans=[["wave"], ["wave", "arm"]],
        lrt=[("y ~ wave + arm + age + (1 | id)", "y ~ wave * arm + age + (1 | id)")],
    )
    n_waves = int(rng.integers(4, 6))
    waves = tuple(f"T{j + 1}" for j in range(n_waves))
    keep = (1.0, *(float(u(0.55, 0.95)) for _ in range(n_waves - 1)))
    rs = Sim(
        n_ids=int(rng.integers(80, 300)),
        waves=waves,
        wave_effects=(0.0,) * n_waves,
        slope=float(u(-1.5, 0.5)),
        sd_id=float(u(2, 5)),
        sd_slope=float(u(0.5, 1.5)),
        corr=float(u(-0.6, 0.6)),
        sd_e=float(u(1, 3)),
        keep=keep,
    )
    rs_entry = design_entry("live_rs_corr", "y ~ t + (1 + t | id)")
    if rng.random() < 0.5:
        third = Sim(
            n_ids=int(rng.integers(80, 300)),
            n_sites=int(rng.integers(4, 10)),
            sd_site=float(u(1, 3)),
            sd_id=float(u(2, 5)),
            keep=(1.0, float(u(0.6, 0.95)), float(u(0.4, 0.85))),
        )
        third_entry = design_entry("live_nested", "y ~ wave + (1 | site/id)", emmeans=[["wave"]])
    else:
        third = Sim(
            n_ids=int(rng.integers(80, 300)),
            waves=waves,
            wave_effects=(0.0,) * n_waves,
            slope=float(u(-1.5, 0.5)),
            sd_id=float(u(2, 5)),
            sd_slope=float(u(0.5, 1.5)),
            sd_e=float(u(1, 3)),
            keep=keep,
        )
        third_entry = design_entry("live_rs_uncorr", "y ~ t + (t || id)")
    return [(ri_entry, ri), (rs_entry, rs), (third_entry, third)]


def replay_live_design(seed: int, name: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """The live test's design *name* for *seed*, exactly as that run drew it."""
    rng = np.random.default_rng(seed)
    for entry, sim in draw_live_designs(rng):
        frame = simulate(rng, sim)
        if entry["name"] == name:
            return entry, frame
    raise KeyError(f"seed {seed} draws no live design named {name!r}")
