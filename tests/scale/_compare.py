"""Shared by the engine tests: a simulated cohort, and result equality at 1e-8 relative."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkwork.stats.result import MixedModelResult

RTOL = 1e-8


def cohort(n: int, seed: int, *, drop: float = 0.2, arm: bool = True) -> pd.DataFrame:
    """Participants x 3 waves, random intercepts, drop-out after baseline, some missing values."""
    rng = np.random.default_rng(seed)
    wave = np.tile(["T1", "T2", "T3"], n)
    df = pd.DataFrame({"participant_id": np.repeat(np.arange(1, n + 1) * 7, 3), "wave": wave})
    df["arm"] = np.repeat(rng.choice(["control", "intervention"], n), 3)
    df["sex"] = np.repeat(rng.choice(["F", "M"], n), 3)
    df["age_band"] = np.repeat(rng.integers(1, 4, n), 3)
    u = np.repeat(rng.normal(0.0, 5.0, n), 3)
    effect = 2.5 * ((wave == "T3") & (df["arm"] == "intervention")) - 1.0 * (wave == "T2")
    df["score"] = 50.0 + u + effect + 0.7 * df["age_band"] + rng.normal(0.0, 4.0, 3 * n)
    keep = (rng.random(3 * n) > drop) | (wave == "T1")
    df = df[keep].reset_index(drop=True)
    df.loc[rng.choice(len(df), 7, replace=False), "score"] = np.nan
    if arm:
        df["arm"] = df["arm"].astype(object)
        df.loc[rng.choice(len(df), 3, replace=False), "arm"] = None
    return df


def close(a: object, b: object, what: str, atol: float = 0.0) -> None:
    np.testing.assert_allclose(
        np.asarray(b, dtype=np.float64),
        np.asarray(a, dtype=np.float64),
        rtol=RTOL,
        atol=atol,
        err_msg=what,
    )


def same(mem: MixedModelResult, db: MixedModelResult, factors: list[str]) -> None:
    """Every reported number equal to 1e-8 relative; counts exactly."""
    assert list(db.fixef.index) == list(mem.fixef.index)
    assert (db.nobs, db.ngroups, db.n_excluded) == (mem.nobs, mem.ngroups, mem.n_excluded)
    assert db.excluded == mem.excluded
    close(mem.fixef, db.fixef, "fixef")
    close(mem.vcov, db.vcov, "vcov")
    close(mem.theta, db.theta, "theta")
    close(mem.varcorr["vcov"], db.varcorr["vcov"], "variance components")
    for name in ("sigma", "loglik", "aic", "bic", "deviance", "reml_criterion"):
        close(getattr(mem, name), getattr(db, name), name)
    tm, td = mem.tidy(), db.tidy()
    for col in ("estimate", "std_error", "df", "statistic", "p_value"):
        close(tm[col], td[col], f"tidy {col}")
    am, ad = mem.anova(), db.anova()
    assert list(ad["term"]) == list(am["term"])
    for col in ("num_df", "den_df", "F", "p_value", "sum_sq"):
        close(am[col], ad[col], f"anova {col}")
    for spec in factors:
        em, ed = mem.emmeans(spec), db.emmeans(spec)
        assert ed[spec].astype(str).tolist() == em[spec].astype(str).tolist()
        for col in ("emmean", "std_error", "df"):
            close(em[col], ed[col], f"emmeans({spec}) {col}")
        cm, cd = mem.contrasts(spec), db.contrasts(spec)
        assert list(cd["contrast"]) == list(cm["contrast"])
        for col in ("estimate", "std_error", "df", "statistic", "p_value"):
            close(cm[col], cd[col], f"contrasts({spec}) {col}")
        # Tukey-adjusted p: a numerical integral (ptukey) accurate to ~1e-13 absolute, so
        # p-values below ~1e-5 cannot agree to 1e-8 *relative* even for identical inputs
        close(cm["p_adjusted"], cd["p_adjusted"], f"contrasts({spec}) p_adjusted", atol=1e-12)
