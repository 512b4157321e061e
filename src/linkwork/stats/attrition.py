"""Completers versus non-completers at baseline: who dropped out?

For each baseline variable: counts, means and SDs (continuous) or counts and proportions
(categorical) per group, the standardised difference, and a test (study.md, "Attrition").

Validated against R 4.2.2 ``t.test`` (Welch, the default), ``fisher.test`` and ``chisq.test``
(``tests/reference/other_stats.json`` and a live randomised comparison) to 1e-10 relative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from linkwork.errors import DataFormatError, ModelError, PlanError

__all__ = ["AttritionResult", "AttritionRow", "compare_completers"]

#: Largest number of undecided partial tables Fisher's 2 x k test keeps before giving up.
FISHER_MAX_TABLES = 1_000_000
#: R's FEXACT tolerance on the log probability when deciding "as or less likely".
_FEXACT_TOL = 3.45254e-7
#: R's relative tolerance in ``fisher.test`` for 2 x 2 tables.
_FISHER_2X2_REL = 1 + 1e-7


@dataclass(frozen=True, slots=True)
class AttritionRow:
    """One row of the attrition table: a continuous variable, or one level of a categorical one.

    Group-specific fields end in ``_completers`` / ``_noncompleters``. ``n_*`` count the
    non-missing values of the variable in the group and ``missing_*`` the missing ones.
    Continuous rows fill ``mean_*`` and ``sd_*`` (n - 1 denominator); categorical rows fill
    ``count_*`` and ``prop_*`` (share of the group's non-missing values at this level). The
    test fields (``statistic``, ``df``, ``p_value``, ``test``) belong to the variable and are
    repeated on each level of a categorical variable.
    """

    variable: str
    level: str | None
    kind: str
    n_completers: int
    n_noncompleters: int
    missing_completers: int
    missing_noncompleters: int
    mean_completers: float
    sd_completers: float
    mean_noncompleters: float
    sd_noncompleters: float
    count_completers: float
    count_noncompleters: float
    prop_completers: float
    prop_noncompleters: float
    smd: float
    statistic: float
    df: float
    p_value: float
    test: str


@dataclass(frozen=True, slots=True)
class AttritionResult:
    """Baseline comparison of completers and non-completers.

    Attributes
    ----------
    rows
        One :class:`AttritionRow` per continuous variable and per level of each categorical one.
    n_completers, n_noncompleters
        Participants in each group.
    n_unknown
        Participants whose completer status was missing, left out of every comparison.
    categorical_test
        ``"fisher"`` or ``"chisq"``.
    """

    rows: tuple[AttritionRow, ...]
    n_completers: int
    n_noncompleters: int
    n_unknown: int
    categorical_test: str

    def tidy(self) -> pd.DataFrame:
        """One row per continuous variable and per level of each categorical variable."""
        columns = [f.name for f in fields(AttritionRow)]
        return pd.DataFrame([asdict(r) for r in self.rows], columns=columns)

    def glance(self) -> pd.DataFrame:
        """One row: n_completers, n_noncompleters, n_unknown, retention (completer share)."""
        known = self.n_completers + self.n_noncompleters
        return pd.DataFrame(
            [
                {
                    "n_completers": self.n_completers,
                    "n_noncompleters": self.n_noncompleters,
                    "n_unknown": self.n_unknown,
                    "retention": self.n_completers / known if known else math.nan,
                }
            ]
        )


def compare_completers(
    baseline: pd.DataFrame,
    completer: pd.Series,
    variables: Sequence[str] | None = None,
    *,
    categorical: Sequence[str] = (),
    categorical_test: Literal["fisher", "chisq"] = "fisher",
) -> AttritionResult:
    """Compare completers with non-completers on baseline variables.

    Parameters
    ----------
    baseline
        One row per participant with baseline (T1) variables.
    completer
        True for a completer, False for a non-completer, missing (NA/None) if unknown; same
        index as *baseline*.
    variables
        Columns to compare (default: every column of *baseline*).
    categorical
        Columns to treat as categorical even though numeric (e.g. codes). Boolean, text and
        ``category`` columns are always categorical; other numeric columns are continuous.
    categorical_test
        ``"fisher"`` (default): Fisher's exact test, as R's ``fisher.test`` (two-sided, the
        tables no more likely than the observed one); ``"chisq"``: Pearson's chi-squared test as
        R's ``chisq.test`` (with Yates' continuity correction for 2 x 2 tables, its default).
        Fisher suits the small groups of a typical programme evaluation, where expected counts
        under 5 make the chi-squared approximation unreliable.

    Returns
    -------
    AttritionResult

    Raises
    ------
    ModelError
        A continuous variable with fewer than 2 values in a group or constant in both (R's
        ``t.test`` errors too); a categorical variable with fewer than 2 observed levels or no
        value in a group; a 2 x k Fisher test too large to compute (more than
        :data:`FISHER_MAX_TABLES` undecided partial tables, which happens with hundreds of
        participants and many levels, where R's ``fisher.test`` also runs out of workspace;
        use ``categorical_test="chisq"``). The message names the variable.
    DataFormatError
        *completer* not boolean or not indexed like *baseline*.

    Notes
    -----
    *Continuous*: the standardised difference is
    :math:`(\\bar x_c - \\bar x_n) / \\sqrt{(s_c^2 + s_n^2)/2}` (Austin 2009, Stat Med
    28:3083; the pooled SD averages the two variances, whatever the group sizes); the test is
    Welch's t test as R's ``t.test(x_completers, x_noncompleters)``.

    *Categorical*: one row per observed level (unused levels dropped), with the standardised
    difference of proportions :math:`(p_c - p_n) / \\sqrt{(p_c(1-p_c) + p_n(1-p_n))/2}` (Austin
    2009), which is infinite when one group is all at the level and the other has none. The
    test compares the 2 x k table of group by level. Fisher's exact test of a 2 x 2 table
    follows R's rule (probabilities within a relative 1e-7 of the observed count as equal); of a
    2 x k table (k > 2) sums the probabilities of all tables with the observed margins whose log
    probability is at most the observed one plus R's FEXACT tolerance 3.45254e-7, found by a
    network algorithm (whole subtrees decided at once from bounds on their completions).

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"age": [50.0, 61, 47, 55, 70, 38], "sex": list("FMFFMM")})
    >>> done = pd.Series([True, True, False, True, False, False])
    >>> tab = compare_completers(base, done).tidy()
    >>> tab[["variable", "level"]].fillna("-").values.tolist()  # level: missing if continuous
    [['age', '-'], ['sex', 'F'], ['sex', 'M']]
    >>> p = tab["p_value"].tolist()  # R: t.test(...)$p.value, fisher.test(...)$p.value
    >>> round(p[0], 4), p[1]
    (0.7444, 1.0)
    """
    if categorical_test not in ("fisher", "chisq"):
        raise PlanError(
            "unknown categorical test", value=categorical_test, expected="'fisher' or 'chisq'"
        )
    status = _completer_status(completer, baseline.index)
    names = list(baseline.columns) if variables is None else list(variables)
    missing = [c for c in [*names, *categorical] if c not in baseline.columns]
    if missing:
        raise KeyError(f"columns not in the baseline data: {missing}")
    known = ~np.isnan(status)
    is_c = status == 1.0
    is_n = status == 0.0
    rows: list[AttritionRow] = []
    for name in names:
        column = baseline[name]
        try:
            if name in categorical or not _is_continuous(column):
                rows.extend(_categorical_rows(str(name), column, is_c, is_n, categorical_test))
            else:
                rows.append(_continuous_row(str(name), column, is_c, is_n))
        except ModelError as error:
            raise ModelError(f"variable {name!r}: {error}") from error
    return AttritionResult(
        rows=tuple(rows),
        n_completers=int(is_c.sum()),
        n_noncompleters=int(is_n.sum()),
        n_unknown=int((~known).sum()),
        categorical_test=categorical_test,
    )


def _completer_status(completer: pd.Series, index: pd.Index) -> npt.NDArray[np.float64]:
    """1.0 for completers, 0.0 for non-completers, NaN for unknown."""
    if not isinstance(completer, pd.Series) or not completer.index.equals(index):
        raise DataFormatError(
            "completer must be a Series with the same index as the baseline frame",
            column=getattr(completer, "name", None),
            expected="a boolean Series indexed like the baseline rows",
        )
    out = np.full(len(completer), np.nan)
    for i, value in enumerate(completer.tolist()):
        if value is True or value is False or isinstance(value, np.bool_):
            out[i] = float(bool(value))
        elif value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            continue
        else:
            raise DataFormatError(
                "completer status not boolean",
                column=None if completer.name is None else str(completer.name),
                row=completer.index[i],
                value=value,
                expected="True, False or missing",
            )
    return out


def _is_continuous(column: pd.Series) -> bool:
    dtype = column.dtype
    return bool(
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not isinstance(dtype, pd.CategoricalDtype)
    )


def _mean_var(x: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Mean (two-pass, as R's ``mean``) and variance (n - 1 denominator) of x."""
    n = x.size
    mean = x.sum() / n
    mean += (x - mean).sum() / n
    dev = x - mean
    return float(mean), float(np.dot(dev, dev) / (n - 1))


def _continuous_row(
    name: str, column: pd.Series, is_c: npt.NDArray[np.bool_], is_n: npt.NDArray[np.bool_]
) -> AttritionRow:
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise DataFormatError(
            "infinite value", column=name, value=math.inf, expected="a finite number or NaN"
        )
    xc = values[is_c & ~np.isnan(values)]
    xn = values[is_n & ~np.isnan(values)]
    if xc.size < 2 or xn.size < 2:
        raise ModelError(
            f"Welch's t test needs at least 2 values per group; got {xc.size} completers and "
            f"{xn.size} non-completers"
        )
    mc, vc = _mean_var(xc)
    mn, vn = _mean_var(xn)
    se_c, se_n = math.sqrt(vc / xc.size), math.sqrt(vn / xn.size)
    se = math.sqrt(se_c**2 + se_n**2)
    if se < 10 * np.finfo(np.float64).eps * max(abs(mc), abs(mn)):
        raise ModelError("data are essentially constant in both groups")
    df = se**4 / (se_c**4 / (xc.size - 1) + se_n**4 / (xn.size - 1))
    t = (mc - mn) / se
    return AttritionRow(
        variable=name,
        level=None,
        kind="continuous",
        n_completers=int(xc.size),
        n_noncompleters=int(xn.size),
        missing_completers=int(is_c.sum() - xc.size),
        missing_noncompleters=int(is_n.sum() - xn.size),
        mean_completers=mc,
        sd_completers=math.sqrt(vc),
        mean_noncompleters=mn,
        sd_noncompleters=math.sqrt(vn),
        count_completers=math.nan,
        count_noncompleters=math.nan,
        prop_completers=math.nan,
        prop_noncompleters=math.nan,
        smd=(mc - mn) / math.sqrt((vc + vn) / 2),
        statistic=t,
        df=df,
        p_value=float(2.0 * special.stdtr(df, -abs(t))),
        test="welch_t",
    )


def _levels(column: pd.Series) -> list[object]:
    present = column.dropna()
    if isinstance(column.dtype, pd.CategoricalDtype):
        used = set(present.tolist())
        return [c for c in column.cat.categories if c in used]
    unique = list(dict.fromkeys(present.tolist()))
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=str)


def _categorical_rows(
    name: str,
    column: pd.Series,
    is_c: npt.NDArray[np.bool_],
    is_n: npt.NDArray[np.bool_],
    test: str,
) -> list[AttritionRow]:
    observed = column.notna().to_numpy()
    # levels seen among participants of known status only, so that no level is empty
    levels = _levels(column[is_c | is_n])
    if len(levels) < 2:
        raise ModelError(f"a categorical comparison needs at least 2 observed levels; got {levels}")
    n_c = int((is_c & observed).sum())
    n_n = int((is_n & observed).sum())
    if n_c == 0 or n_n == 0:
        raise ModelError(f"no observed value in a group ({n_c} completers, {n_n} non-completers)")
    values = column.to_numpy(dtype=object)
    table = np.array(
        [
            [int((is_c & observed & (values == level)).sum()) for level in levels],
            [int((is_n & observed & (values == level)).sum()) for level in levels],
        ],
        dtype=np.int64,
    )
    if test == "fisher":
        statistic, df, p_value = math.nan, math.nan, _fisher_2xk(table)
    else:
        statistic, df, p_value = _chisq(table)
    rows = []
    for j, level in enumerate(levels):
        pc, pn = table[0, j] / n_c, table[1, j] / n_n
        spread = math.sqrt((pc * (1 - pc) + pn * (1 - pn)) / 2)
        smd = (pc - pn) / spread if spread > 0 else math.copysign(math.inf, pc - pn)
        rows.append(
            AttritionRow(
                variable=name,
                level=str(level),
                kind="categorical",
                n_completers=n_c,
                n_noncompleters=n_n,
                missing_completers=int(is_c.sum() - n_c),
                missing_noncompleters=int(is_n.sum() - n_n),
                mean_completers=math.nan,
                sd_completers=math.nan,
                mean_noncompleters=math.nan,
                sd_noncompleters=math.nan,
                count_completers=float(table[0, j]),
                count_noncompleters=float(table[1, j]),
                prop_completers=float(pc),
                prop_noncompleters=float(pn),
                smd=float(smd),
                statistic=statistic,
                df=df,
                p_value=p_value,
                test=test,
            )
        )
    return rows


def _chisq(table: npt.NDArray[np.int64]) -> tuple[float, float, float]:
    """Pearson's chi-squared test of independence as R's ``chisq.test(table)``."""
    x = table.astype(np.float64)
    n = x.sum()
    expected = np.outer(x.sum(axis=1), x.sum(axis=0)) / n
    deviation = np.abs(x - expected)
    yates = min(0.5, float(deviation.min())) if x.shape == (2, 2) else 0.0
    statistic = float(np.sum((deviation - yates) ** 2 / expected))
    df = float((x.shape[0] - 1) * (x.shape[1] - 1))
    return statistic, df, float(special.chdtrc(df, statistic))


def _too_many_tables() -> None:
    raise ModelError(
        f"Fisher's exact test would enumerate more than {FISHER_MAX_TABLES} partial tables; "
        "use categorical_test='chisq'"
    )


def _log_choose(
    n: int | npt.NDArray[np.int64], k: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """log C(n, k), elementwise."""
    return special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)


def _fisher_2xk(table: npt.NDArray[np.int64]) -> float:
    """Two-sided Fisher exact p-value of a 2 x k table, as R's ``fisher.test``."""
    first = table[0]
    cols = table.sum(axis=0)
    row1 = int(first.sum())
    if table.shape[1] == 2:
        # R: hypergeometric support of the [1, 1] cell, normalised, relative tolerance 1e-7.
        lo, hi = max(0, row1 - int(cols[1])), min(row1, int(cols[0]))
        support = np.arange(lo, hi + 1)
        log_d = _log_choose(int(cols[0]), support) + _log_choose(int(cols[1]), row1 - support)
        d = np.exp(log_d - log_d.max())
        d /= d.sum()
        observed = d[int(first[0]) - lo]
        return float(min(1.0, max(0.0, d[d <= observed * _FISHER_2X2_REL].sum())))
    return _fisher_network(cols, first, row1)


def _fisher_network(cols: npt.NDArray[np.int64], first: npt.NDArray[np.int64], row1: int) -> float:
    """Fisher's 2 x k p-value by a network algorithm over the first row's cells.

    A table is the first row a (sum row1); its log weight sum_j log C(c_j, a_j) is its log
    probability up to a constant. Partial tables are extended one column at a time; when even
    the most (least) likely completion is at most (above) the observed weight plus FEXACT's
    tolerance, all (none) of its completions count, and their total probability is known in
    closed form (Vandermonde: sum over completions = C(remaining columns' total, remaining)).
    """
    k = cols.size
    total = int(cols.sum())
    if (row1 + 1) * (int(cols.max()) + 1) > 5 * FISHER_MAX_TABLES:
        _too_many_tables()
    weights = [_log_choose(int(c), np.arange(c + 1)) for c in cols]
    threshold = float(sum(w[a] for w, a in zip(weights, first, strict=True))) + _FEXACT_TOL
    after = np.append(np.cumsum(cols[::-1])[::-1], 0)  # total of columns j, j+1, ...
    # hi[j, r] / lo[j, r]: largest / smallest log weight of columns j.. with first-row sum r
    hi = np.full((k + 1, row1 + 1), -np.inf)
    lo = np.full((k + 1, row1 + 1), np.inf)
    hi[k, 0] = lo[k, 0] = 0.0
    r = np.arange(row1 + 1)[:, None]
    for j in range(k - 1, -1, -1):
        a = np.arange(cols[j] + 1)[None, :]
        rest = np.clip(r - a, 0, None)
        hi[j] = np.where(a <= r, weights[j][None, :] + hi[j + 1][rest], -np.inf).max(axis=1)
        lo[j] = np.where(a <= r, weights[j][None, :] + lo[j + 1][rest], np.inf).min(axis=1)
    log_all = float(_log_choose(total, np.array(row1)))
    sums = np.zeros(1, dtype=np.int64)
    scores = np.zeros(1, dtype=np.float64)
    pieces = []
    for j in range(k):
        if sums.size * (cols[j] + 1) > 5 * FISHER_MAX_TABLES:
            _too_many_tables()
        a = np.arange(cols[j] + 1)
        sums = (sums[:, None] + a[None, :]).ravel()
        scores = (scores[:, None] + weights[j][None, :]).ravel()
        need = row1 - sums
        feasible = (need >= 0) & (need <= after[j + 1])
        sums, scores, need = sums[feasible], scores[feasible], need[feasible]
        every = scores + hi[j + 1][need] <= threshold
        pieces.append(scores[every] + _log_choose(int(after[j + 1]), need[every]) - log_all)
        undecided = ~every & (scores + lo[j + 1][need] <= threshold)
        sums, scores = sums[undecided], scores[undecided]
        if sums.size > FISHER_MAX_TABLES:
            _too_many_tables()
    return float(min(1.0, max(0.0, np.exp(np.concatenate(pieces)).sum())))
