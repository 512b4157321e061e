"""Write the seeded input data of the R oracle for the non-mixed-model statistics.

Run from the repository root::

    python3 tests/reference/make_other_stats_data.py
    Rscript tests/reference/other_stats.R

The first writes ``tests/reference/other_stats_data/*.csv``; the second reads them with base R
(``p.adjust``, ``cor.test``, ``wilcox.test``, ``friedman.test``, ``t.test``, ``fisher.test``,
``chisq.test``) and emmeans (``eff_size``) and writes ``tests/reference/other_stats.json``, which
``tests/stats/test_{multiplicity,correlation,nonparametric,effect_size,attrition}.py`` compare
with. Every simulated number is an integer or a multiple of 2**-10 (p-values: 2**-16), so its
decimal text is its exact binary value and R and Python read identical doubles; ties and zero
differences are therefore the same on both sides.

The generators are also used by the live randomised tests (``build_*`` with a fresh seed).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SEED = 20250604
HERE = Path(__file__).resolve().parent
OUT = HERE / "other_stats_data"
SCRIPT = HERE / "other_stats.R"
REFERENCE_JSON = HERE / "other_stats.json"


def grid(values: np.ndarray, step: float = 2.0**-10) -> np.ndarray:
    """Round to a multiple of *step* so the decimal text is exact."""
    return np.round(np.asarray(values, dtype=np.float64) / step) * step


def distinct(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    """n normal draws on the 2**-10 grid with no ties."""
    while True:
        x = grid(rng.normal(scale=scale, size=n))
        if np.unique(x).size == n:
            return x


def build_p_values(rng: np.random.Generator) -> pd.DataFrame:
    sets = {
        "one": np.array([0.03125]),
        "two": np.array([0.0234375, 0.046875]),
        "three": np.array([0.010009765625, 0.0400390625, 0.03125]),
        "mixed12": np.concatenate(
            [grid(rng.beta(0.5, 2.0, 8), 2.0**-16), [np.nan, 0.5, 0.5, np.nan, 1.0, 0.0]]
        ),
        "many60": np.concatenate(
            [grid(rng.beta(0.3, 1.5, 57), 2.0**-16), [2.0**-27, 2.0**-40, 2.0**-20]]
        ),
        "hommel9": grid(rng.uniform(0, 0.1, 9), 2.0**-16),
    }
    frames = [pd.DataFrame({"set": name, "p": p}) for name, p in sets.items()]
    return pd.concat(frames, ignore_index=True)


def build_correlation(rng: np.random.Generator) -> pd.DataFrame:
    def pair(n: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
        scale = 1.0 if n <= 100 else 1000.0  # wide enough for no ties on the 2**-10 grid
        while True:
            x = scale * rng.normal(size=n)
            y = rho * x + np.sqrt(1 - rho**2) * scale * rng.normal(size=n)
            xg, yg = grid(x), grid(y)
            if np.unique(xg).size == n and np.unique(yg).size == n:
                return xg, yg

    sets: dict[str, tuple[np.ndarray, np.ndarray]] = {
        "n5": pair(5, 0.5),
        "n7": pair(7, 0.1),
        "n9_neg": pair(9, -0.6),
        "n10": pair(10, 0.4),
        "n25": pair(25, 0.3),
        "n1290": pair(1290, 0.05),
        "n1300": pair(1300, 0.05),
        "strong60": pair(60, 0.95),
        "perfect8": (np.arange(1.0, 9.0), 2 * np.arange(1.0, 9.0) + 1),
        "reversed9": (np.arange(1.0, 10.0), -np.arange(1.0, 10.0)),
    }
    x, y = pair(34, 0.45)
    x[[3, 17]] = np.nan
    y[[8, 30]] = np.nan
    sets["n30_na"] = (x, y)
    xi = rng.integers(1, 8, 40).astype(np.float64)
    yi = np.clip(np.round(0.5 * xi + rng.normal(scale=1.5, size=40)), 0, 7)
    sets["ties40"] = (xi, yi)
    frames = [pd.DataFrame({"set": name, "x": a, "y": b}) for name, (a, b) in sets.items()]
    return pd.concat(frames, ignore_index=True)


def build_wilcoxon(rng: np.random.Generator) -> pd.DataFrame:
    def shifted(n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
        while True:
            y = grid(rng.normal(size=n))
            x = grid(y + shift + rng.normal(size=n))
            d = x - y
            if np.unique(np.abs(d)).size == n and not (d == 0).any():
                return x, y

    sets = {
        "exact6": shifted(6, 1.5),
        "exact15": shifted(15, 0.4),
        "exact49": shifted(49, 0.2),
        "normal50": shifted(50, 0.2),
        "normal120": shifted(120, -0.1),
        "extreme12": shifted(12, 4.0),
    }
    x, y = shifted(20, 0.5)
    x[[2, 9, 15]] = y[[2, 9, 15]]
    sets["zeros20"] = (x, y)
    x, y = shifted(25, 0.3)
    x[[0, 5]] = np.nan
    y[[12]] = np.nan
    sets["na25"] = (x, y)
    base = rng.integers(0, 5, 40).astype(np.float64)
    later = np.clip(base + rng.integers(-1, 3, 40), 0, 8).astype(np.float64)
    sets["ties40"] = (later, base)
    frames = [pd.DataFrame({"set": name, "x": a, "y": b}) for name, (a, b) in sets.items()]
    return pd.concat(frames, ignore_index=True)


def build_friedman(rng: np.random.Generator) -> pd.DataFrame:
    """Long data: set, id, wave, value."""
    rows = []
    # Number of meaningful groups over 3 waves, 64 participants, drop-out as in the study.
    n = 64
    t1 = rng.integers(0, 5, n)
    t2 = np.clip(t1 + rng.integers(-1, 3, n), 0, 8).astype(np.float64)
    t3 = np.clip(t2 + rng.integers(-1, 2, n), 0, 8).astype(np.float64)
    t2[rng.choice(n, 14, replace=False)] = np.nan
    t3[np.flatnonzero(np.isnan(t2))] = np.nan
    t3[rng.choice(np.flatnonzero(~np.isnan(t2)), 20, replace=False)] = np.nan
    for wave, v in (("T1", t1.astype(np.float64)), ("T2", t2), ("T3", t3)):
        rows.append(pd.DataFrame({"set": "groups3", "id": np.arange(n), "wave": wave, "value": v}))
    m = 20
    for k, wave in enumerate(["T1", "T2", "T3", "T4"]):
        v = grid(rng.normal(loc=0.3 * k, size=m))
        rows.append(pd.DataFrame({"set": "cont4", "id": np.arange(m), "wave": wave, "value": v}))
    m = 15
    for wave in ["T1", "T2"]:
        v = rng.integers(0, 3, m).astype(np.float64)
        rows.append(pd.DataFrame({"set": "k2", "id": np.arange(m), "wave": wave, "value": v}))
    return pd.concat(rows, ignore_index=True)


def build_attrition(rng: np.random.Generator, n: int = 64) -> pd.DataFrame:
    age = np.round(rng.normal(53.6, 12.0, n))
    k6 = np.clip(np.round(rng.normal(11, 5, n)), 0, 24)
    lonely = grid(rng.normal(2.5, 0.7, n))
    completer_prob = 1 / (1 + np.exp(-(-0.5 + 0.05 * (age - 53) - 0.1 * (k6 - 11))))
    completer = np.where(rng.uniform(size=n) < completer_prob, "TRUE", "FALSE").astype(object)
    completer[[5, 40]] = "NA"
    age[[3, 11]] = np.nan
    lonely[[20]] = np.nan
    sex = rng.choice(["F", "M"], n, p=[0.6, 0.4]).astype(object)
    sex[[7]] = "NA"
    employment = rng.choice(
        ["employed", "retired", "unemployed", "student"], n, p=[0.4, 0.3, 0.25, 0.05]
    )
    site = rng.choice(["A", "B", "C", "D", "E"], n)
    # Equal margins in a 2 x 2 table give tables of equal probability: a tolerance check.
    half = np.where(np.arange(n) % 2 == 0, "yes", "no")
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "completer": completer,
            "age": age,
            "k6": k6,
            "lonely": lonely,
            "sex": sex,
            "employment": employment,
            "site": site,
            "half": half,
        }
    )


def build_effect_size(rng: np.random.Generator) -> pd.DataFrame:
    n = 40
    waves = ["T1", "T2", "T3"]
    means = [20.0, 16.0, 15.0]
    frames = [
        pd.DataFrame({"wave": w, "y": grid(rng.normal(m, 5.0, n))})
        for w, m in zip(waves, means, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)


def build_all(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Every input table, drawn in a fixed order from one generator seeded with *seed*."""
    rng = np.random.default_rng(seed)
    return {
        "p_values": build_p_values(rng),
        "correlation": build_correlation(rng),
        "wilcoxon": build_wilcoxon(rng),
        "friedman": build_friedman(rng),
        "attrition": build_attrition(rng),
        "effect_size": build_effect_size(rng),
    }


def write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write the tables as the R script reads them: NA for missing, exact decimals."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, na_rep="NA", float_format="%.17g")


def read_table(name: str, folder: Path = OUT) -> pd.DataFrame:
    """Read one input table back (the "set" column as text, NA as NaN)."""
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=True)


def load_reference() -> dict[str, Any]:
    """The stored R results (``other_stats.json``)."""
    return json.loads(REFERENCE_JSON.read_text())


def run_oracle(rscript: str, tables: dict[str, pd.DataFrame], workdir: Path) -> dict[str, Any]:
    """Run ``other_stats.R`` on *tables* (a subset of :func:`build_all`'s) and return its JSON."""
    data = workdir / "other_stats_data"
    write_tables(tables, data)
    out = workdir / "other_stats.json"
    done = subprocess.run(
        [rscript, str(SCRIPT), str(data), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"other_stats.R failed:\n{done.stderr}")
    return json.loads(out.read_text())


def main() -> None:
    write_tables(build_all(SEED), OUT)


if __name__ == "__main__":
    main()
