"""Contract tables computed from a simulated cohort (see :mod:`tests.report._cohort`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# name -> (title, higher is better, mean, sd, low, high, standardised change at T2 and T3)
OUTCOMES: dict[str, tuple[str, bool, float, float, float, float, tuple[float, float]]] = {
    "ons_loneliness": ("Loneliness (ONS single item)", False, 3.6, 1.0, 1, 5, (-0.9, -1.1)),
    "uls8": ("Loneliness (ULS-8)", False, 22.0, 4.5, 8, 32, (-1.0, -1.2)),
    "k6": ("Psychological distress (K6)", False, 11.0, 5.0, 0, 24, (-0.4, -0.8)),
    "wemwbs": ("Mental wellbeing (WEMWBS)", True, 41.0, 8.0, 14, 70, (0.1, 0.1)),
    "srh": ("Self-rated health (SF-1)", True, 2.6, 0.9, 1, 5, (0.3, 0.5)),
    "trust": ("Generalised trust", True, 5.0, 2.2, 0, 10, (0.05, 0.05)),
}
PREDICTORS = ("lw_relationship", "facilitator_belonging")


def _holm(p):
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def _descriptives(data, waves):
    rows = []
    for name in OUTCOMES:
        for wave in waves:
            v = data.loc[data["wave"] == wave, name].dropna()
            rows.append(
                dict(
                    outcome=name,
                    wave=wave,
                    n=len(v),
                    mean=v.mean(),
                    sd=v.std(),
                    median=v.median(),
                    q1=v.quantile(0.25),
                    q3=v.quantile(0.75),
                )
            )
    return pd.DataFrame(rows)


def _model_tables(data, waves, model, arm):
    """Observed-means stand-ins for the models, anova, emmeans and contrasts tables."""
    emm, con, coef, anova = [], [], [], []
    by = ["arm"] if arm else []
    for name in OUTCOMES:
        sd1 = data.loc[data["wave"] == waves[0], name].std()
        for level, part in data.groupby(by) if by else [((None,), data)]:
            means = {}
            for wave in waves:
                v = part.loc[part["wave"] == wave, name].dropna()
                se = v.std() / np.sqrt(len(v))
                df = len(v) - 1.0 + 0.37
                half = stats.t.ppf(0.975, df) * se
                means[wave] = (v.mean(), se)
                emm.append(
                    dict(
                        outcome=name,
                        model=model,
                        wave=wave,
                        **({"arm": level[0]} if arm else {}),
                        emmean=v.mean(),
                        std_error=se,
                        df=df,
                        conf_low=v.mean() - half,
                        conf_high=v.mean() + half,
                    )
                )
            pairs = [(b, a) for i, a in enumerate(waves) for b in waves[i + 1 :]]
            rows = []
            for later, earlier in pairs:
                est = means[later][0] - means[earlier][0]
                se = float(np.hypot(means[later][1], means[earlier][1]))
                df = 90.0 + 0.123 * len(rows)
                t = est / se
                rows.append(
                    dict(
                        outcome=name,
                        model=model,
                        **({"arm": level[0]} if arm else {}),
                        contrast=f"{later} - {earlier}",
                        estimate=est,
                        std_error=se,
                        df=df,
                        statistic=t,
                        p_value=2 * stats.t.sf(abs(t), df),
                        d=est / sd1,
                        d_conf_low=(est - 1.96 * se) / sd1,
                        d_conf_high=(est + 1.96 * se) / sd1,
                    )
                )
            for row, adj in zip(rows, _holm([r["p_value"] for r in rows]), strict=True):
                row["p_adjusted"] = adj
            con.extend(rows)
        base = data.loc[data["wave"] == waves[0], name]
        terms = [("(Intercept)", base.mean(), base.std() / 8)]
        terms += [
            (f"wave{w}", r["estimate"], r["std_error"])
            for w, r in zip(
                waves[1:],
                [
                    c
                    for c in con
                    if c["outcome"] == name and c["contrast"].endswith(f"- {waves[0]}")
                ],
                strict=False,
            )
        ]
        if arm:
            terms += [
                ("armusual care", 0.2, 0.5),
                *((f"wave{w}:armusual care", 0.4, 0.6) for w in waves[1:]),
            ]
        for term, est, se in terms:
            df = 120.5
            t = est / se
            half = stats.t.ppf(0.975, df) * se
            coef.append(
                dict(
                    outcome=name,
                    model=model,
                    term=term,
                    estimate=est,
                    std_error=se,
                    df=df,
                    statistic=t,
                    p_value=2 * stats.t.sf(abs(t), df),
                    conf_low=est - half,
                    conf_high=est + half,
                )
            )
        tests = [("wave", len(waves) - 1)] + (
            [("arm", 1), ("wave:arm", len(waves) - 1)] if arm else []
        )
        for term, num in tests:
            sig = [c for c in con if c["outcome"] == name and c["model"] == model]
            f = float(np.mean([c["statistic"] ** 2 for c in sig])) if term == "wave" else 1.3
            anova.append(
                dict(
                    outcome=name,
                    model=model,
                    term=term,
                    num_df=float(num),
                    den_df=87.2961,
                    F=f,
                    p_value=stats.f.sf(f, num, 87.2961),
                )
            )
    return [pd.DataFrame(x) for x in (coef, anova, emm, con)]


def _correlations(data, waves):
    last, first = waves[-1], waves[0]
    wide = data.pivot_table(
        index="participant_id", columns="wave", observed=False, values=[*OUTCOMES, *PREDICTORS]
    )
    rows = []
    for predictor in PREDICTORS:
        for pwave in waves[:2]:
            for name in OUTCOMES:
                for target in ("last wave", "change"):
                    y = wide[(name, last)] - (wide[(name, first)] if target == "change" else 0)
                    frame = pd.concat([wide[(predictor, pwave)], y], axis=1).dropna()
                    x, yv = frame.iloc[:, 0], frame.iloc[:, 1]
                    for method, fn in (("pearson", stats.pearsonr), ("spearman", stats.spearmanr)):
                        r, p = fn(x, yv)
                        z, se = np.arctanh(r), 1 / np.sqrt(len(x) - 3)
                        rows.append(
                            dict(
                                predictor=predictor,
                                predictor_wave=pwave,
                                outcome=name,
                                target=target,
                                method=method,
                                n=len(x),
                                r=float(r),
                                conf_low=np.tanh(z - 1.96 * se),
                                conf_high=np.tanh(z + 1.96 * se),
                                p_value=float(p),
                            )
                        )
    table = pd.DataFrame(rows)
    for method in ("pearson", "spearman"):
        mask = table["method"] == method
        table.loc[mask, "p_holm"] = _holm(table.loc[mask, "p_value"])
        table.loc[mask, "p_fdr"] = stats.false_discovery_control(table.loc[mask, "p_value"])
    return table


def _attrition(data, waves):
    base = data[data["wave"] == waves[0]].set_index("participant_id")
    done = set(data.loc[data["wave"] == waves[-1], "participant_id"])
    is_c = base.index.isin(done)
    rows = []
    for var in ("age", *OUTCOMES):
        a, b = base.loc[is_c, var].dropna(), base.loc[~is_c, var].dropna()
        t = stats.ttest_ind(a, b, equal_var=False)
        rows.append(
            dict(
                variable=var,
                level="",
                n_completers=len(a),
                n_noncompleters=len(b),
                mean_completers=a.mean(),
                sd_completers=a.std(),
                mean_noncompleters=b.mean(),
                sd_noncompleters=b.std(),
                smd=(a.mean() - b.mean()) / np.sqrt((a.var() + b.var()) / 2),
                test="Welch t",
                statistic=t.statistic,
                p_value=t.pvalue,
            )
        )
    table = pd.crosstab(base["gender"], is_c)
    chi = stats.chi2_contingency(table)
    for level in table.index:
        pa = table.loc[level, True] / table[True].sum()
        pb = table.loc[level, False] / table[False].sum()
        pooled = np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / 2)
        rows.append(
            dict(
                variable="gender",
                level=level,
                n_completers=int(table[True].sum()),
                n_noncompleters=int(table[False].sum()),
                mean_completers=pa,
                sd_completers=np.nan,
                mean_noncompleters=pb,
                sd_noncompleters=np.nan,
                smd=(pa - pb) / pooled,
                test="chi-squared",
                statistic=chi.statistic,
                p_value=chi.pvalue,
            )
        )
    return pd.DataFrame(rows)


def _groups(data, waves):
    rows = []
    for wave in waves:
        v = data.loc[data["wave"] == wave, "groups"]
        rows.append(
            dict(
                kind="summary",
                wave=wave,
                n=len(v),
                median=v.median(),
                q1=v.quantile(0.25),
                q3=v.quantile(0.75),
            )
        )
    wide = data.pivot_table(index="participant_id", columns="wave", values="groups", observed=False)
    if len(waves) >= 3:
        complete = wide.dropna()
        fr = stats.friedmanchisquare(*(complete[w] for w in waves))
        rows.append(
            dict(
                kind="friedman",
                n=len(complete),
                statistic=fr.statistic,
                df=len(waves) - 1,
                p_value=fr.pvalue,
            )
        )
    pairs = [(b, a) for i, a in enumerate(waves) for b in waves[i + 1 :]]
    ws = []
    for later, earlier in pairs:
        pair = wide[[earlier, later]].dropna()
        res = stats.wilcoxon(pair[later], pair[earlier], method="approx")
        z = stats.norm.isf(res.pvalue / 2)
        ws.append(
            dict(
                kind="wilcoxon",
                contrast=f"{later} - {earlier}",
                n=len(pair),
                statistic=res.statistic,
                p_value=res.pvalue,
                r=z / np.sqrt(len(pair)),
            )
        )
    for row, adj in zip(ws, _holm([w["p_value"] for w in ws]), strict=True):
        row["p_adjusted"] = adj
    columns = [
        "kind",
        "wave",
        "contrast",
        "n",
        "median",
        "q1",
        "q3",
        "statistic",
        "df",
        "p_value",
        "p_adjusted",
        "r",
    ]
    return pd.DataFrame(rows + ws).reindex(columns=columns)


def _sites(data, waves, threshold=7, base=5):
    counts = data.groupby(["site", "wave"], observed=False).size().reset_index(name="n")
    counts["suppressed"] = (counts["n"] >= 1) & (counts["n"] <= threshold)
    counts["n"] = (np.round(counts["n"] / base) * base).astype(float)
    counts.loc[counts["suppressed"], "n"] = np.nan
    return counts[["site", "wave", "n", "suppressed"]]


def _trajectories(data, waves):
    counts = data.groupby("participant_id")["wave"].count()
    keep = counts[counts >= 2].index
    anon = {pid: k + 1 for k, pid in enumerate(np.random.default_rng(5).permutation(keep))}
    rows = [
        dict(outcome=name, trajectory=anon[r.participant_id], wave=r.wave, value=getattr(r, name))
        for name in OUTCOMES
        for r in data[data["participant_id"].isin(keep)].itertuples()
        if not np.isnan(getattr(r, name))
    ]
    return pd.DataFrame(rows, columns=["outcome", "trajectory", "wave", "value"])
