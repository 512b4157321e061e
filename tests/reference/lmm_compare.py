"""Tolerances, the mismatch collector and the stored reference for the lme4 comparisons.

:class:`Comparison` collects *all* differences found for one design (quantity, term, linkwork's
value, R's value, the difference and the tolerance) and fails once with a table of them. The
checks themselves are in ``lmm_checks.py``; both test files (``tests/stats/test_lmer_vs_r.py``,
``tests/stats/test_lmer_live_r.py``) use them.

Tolerances (``|ours - R| <= rtol |R| + atol``; the numbers quoted in docs/statistics.md):

* fixed effects, standard errors, vcov, t statistics, log-likelihood, AIC, BIC, deviance,
  REML criterion, emmeans estimates and SEs: relative 1e-6 (plus 1e-6 of the estimate's SE
  as an absolute floor for estimates near zero);
* the REML / ML criterion against lme4's deviance function at its tight optimum: relative 1e-9;
  at the same theta (lme4's default and tight optima and two points away from them):
  relative 1e-10;
* variance components, theta, sigma, conditional modes, fitted values: relative 1e-5 against
  the tight optimum; against lme4's default fit the tolerance is widened, for these quantities
  only, by three times the recorded gap between lme4's default and tight fits (lme4's
  optimiser stops up to ~4e-7 relative from the optimum for random intercepts and ~3e-4 for
  slopes and nested models); absolute floors: 1e-3 of the total variance times the relative
  tolerance for a variance (a singular component is 0; SDs are compared squared), the product
  of the two SDs for a covariance, 1 for a correlation, the largest theta for theta;
* Satterthwaite df (coefficients, anova, emmeans, contrasts): relative 1e-4;
* F, sums of squares: relative 1e-4; p values: relative 1e-4 or absolute 1e-10;
* Tukey-adjusted p: relative 1e-4 or absolute 1e-6 (R's ptukey is accurate to ~1e-6);
* confidence limits: relative 1e-6 plus 1e-4 of the SE (qt at a df known to 1e-4).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CRITERION",
    "DF",
    "FIXED",
    "OPTIMISER_SLACK",
    "P_TUKEY",
    "REFERENCE",
    "SAME_THETA",
    "STAT",
    "VARCOMP",
    "Comparison",
    "P",
    "Tol",
    "data_md5",
    "default_slack",
    "load_manifest",
    "load_result",
    "optimiser_gap",
    "read_design_data",
]

REFERENCE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Tol:
    """A tolerance: ``|ours - R| <= rtol * |R| + atol``."""

    rtol: float
    atol: float = 0.0

    def widen(self, rtol: float) -> Tol:
        return Tol(max(self.rtol, rtol), self.atol)


FIXED = 1e-6
VARCOMP = 1e-5
CRITERION = 1e-9
SAME_THETA = 1e-10
DF = 1e-4
STAT = 1e-4
P = Tol(1e-4, 1e-10)
P_TUKEY = Tol(1e-4, 1e-6)
OPTIMISER_SLACK = 3.0


@dataclass(slots=True)
class Comparison:
    """Collects mismatches for one design; :meth:`check` fails with all of them at once."""

    design: str
    context: str = ""
    rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    n_checked: int = 0

    def close(self, quantity: str, term: Any, ours: Any, theirs: Any, tol: Tol) -> None:
        """Compare two numbers (None / NaN must match None / NaN)."""
        self.n_checked += 1
        a = _number(ours)
        b = _number(theirs)
        if a is None or b is None or math.isnan(a) or math.isnan(b):
            a_missing = a is None or math.isnan(a)
            b_missing = b is None or math.isnan(b)
            if a_missing != b_missing:
                self._add(quantity, term, ours, theirs, "missing on one side", tol)
            return
        if math.isinf(a) or math.isinf(b):
            if a != b:
                self._add(quantity, term, a, b, "inf", tol)
            return
        diff = abs(a - b)
        if not diff <= tol.rtol * abs(b) + tol.atol:
            rel = diff / abs(b) if b != 0 else math.inf
            self._add(quantity, term, a, b, f"abs {diff:.3g} rel {rel:.3g}", tol)

    def close_all(
        self,
        quantity: str,
        terms: Sequence[Any],
        ours: Iterable[Any],
        theirs: Iterable[Any],
        tol: Tol,
        atol: Sequence[float] | float = 0.0,
    ) -> None:
        """Compare two equally long sequences; *atol* adds a per-element absolute floor."""
        ours_list, theirs_list = list(ours), list(theirs)
        if len(ours_list) != len(theirs_list):
            self.equal(f"{quantity} length", "", len(ours_list), len(theirs_list))
            return
        floors = [float(atol)] * len(ours_list) if isinstance(atol, float | int) else list(atol)
        for i, (a, b) in enumerate(zip(ours_list, theirs_list, strict=True)):
            this = Tol(tol.rtol, tol.atol + floors[i])
            self.close(quantity, terms[i] if i < len(terms) else i, a, b, this)

    def columns(
        self,
        what: str,
        terms: Sequence[Any],
        ours: pd.DataFrame,
        theirs: dict[str, Any],
        spec: dict[str, tuple[Tol, Sequence[float] | float]],
    ) -> None:
        """:meth:`close_all` for several columns of a table; a missing column is a mismatch."""
        for column, (tol, atol) in spec.items():
            values = list(ours[column]) if column in ours.columns else [None] * len(ours)
            self.close_all(f"{what} {column}", terms, values, theirs[column], tol, atol)

    def equal(self, quantity: str, term: Any, ours: Any, theirs: Any) -> None:
        """Exact equality (names, labels, counts, flags)."""
        self.n_checked += 1
        if _plain(ours) != _plain(theirs):
            self._add(quantity, term, ours, theirs, "not equal", None)

    def _add(self, quantity: str, term: Any, ours: Any, theirs: Any, diff: str, tol: Any) -> None:
        tol_text = "exact" if tol is None else f"rtol {tol.rtol:g} atol {tol.atol:.3g}"
        self.rows.append((quantity, str(term), _show(ours), _show(theirs), diff, tol_text))

    def check(self) -> None:
        """Raise AssertionError listing every mismatch, if any."""
        if not self.rows:
            return
        head = ("quantity", "term", "linkwork", "R", "difference", "tolerance")
        rows = [head, *self.rows]
        widths = [min(60, max(len(r[i]) for r in rows)) for i in range(len(head))]
        lines = ["  ".join(c[:60].ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        where = f"{self.design}{' ' + self.context if self.context else ''}"
        raise AssertionError(
            f"{where}: {len(self.rows)} of {self.n_checked} checks differ from R\n"
            + "\n".join(lines)
        )


def _number(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool | np.bool_):
        return float(x)
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _plain(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray | pd.Series | pd.Index | tuple):
        return [_plain(v) for v in list(x)]
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, float) and math.isnan(x):
        return None
    if x is pd.NA:
        return None
    return x


def _show(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):.17g}"
    return str(_plain(x))


# ---------------------------------------------------------------------------------------------
# Reading the stored reference


def load_manifest(path: Path = REFERENCE / "designs.json") -> dict[str, dict[str, Any]]:
    designs = json.loads(path.read_text(encoding="utf-8"))["designs"]
    return {d["name"]: d for d in designs}


def load_result(name: str, folder: Path = REFERENCE / "results") -> dict[str, Any]:
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


def read_design_data(entry: dict[str, Any], base: Path = REFERENCE) -> pd.DataFrame:
    """The design's CSV as a user would read it; explicit level orders become Categoricals."""
    frame = pd.read_csv(base / entry["data"])
    for column, levels in entry.get("levels", {}).items():
        frame[column] = pd.Categorical(frame[column], categories=levels)
    return frame


def data_md5(frame: pd.DataFrame) -> str:
    """MD5 of the values as parsed, in the format of lmm_functions.R's data_md5()."""
    lines: list[str] = []
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if pd.api.types.is_numeric_dtype(values):
            lines += ["NA" if pd.isna(v) else f"{float(v):.17g}" for v in values]
        else:
            lines += ["NA" if pd.isna(v) else str(v) for v in values]
    return hashlib.md5(("\n".join(lines) + "\n").encode()).hexdigest()


def optimiser_gap(record: dict[str, Any], path: Sequence[str], index: int | None = None) -> float:
    """Relative gap between lme4's default and tight fits for one stored quantity."""

    def get(fit: dict[str, Any]) -> Any:
        value: Any = fit
        for key in path:
            value = value[key]
        return value if index is None else value[index]

    a = np.asarray(get(record["default"]), dtype=float)
    b = np.asarray(get(record["tight"]), dtype=float)
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


def default_slack(result: dict[str, Any]) -> float:
    """Optimiser slack for comparing with lme4's default fit: 3 x its gap from the optimum."""
    gaps = [
        optimiser_gap(result, ["theta", "values"]),
        optimiser_gap(result, ["sigma"]),
        optimiser_gap(result, ["varcorr", "vcov"]),
        optimiser_gap(result, ["varcorr", "sdcor"]),
    ]
    return OPTIMISER_SLACK * max(gaps)
