"""Satterthwaite degrees of freedom for contrasts of fixed effects, as lmerTest computes them.

Following Kuznetsova, Brockhoff & Christensen (2017, JSS 82(13)) and lmerTest 3.1-3's
``as_lmerModLT``/``contest1D``/``contestMD``:

* the variance parameters are ``varpar = (theta, sigma)``; ``cov(varpar) = 2 H^+`` with ``H``
  the Hessian of the *non-profiled* deviance ``D(theta, sigma)`` (REML:
  ``log|H| + log|A| + r2/sigma^2 + (N - p) log(2 pi sigma^2)``), ``H^+`` the Moore-Penrose
  inverse over eigenvalues above 1e-8;
* ``C(varpar) = sigma^2 A^-1`` is the covariance of the fixed effects, ``J_k`` its derivative
  in ``varpar_k``;
* one contrast ``l``: ``df = 2 (l'Cl)^2 / (g' cov(varpar) g)`` with ``g_k = l' J_k l``;
* several (``contestMD``): eigen-decompose ``L C L'``, a df per direction, combined as
  ``E = sum nu/(nu - 2)``, ``df = 2E/(E - q)`` (2 if any nu <= 2; the mean when all nu agree
  to 1e-8).

lmerTest differentiates numerically (numDeriv, Richardson); here ``J_k`` is analytic and the
Hessian a Richardson-extrapolated central difference of the analytic gradient.

Validated against lmerTest 3.1-3 ``summary()``/``anova()``/``contest()`` (relative 1e-4 on df,
see tests/stats/test_lmer_vs_r.py) and on hand-made inputs (tests/stats/test_satterthwaite.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkwork.stats._distributions import f_sf, t_sf

__all__ = ["FTest", "Satterthwaite", "TTest", "fstat_ddf"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TTest:
    """A one-degree-of-freedom contrast: estimate, SE, Satterthwaite df, t and p."""

    estimate: float
    std_error: float
    df: float
    statistic: float
    p_value: float


@dataclass(frozen=True, slots=True)
class FTest:
    """A multi-degree-of-freedom F test as a row of lmerTest's anova table."""

    sum_sq: float
    mean_sq: float
    num_df: int
    den_df: float
    F: float
    p_value: float


def fstat_ddf(nu: FloatArray, tol: float = 1e-8) -> float:
    """Denominator df of an F made of t statistics with df *nu* (lmerTest's ``get_Fstat_ddf``).

    >>> fstat_ddf(np.array([10.0, 10.0]))
    10.0
    >>> round(fstat_ddf(np.array([10.0, 20.0])), 6)
    13.076923
    """
    nu = np.asarray(nu, dtype=np.float64)
    if nu.shape[0] == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    E = float(np.sum(nu / (nu - 2.0)))
    return 2.0 * E / (E - nu.shape[0])


@dataclass(frozen=True, slots=True)
class Satterthwaite:
    """Everything a Satterthwaite test needs, for the fixed effects on the original scale.

    Attributes
    ----------
    beta
        (p,) fixed effects.
    vcov
        (p, p) their covariance ``sigma^2 A^-1``.
    vcov_varpar
        (k + 1, k + 1) covariance of ``(theta, sigma)``.
    jacobian
        (k + 1, p, p) derivative of ``vcov`` in each variance parameter.
    sigma
        Residual standard deviation.
    """

    beta: FloatArray
    vcov: FloatArray
    vcov_varpar: FloatArray
    jacobian: FloatArray
    sigma: float

    def test1(self, L: npt.ArrayLike) -> TTest:
        """t test of ``l'beta = 0`` with Satterthwaite df (lmerTest's ``contest1D``)."""
        row = np.asarray(L, dtype=np.float64).reshape(-1)
        estimate = float(row @ self.beta)
        var = float(row @ self.vcov @ row)
        grad = np.einsum("a,kab,b->k", row, self.jacobian, row)
        denom = float(grad @ self.vcov_varpar @ grad)
        df = 2.0 * var * var / denom if denom > 0 else math.inf
        se = math.sqrt(var) if var > 0 else math.nan
        t = estimate / se
        p = float(2.0 * t_sf(abs(t), df))
        return TTest(estimate, se, df, t, p)

    def test(self, L: npt.ArrayLike) -> FTest:
        """F test of ``L beta = 0`` with Satterthwaite df (lmerTest's ``contestMD``)."""
        L = np.atleast_2d(np.asarray(L, dtype=np.float64))
        if L.shape[0] == 1:
            res = self.test1(L[0])
            return self._ftable(res.statistic**2, 1, res.df)
        VL = L @ self.vcov @ L.T
        d, P = np.linalg.eigh(VL)
        order = np.argsort(d)[::-1]
        d, P = d[order], P[:, order]
        tol = max(math.sqrt(np.finfo(float).eps) * d[0], 0.0)
        pos = d > tol
        q = int(pos.sum())
        PtL = (P.T @ L)[:q]
        if q == 1:
            res = self.test1(PtL[0])
            return self._ftable(res.statistic**2, 1, res.df)
        t2 = (PtL @ self.beta) ** 2 / d[:q]
        F = float(np.sum(t2) / q)
        grads = np.einsum("ma,kab,mb->mk", PtL, self.jacobian, PtL)
        nu = 2.0 * d[:q] ** 2 / np.einsum("mk,kl,ml->m", grads, self.vcov_varpar, grads)
        return self._ftable(F, q, fstat_ddf(nu))

    def _ftable(self, F: float, q: int, ddf: float) -> FTest:
        ms = F * self.sigma**2
        p = float(f_sf(F, q, ddf))
        return FTest(ms * q, ms, q, ddf, F, p)
