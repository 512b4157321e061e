"""Hypothesis matrices of lmerTest's Type I and Type III anova, and likelihood-ratio tests.

lmerTest 3.1-3 (``R/anova_contrasts.R``, ``R/contrast_utils.R``) builds them as follows, and
so do we, because the Satterthwaite denominator df of a multi-df F test depends on the basis
of the hypothesis (rows of identity give a different DenDF in the fifth digit):

* Type I (also used for Type III when the model has at most one term): rows of the transpose
  of the unit lower-triangular Doolittle factor of ``X'X`` (entries below 1e-6 zeroed);
* Type III with treatment contrasts: express the full, rank-deficient dummy coding of every
  term (``model.matrix(~ 0 + term)``) in the model's coefficients by least squares, round as
  ``zapsmall``, orthogonalise each term's columns against the columns of the terms containing
  it (SAS containment: same covariates, more factors), higher-order terms first, keep the rows
  named as model coefficients and, per term, the non-zero rows.

The likelihood-ratio test follows lme4's ``anova.merMod``: REML fits are refitted by ML, models
sorted by number of parameters, ``Chisq = 2 max(0, diff(logLik))``.

Validated against lmerTest 3.1-3 ``show_tests(anova(fit))`` and lme4 1.1-31 ``anova(m0, m1)``
(tests/stats/test_anova.py, tests/stats/test_lmer_vs_r.py).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd
from formulaic import Formula, model_matrix

from linkwork.stats.design import Design

__all__ = ["doolittle", "type1_contrasts", "type3_contrasts", "zapsmall"]

FloatArray = npt.NDArray[np.float64]


def zapsmall(x: FloatArray, digits: int = 7) -> FloatArray:
    """R's ``zapsmall``: round to ``digits`` significant digits of the largest entry.

    >>> zapsmall(np.array([1.0, 1e-12, 0.123456789])).tolist()
    [1.0, 0.0, 0.1234568]
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    mx = float(np.nanmax(np.abs(x)))
    places = max(0, digits - math.ceil(math.log10(mx))) if mx > 0 else digits
    return np.round(x, places)


def doolittle(x: FloatArray, eps: float = 1e-6) -> tuple[FloatArray, FloatArray]:
    """Doolittle LU factorisation exactly as lmerTest's ``doolittle()`` (unit-diagonal L).

    >>> L, U = doolittle(np.array([[4.0, 2.0], [2.0, 3.0]]))
    >>> L.tolist(), U.tolist()
    ([[1.0, 0.0], [0.5, 1.0]], [[4.0, 2.0], [0.0, 2.0]])
    """
    n = x.shape[0]
    L = np.eye(n)
    U = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            U[i, j] = x[i, j] - L[i, :i] @ U[:i, j]
        for j in range(i + 1, n):
            v = x[j, i] - L[j, :i] @ U[:i, i]
            L[j, i] = 0.0 if abs(U[i, i]) < eps else v / U[i, i]
    L[np.abs(L) < eps] = 0.0
    U[np.abs(U) < eps] = 0.0
    return L, U


def _xtx(design: Design) -> FloatArray:
    return (design.X * design.counts[:, None]).T @ design.X


def type1_contrasts(design: Design) -> dict[str, FloatArray]:
    """Type I hypothesis matrix of each fixed term (lmerTest's ``get_contrasts_type1``)."""
    p = len(design.x_names)
    Lt = np.ones((1, 1)) if p == 1 else doolittle(_xtx(design))[0].T
    return {term: Lt[list(cols), :] for term, cols in design.term_columns.items()}


def _factor_columns(design: Design, factor: str) -> tuple[FloatArray, list[str]]:
    """Full dummy (or numeric) columns of one factor on the distinct rows, R-named."""
    frame = design.frame
    if factor in design.levels:
        codes = np.asarray(frame[factor].cat.codes, dtype=np.intp)
        levels = design.levels[factor]
        out = np.zeros((len(frame), len(levels)))
        out[np.arange(len(frame)), codes] = 1.0
        return out, [factor + lev for lev in levels]
    mm = model_matrix(Formula(f"0 + {factor}", _ordering="none"), frame, output="numpy")
    return np.asarray(mm, dtype=np.float64).reshape(len(frame), -1)[:, :1], [factor]


def _rdx(design: Design) -> tuple[FloatArray, list[str]]:
    """lmerTest's ``get_rdX``: intercept plus the full dummy coding of every term."""
    cols: list[FloatArray] = []
    names: list[str] = []
    if design.intercept is not None:
        cols.append(np.ones((len(design.frame), 1)))
        names.append("(Intercept)")
    for term, factors in design.term_factors.items():
        del term
        block, block_names = _factor_columns(design, factors[0])
        for factor in factors[1:]:
            nxt, nxt_names = _factor_columns(design, factor)
            # first factor varies fastest, as model.matrix
            block = np.einsum("ua,ub->uba", block, nxt).reshape(len(design.frame), -1)
            block_names = [f"{a}:{b}" for b in nxt_names for a in block_names]
        cols.append(block)
        names.extend(block_names)
    return np.concatenate(cols, axis=1), names


def _containment(design: Design) -> dict[str, list[str]]:
    """For each term, the terms that contain it (lmerTest's ``containment``)."""
    terms = list(design.term_factors)
    variables = {t: set(design.term_factors[t]) for t in terms}
    numerics = {t: {v for v in variables[t] if v not in design.levels} for t in terms}

    def contains(f1: str, f2: str) -> bool:
        return (
            variables[f1] <= variables[f2]
            and len(variables[f2] - variables[f1]) > 0
            and numerics[f1] == numerics[f2]
        )

    return {t: [u for u in terms if contains(t, u)] for t in terms}


def type3_contrasts(design: Design) -> dict[str, FloatArray]:
    """Type III hypothesis matrix of each fixed term (lmerTest's ``get_contrasts_type3``).

    Examples
    --------
    >>> import pandas as pd
    >>> from linkwork.stats.formula import parse_formula
    >>> from linkwork.stats.design import build_design
    >>> df = pd.DataFrame({"y": range(8), "w": list("abab") * 2, "g": list("xxyy") * 2,
    ...                    "id": [1, 1, 2, 2, 3, 3, 4, 4]})
    >>> d = build_design(parse_formula("y ~ w * g + (1 | id)"), df)
    >>> type3_contrasts(d)["w"].tolist()
    [[0.0, 1.0, 0.0, 0.5]]
    """
    terms = list(design.term_columns)
    p = len(design.x_names)
    if p <= 1 or len(terms) <= 1:
        return type1_contrasts(design)
    X = design.X
    rdx, rd_names = _rdx(design)
    # ginv(X) rdX by least squares on the count-weighted distinct rows (normal equations with
    # column scaling: X has full column rank, and rdX lies in its column space)
    Xw = X * design.counts[:, None]
    scale = 1.0 / np.sqrt(np.einsum("ua,ua->a", Xw, X))
    gram = (Xw * scale).T @ (X * scale)
    B = scale[:, None] * np.linalg.solve(gram, (Xw * scale).T @ rdx)
    L = zapsmall(np.asarray(B.T, dtype=np.float64))
    contained_in = _containment(design)
    order = sorted(terms, key=lambda t: len(design.term_factors[t]), reverse=True)
    for term in order:
        containers = contained_in[term]
        if not containers:
            continue
        tcols = list(design.term_columns[term])
        ccols = [c for u in containers for c in design.term_columns[u]]
        Xc = L[:, ccols]
        Y = L[:, tcols]
        coef = np.linalg.lstsq(Xc, Y, rcond=None)[0]
        L[:, tcols] = zapsmall(Y - Xc @ coef)
    index = {name: i for i, name in enumerate(rd_names)}
    L = L[[index[name] for name in design.x_names], :]
    out: dict[str, FloatArray] = {}
    for term in terms:
        Lt = L[:, list(design.term_columns[term])].T
        out[term] = Lt[np.sum(np.abs(Lt), axis=1) > 1e-8, :] + 0.0  # no negative zeros
    return out


def lrt_table(
    labels: list[str], npar: list[int], loglik: list[float], nobs: list[int]
) -> pd.DataFrame:
    """lme4's ``anova(m0, m1, ...)`` table from ML log-likelihoods (models sorted by npar)."""
    from linkwork.stats._distributions import chi2_sf

    order = sorted(range(len(labels)), key=lambda i: npar[i])
    ll = np.array([loglik[i] for i in order])
    k = np.array([npar[i] for i in order], dtype=np.float64)
    n = np.array([nobs[i] for i in order], dtype=np.float64)
    chisq = np.concatenate([[np.nan], 2.0 * np.maximum(0.0, np.diff(ll))])
    df = np.concatenate([[np.nan], np.diff(k)])
    with np.errstate(invalid="ignore"):
        p = np.where(df == 0, np.nan, chi2_sf(chisq, df))
    return pd.DataFrame(
        {
            "model": [labels[i] for i in order],
            "npar": k.astype(int),
            "aic": -2.0 * ll + 2.0 * k,
            "bic": -2.0 * ll + k * np.log(n),
            "loglik": ll,
            "deviance": -2.0 * ll,
            "chisq": chisq,
            "df": df,
            "p_value": p,
        }
    )
