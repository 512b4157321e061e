"""Model frame and design matrices of an lme4 formula, as R builds them.

* Rows with a missing value in any used column are dropped and counted per column
  (R's ``na.omit``), never silently.
* Character, boolean and categorical columns are factors with R's level order
  (:mod:`linkwork.stats.factors`); treatment contrasts, whatever the ordering.
* The fixed-effect matrix is built by formulaic on the *distinct* rows of the model frame
  (three rows for ``y ~ wave``) and observations refer to them by an integer code, so its cost
  does not grow with N when all fixed variables are categorical.
* Column names are R's ``model.matrix`` names (``(Intercept)``, ``waveT2``, ``waveT2:armB``).
* Grouping factors are :class:`~linkwork.stats.factors.GroupingFactor` codes.

Validated against R 4.2.2 ``model.matrix``/``terms`` and lme4 1.1-31 ``ranef``/``ngrps``
(tests/stats/test_design.py and the R comparison tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from formulaic import Formula, ModelSpec, model_matrix

from linkwork.errors import ModelError
from linkwork.stats.factors import (
    GroupingFactor,
    Levels,
    compact,
    factorize,
    grouping_factor,
    is_factor,
    r_label,
)
from linkwork.stats.formula import FixedTerm, LmerFormula, RandomTerm
from linkwork.stats.patterns import row_patterns

__all__ = ["Design", "RandomBlock", "build_design"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class RandomBlock:
    """One random-effect term: its grouping factor, column names and columns in Z."""

    group: str
    names: tuple[str, ...]
    columns: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Design:
    """Everything about the data the engine needs; see :func:`build_design`."""

    formula: LmerFormula
    nobs: int
    n_rows: int
    excluded: dict[str, int]
    n_excluded: int
    y: FloatArray
    weights: FloatArray | None
    row_code: npt.NDArray[np.integer]
    counts: FloatArray
    frame: pd.DataFrame = field(repr=False)
    X: FloatArray = field(repr=False)
    x_names: tuple[str, ...]
    term_columns: dict[str, tuple[int, ...]]
    term_factors: dict[str, tuple[str, ...]]
    model_spec: ModelSpec = field(repr=False)
    levels: dict[str, list[str]]
    numeric: tuple[str, ...]
    Z: FloatArray = field(repr=False)
    blocks: tuple[RandomBlock, ...]
    factors: dict[str, GroupingFactor] = field(repr=False)

    @property
    def intercept(self) -> int | None:
        """Index of the intercept column of X, if any."""
        return self.x_names.index("(Intercept)") if "(Intercept)" in self.x_names else None


def _mostly_distinct(col: npt.NDArray[Any]) -> bool:
    """Whether a column looks continuous: most of an evenly spaced sample of it is distinct."""
    if col.dtype.kind != "f" or col.shape[0] < 20_000:
        return False
    sample = col[:: col.shape[0] // 2000][:2000]
    return len(np.unique(sample)) > 1000


def _variables(rhs: str) -> set[str]:
    return {str(v) for v in Formula(rhs).required_variables}


def _r_names(spec: ModelSpec, levels: dict[str, list[str]]) -> list[str]:
    """R's model.matrix column names for formulaic's columns."""
    names: list[str] = []
    for struct in spec.structure:
        factors = [str(f) for f in struct.term.factors]
        for column in struct.columns:
            if column == "Intercept":
                names.append("(Intercept)")
                continue
            names.append(_r_name(column, factors, levels))
    return names


def _r_name(column: str, factors: list[str], levels: dict[str, list[str]]) -> str:
    pos = 0
    parts: list[str] = []
    for i, factor in enumerate(factors):
        if i:
            if column[pos : pos + 1] != ":":
                return column
            pos += 1
        if factor in levels and column.startswith(factor + "[", pos):
            start = pos + len(factor) + 1
            match = None
            for level in sorted(levels[factor], key=len, reverse=True):
                for prefix in ("T.", ""):
                    token = prefix + level + "]"
                    if column.startswith(token, start):
                        end = start + len(token)
                        if end == len(column) or column[end] == ":":
                            match = (level, end)
                            break
                if match:
                    break
            if match is None:
                return column
            parts.append(factor + match[0])
            pos = match[1]
        elif column.startswith(factor, pos):
            parts.append(factor)
            pos += len(factor)
        else:
            return column
    return ":".join(parts) if pos == len(column) else column


#: Above this many distinct design rows the aliasing check uses the Gram matrix, not a QR.
ALIAS_QR_MAX_ROWS = 200_000


def _aliased(X: FloatArray, counts: FloatArray) -> list[int]:
    """Columns that are linear combinations of earlier columns (as R's pivoted QR drops).

    Column j is aliased when the diagonal of the Householder QR factor is below 1e-7 of the
    column's norm (R's ``qr`` tolerance) on the count-weighted distinct rows.
    """
    p = X.shape[1]
    if p == 0:
        return []
    if X.shape[0] <= ALIAS_QR_MAX_ROWS:
        W = X * np.sqrt(counts)[:, None]
        norms = np.linalg.norm(W, axis=0)
        R = np.asarray(np.linalg.qr(W, mode="r"))
        diag = np.zeros(p)  # with fewer distinct rows than columns the rest are aliased
        diag[: min(R.shape)] = np.abs(np.diag(R))
        return [j for j in range(p) if norms[j] == 0.0 or diag[j] <= 1e-7 * norms[j]]
    # Many distinct rows: the same test on the Gram matrix (R'R = X'WX), columns scaled.
    gram = (X * counts[:, None]).T @ X
    d = np.sqrt(np.diag(gram))
    out: list[int] = []
    kept: list[int] = []
    for j in range(p):
        if d[j] == 0.0:
            out.append(j)
            continue
        resid = 1.0
        if kept:
            g = gram[np.ix_(kept, kept)] / np.outer(d[kept], d[kept])
            c = gram[kept, j] / (d[kept] * d[j])
            resid -= float(c @ np.linalg.solve(g, c))
        if resid <= 1e-14:
            out.append(j)
        else:
            kept.append(j)
    return out


def _missing(
    data: pd.DataFrame, columns: list[str]
) -> tuple[npt.NDArray[np.bool_], dict[str, int]]:
    bad = np.zeros(len(data), dtype=bool)
    excluded: dict[str, int] = {}
    for name in columns:
        col = data[name]
        miss = col.isna().to_numpy()
        if pd.api.types.is_float_dtype(col.dtype):
            arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isinf(arr).any():
                row = int(np.flatnonzero(np.isinf(arr))[0])
                raise ModelError(
                    f"column {name!r}, row {data.index[row]!r}: infinite value; "
                    "expected a finite number or a missing value"
                )
        count = int(miss.sum())
        if count:
            excluded[name] = count
            bad |= miss
    return bad, excluded


def _weights(weights: Any, data: pd.DataFrame) -> pd.Series | None:
    """Prior weights as a Series aligned with *data* (a column name or a vector)."""
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in data.columns:
            raise ModelError(f"weights column {weights!r} is not in the data")
        values = data[weights]
    else:
        arr = np.asarray(weights)
        if arr.ndim != 1 or arr.shape[0] != len(data):
            raise ModelError(
                f"weights must be a column name or a vector of length {len(data)} (one per row), "
                f"got shape {arr.shape}"
            )
        values = pd.Series(arr, index=data.index)
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values):
        raise ModelError(f"weights must be numeric, got {values.dtype}")
    values = values.astype(np.float64)
    bad = ~(values.isna() | (np.isfinite(values) & (values > 0)))
    if bad.any():
        row = values.index[np.flatnonzero(bad.to_numpy())[0]]
        raise ModelError(
            f"row {row!r}: weight {values[row]!r} is not allowed; expected a finite positive "
            "number (or a missing value, which excludes the row)"
        )
    return values


def build_design(formula: LmerFormula, data: pd.DataFrame, weights: Any = None) -> Design:
    """Build the model frame, X, Z and grouping factors of a parsed formula.

    Parameters
    ----------
    formula
        A parsed lme4 formula (:func:`linkwork.stats.formula.parse_formula`).
    data
        Long data, one row per observation.
    weights
        Optional prior weights: a column name or a vector with one value per row of *data*;
        finite and positive (a missing weight excludes the row, as R's ``na.omit``).

    Returns
    -------
    Design
        Response, distinct design rows with a code per observation, R column names, term
        structure, random-effect blocks and grouping factors.

    Raises
    ------
    ModelError
        Unknown columns, no complete rows, a non-numeric response, aliased (rank-deficient)
        fixed-effect columns (named), or a grouping factor with as many levels as rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkwork.stats.formula import parse_formula
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, None], "wave": ["T1", "T2", "T1", "T2", "T1"],
    ...                    "id": [1, 1, 2, 2, 3]})
    >>> d = build_design(parse_formula("y ~ wave + (1 | id)"), df)
    >>> d.x_names, d.nobs, d.n_excluded, d.excluded
    (('(Intercept)', 'waveT2'), 4, 1, {'y': 1})
    """
    if not isinstance(data, pd.DataFrame):
        raise ModelError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    fixed_vars = _variables(formula.fixed_rhs)
    random_vars: set[str] = set()
    for term in formula.random:
        random_vars |= _variables(term.expr)
    group_vars = {v for term in formula.random for v in term.group}
    needed = [formula.response, *sorted(fixed_vars | random_vars | group_vars)]
    needed = list(dict.fromkeys(needed))
    unknown = [v for v in needed if v not in data.columns and v not in ("np", "numpy")]
    if unknown:
        raise ModelError(
            f"formula {formula.text!r} uses unknown column(s) {unknown}; "
            f"the data have {list(map(str, data.columns))}"
        )
    needed = [v for v in needed if v in data.columns]
    if len(data) == 0:
        raise ModelError("no data: the data frame has no rows")
    bad, excluded = _missing(data, needed)
    wts = _weights(weights, data)
    if wts is not None:
        miss = wts.isna().to_numpy()
        if miss.any():
            excluded["(weights)"] = int(miss.sum())
            bad |= miss
    n_rows = len(data)
    data = data.loc[~bad, needed] if bad.any() else data[needed]
    nobs = len(data)
    if nobs == 0:
        raise ModelError(
            f"no data: all {n_rows} rows have a missing value in a used column {excluded}"
        )
    ycol = data[formula.response]
    if is_factor(ycol):
        raise ModelError(
            f"column {formula.response!r}: the response must be numeric, got {ycol.dtype}"
        )
    y = ycol.to_numpy(dtype=np.float64)
    w = None if wts is None else wts.to_numpy(dtype=np.float64)[~bad]

    # Fixed and random-expression variables: codes for the distinct-row compression.
    design_vars = sorted((fixed_vars | random_vars) & set(data.columns))
    design_vars = [v for v in design_vars if v in data.columns]
    levels: dict[str, list[str]] = {}
    numeric: list[str] = []
    code_cols: list[npt.NDArray[Any]] = []
    factor_codes: dict[str, npt.NDArray[np.integer]] = {}
    for var in design_vars:
        col = data[var]
        if is_factor(col):
            codes, lev = factorize(col)
            levels[var] = [r_label(v) for v in lev]
            factor_codes[var] = codes
            code_cols.append(codes)
        else:
            numeric.append(var)
            code_cols.append(col.to_numpy(dtype=np.float64))
    codes_all: npt.NDArray[np.integer]
    if any(_mostly_distinct(c) for c in code_cols):
        # a continuous covariate: nothing to compress, every row is its own design row
        codes_all, first = np.arange(nobs, dtype=np.intp), np.arange(nobs, dtype=np.intp)
    elif code_cols:
        codes_all, first = row_patterns(code_cols)
    else:
        codes_all, first = np.zeros(nobs, dtype=np.intp), np.zeros(1, dtype=np.intp)
    row_code = compact(codes_all, first.shape[0])
    del codes_all
    U = first.shape[0]
    counts = np.bincount(row_code, minlength=U).astype(np.float64)
    frame = pd.DataFrame(index=pd.RangeIndex(U))
    for var in design_vars:
        if var in levels:
            frame[var] = pd.Categorical.from_codes(
                factor_codes[var][first], categories=pd.Index(levels[var], dtype=object)
            )
        else:
            frame[var] = data[var].to_numpy(dtype=np.float64)[first]

    X, x_names, spec = _fixed_matrix(formula, frame, levels)
    aliased = _aliased(X, counts)
    if aliased:
        raise ModelError(
            f"formula {formula.text!r}: the fixed-effect design is rank deficient; column(s) "
            f"{[x_names[j] for j in aliased]} are linear combinations of earlier columns "
            "(aliased). Remove the term or merge levels."
        )
    term_columns, term_factors = _term_structure(formula.terms, spec, x_names)

    Z_parts: list[FloatArray] = []
    blocks: list[RandomBlock] = []
    start = 0
    for term in formula.random:
        Zt, names = _random_matrix(term, frame, levels, formula.text)
        Z_parts.append(Zt)
        blocks.append(
            RandomBlock(term.group_name, tuple(names), tuple(range(start, start + len(names))))
        )
        start += len(names)
    Z = np.concatenate(Z_parts, axis=1)

    cols: dict[str, tuple[npt.NDArray[np.integer], Levels]] = {}
    for var in group_vars:
        cols[var] = factorize(data[var])
    factors: dict[str, GroupingFactor] = {}
    for term in formula.random:
        if term.group_name not in factors:
            factors[term.group_name] = grouping_factor(term.group_name, term.group, cols)
    for fac in factors.values():
        if fac.n_levels < 2:
            raise ModelError(
                f"grouping factor {fac.name!r} has {fac.n_levels} level in the rows used; "
                "grouping factors must have > 1 sampled level (lme4)"
            )
        if fac.n_levels >= nobs:
            raise ModelError(
                f"grouping factor {fac.name!r} has {fac.n_levels} levels for {nobs} observations;"
                " the number of levels must be smaller than the number of observations (lme4)"
            )
    return Design(
        formula=formula,
        nobs=nobs,
        n_rows=n_rows,
        excluded=excluded,
        n_excluded=n_rows - nobs,
        y=y,
        weights=w,
        row_code=row_code,
        counts=counts,
        frame=frame,
        X=X,
        x_names=tuple(x_names),
        term_columns=term_columns,
        term_factors=term_factors,
        model_spec=spec,
        levels=levels,
        numeric=tuple(numeric),
        Z=Z,
        blocks=tuple(blocks),
        factors=factors,
    )


def _fixed_matrix(
    formula: LmerFormula, frame: pd.DataFrame, levels: dict[str, list[str]]
) -> tuple[FloatArray, list[str], ModelSpec]:
    try:
        mm = model_matrix(
            Formula(formula.fixed_rhs, _ordering="none"), frame, na_action="raise", output="numpy"
        )
    except Exception as exc:  # formulaic raises many exception types for bad formulas
        raise ModelError(
            f"formula {formula.text!r}: cannot build the fixed effects: {exc}"
        ) from exc
    spec = mm.model_spec
    X = np.asarray(mm, dtype=np.float64)
    return X, _r_names(spec, levels), spec


def _term_structure(
    terms: tuple[FixedTerm, ...], spec: ModelSpec, x_names: list[str]
) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[str, ...]]]:
    columns: dict[str, tuple[int, ...]] = {}
    factors: dict[str, tuple[str, ...]] = {}
    start = 0
    by_label = {t.label: t for t in terms}
    for struct in spec.structure:
        width = len(struct.columns)
        label = ":".join(str(f) for f in struct.term.factors)
        if label != "1" and label in by_label:
            columns[label] = tuple(range(start, start + width))
            factors[label] = by_label[label].factors
        start += width
    del x_names
    return columns, factors


def _random_matrix(
    term: RandomTerm, frame: pd.DataFrame, levels: dict[str, list[str]], text: str
) -> tuple[FloatArray, list[str]]:
    expr = term.expr.strip()
    if expr == "1":
        return np.ones((len(frame), 1)), ["(Intercept)"]
    try:
        mm = model_matrix(Formula(expr, _ordering="none"), frame, na_action="raise", output="numpy")
    except Exception as exc:  # formulaic raises many exception types for bad formulas
        raise ModelError(f"formula {text!r}: cannot build random effects ({expr}): {exc}") from exc
    return np.asarray(mm, dtype=np.float64), _r_names(mm.model_spec, levels)
