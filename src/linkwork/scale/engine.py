"""The mixed-model data pass as SQL, written once and run by any SQL engine.

For the random-intercept model ``y ~ <categorical fixed effects> + (1 | g)`` the sufficient
statistics of :mod:`linkwork.stats.suffstats` are computed by two scans and only small tables
come back to Python:

1. ``GROUP BY`` the fixed-effect variables (with missing/infinite flags for the response and
   the grouping column): the distinct design rows ("cells"), their row counts and the sum of
   the response, plus the per-column missing counts of R's ``na.omit`` (as :func:`lmer`
   excludes and counts rows).
2. Rows joined to their cell ``u`` (a ``VALUES`` list of the few cells), centred response
   ``yc = y - mean(y)``; ``GROUP BY g``: the count of each cell in the participant (its
   *pattern*, as the in-memory discrete pass keys it), ``t = sum(yc)`` and ``sum(yc^2)``; then
   ``GROUP BY`` pattern: number of participants, ``sum t``, ``sum t^2``, ``sum yc^2``.

The SQL is generated here once; :class:`~linkwork.scale.dialect.Dialect` spells the few
non-portable pieces for DuckDB and PostgreSQL, and an :class:`Executor` runs a query and returns
a small pandas table. The fixed-effect matrix of the distinct rows, R's column names, terms and
contrasts are built by :func:`linkwork.stats.design.build_design` on those few rows; centring,
``X'X``, ``X'y`` and the per-pattern tables are assembled exactly as the in-memory discrete pass
does, and :func:`linkwork.stats.prefit.fit_statistics` runs the same optimiser, Satterthwaite,
anova, emmeans and contrasts code as :func:`linkwork.stats.lmer`.

Validated against :func:`linkwork.stats.lmer` on the same data (itself validated against
lme4/lmerTest/emmeans) to 1e-8 relative: tests/scale/test_duckdb_engine.py (DuckDB) and
tests/scale/test_postgres_engine.py (PostgreSQL).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from formulaic import Formula

from linkwork.errors import ModelError
from linkwork.scale.dialect import Dialect, type_kind
from linkwork.scale.source import Relation, ident, literal
from linkwork.stats.design import Design, build_design
from linkwork.stats.factors import GroupingFactor
from linkwork.stats.formula import LmerFormula, parse_formula
from linkwork.stats.suffstats import SufficientStats

__all__ = ["MAX_CELLS", "Executor", "numeric_type", "sql_statistics"]

FloatArray = npt.NDArray[np.float64]
IntArrayT = npt.NDArray[np.intp]

#: Most distinct fixed-effect design rows the SQL pass handles (one aggregate per cell).
MAX_CELLS = 64


class Executor(Protocol):
    """Runs SQL of one :class:`Dialect` and returns the (small) result as a DataFrame.

    Implementations raise :class:`~linkwork.errors.ModelError` naming *where* (the source)
    when a statement fails. ``query`` returns plain float64 / int64 / bool / object columns;
    ``execute`` runs a statement without a result (DDL); ``materialize`` makes a temporary
    relation *name* (a table, or Spark's cached view) holding the rows of *select_sql*,
    replacing a temporary one of that name, for queries run many times afterwards.
    """

    @property
    def dialect(self) -> Dialect: ...

    def query(self, sql: str, where: str) -> pd.DataFrame: ...

    def execute(self, sql: str, where: str) -> None: ...

    def materialize(self, name: str, select_sql: str, where: str) -> None: ...

    def release(self, name: str, kind: str, where: str) -> None: ...


def numeric_type(sql_type: str) -> bool:
    """Whether a column of this SQL type holds numbers (ints, floats, decimals).

    >>> numeric_type("BIGINT"), numeric_type("double precision"), numeric_type("text")
    (True, True, False)
    """
    return type_kind(sql_type) in ("int", "float", "decimal")


def _missing_sql(d: Dialect, rel: Relation, column: str, prefix: str = "") -> str:
    col = prefix + ident(column)
    if rel.is_float(column):
        return f"({col} IS NULL OR {d.is_nan(col)})"
    return f"({col} IS NULL)"


def _inf_sql(d: Dialect, rel: Relation, column: str) -> str:
    col = ident(column)
    return f"coalesce({d.is_inf(col)}, false)" if rel.is_float(column) else "false"


def check_formula(parsed: LmerFormula) -> tuple[str, list[str]]:
    """The grouping column and the fixed-effect variables; ModelError outside the scope."""
    if len(parsed.random) != 1:
        raise ModelError(
            f"formula {parsed.text!r}: the SQL engines fit one random intercept (1 | g); "
            f"got {len(parsed.random)} random terms"
        )
    term = parsed.random[0]
    if term.expr.strip() != "1" or len(term.group) != 1:
        raise ModelError(
            f"formula {parsed.text!r}: the SQL engines fit a random intercept (1 | g) of one "
            f"grouping column; got ({term.expr} | {':'.join(term.group)}). Random slopes and "
            "nested levels run in memory (linkwork.stats.lmer)"
        )
    fixed = sorted(
        str(v)
        for v in Formula(parsed.fixed_rhs).required_variables
        if str(v) not in ("np", "numpy")
    )
    group = term.group[0]
    if group in fixed:
        raise ModelError(
            f"formula {parsed.text!r}: the grouping column {group!r} is also a fixed effect"
        )
    return group, fixed


def _cast_like(
    values: pd.Series, sql_type: str, levels: Sequence[str] | None, where: str
) -> pd.Series:
    """Distinct values with the dtype pandas gives that column when reading the data."""
    if levels is not None:
        labels = values.astype(str)
        unknown = sorted(set(labels) - {str(v) for v in levels})
        if unknown:
            raise ModelError(f"{where}: value(s) {unknown} are not among the levels {list(levels)}")
        cats = pd.Index([str(v) for v in levels], dtype=object)
        return pd.Series(pd.Categorical(labels, categories=cats), index=values.index)
    kind = type_kind(sql_type)
    if kind == "bool":
        return values.astype(bool)
    if kind == "int":
        return values.astype(np.int64)
    if kind in ("float", "decimal"):
        return values.astype(np.float64)
    return values.astype(str)


@dataclasses.dataclass(frozen=True, slots=True)
class _Cells:
    frame: pd.DataFrame  # complete distinct rows, u order, columns = fixed variables
    raw: pd.DataFrame  # the same rows as the engine returned them (for the VALUES list)
    n: npt.NDArray[np.int64]  # rows per cell
    y_sum: FloatArray
    n_rows: int
    excluded: dict[str, int]


def cells_sql(d: Dialect, rel: Relation, response: str, group: str, fixed: list[str]) -> str:
    """Scan 1: one row per distinct (fixed effects, missing flags) with its count and sum y."""
    select = [
        *(ident(v) for v in fixed),
        f"{_missing_sql(d, rel, response)} AS _lw_my",
        f"{_inf_sql(d, rel, response)} AS _lw_iy",
        f"{_missing_sql(d, rel, group)} AS _lw_mg",
        f"{_inf_sql(d, rel, group)} AS _lw_ig",
        "count(*) AS _lw_n",
        f"{d.fsum(d.to_double(ident(response)))} AS _lw_sy",
    ]
    by = ", ".join(str(i) for i in range(1, len(fixed) + 5))
    return f"SELECT {', '.join(select)} FROM {rel.sql} GROUP BY {by}"


def _cells(
    ex: Executor,
    rel: Relation,
    response: str,
    group: str,
    fixed: list[str],
    levels: Mapping[str, Sequence[str]],
) -> _Cells:
    """Scan 1: distinct complete design rows, their counts, and the missing-value counts."""
    sql = cells_sql(ex.dialect, rel, response, group, fixed)
    # at most 64 missing-flag combinations per cell: more rows than that means too many cells
    table = ex.query(f"{sql} LIMIT {64 * MAX_CELLS + 1}", rel.description)
    if len(table) > 64 * MAX_CELLS:
        raise ModelError(
            f"{rel.description}: the fixed effects {fixed} have more than {MAX_CELLS} "
            "distinct combinations; the SQL engines support categorical (or few-valued) "
            "fixed effects. Continuous covariates run in memory (linkwork.stats.lmer)"
        )
    n = table["_lw_n"].to_numpy(dtype=np.int64)
    n_rows = int(n.sum())
    if n_rows == 0:
        raise ModelError(f"no data: {rel.description} has no rows")
    missing: dict[str, npt.NDArray[np.bool_]] = {}
    for name in [response, *sorted({*fixed, group})]:
        if name == response:
            miss = table["_lw_my"].to_numpy(dtype=bool)
            inf = table["_lw_iy"].to_numpy(dtype=bool)
        elif name == group:
            miss = table["_lw_mg"].to_numpy(dtype=bool)
            inf = table["_lw_ig"].to_numpy(dtype=bool)
        else:
            vals_f = None
            if rel.is_float(name):
                vals_f = pd.to_numeric(table[name]).to_numpy(dtype=np.float64, na_value=np.nan)
            miss = table[name].isna().to_numpy() if vals_f is None else np.isnan(vals_f)
            inf = np.zeros(len(table), dtype=bool) if vals_f is None else np.isinf(vals_f)
        if inf.any():
            raise ModelError(
                f"{rel.description}, column {name!r}: {int(n[inf].sum())} infinite value(s); "
                "expected a finite number or a missing value"
            )
        missing[name] = miss
    bad = np.zeros(len(table), dtype=bool)
    excluded: dict[str, int] = {}
    for name, miss in missing.items():
        count = int(n[miss].sum())
        if count:
            excluded[name] = count
            bad |= miss
    if not (~bad).any():
        raise ModelError(
            f"no data: all {n_rows} rows of {rel.description} have a missing value in a used "
            f"column {excluded}"
        )
    good = table.loc[~bad].reset_index(drop=True)
    if len(good) > MAX_CELLS:
        raise ModelError(
            f"{rel.description}: the fixed effects {fixed} have {len(good)} distinct "
            f"combinations (at most {MAX_CELLS}); continuous covariates run in memory "
            "(linkwork.stats.lmer)"
        )
    frame = pd.DataFrame(
        {
            v: _cast_like(good[v], rel.types[v], levels.get(v), f"{rel.description}, column {v!r}")
            for v in fixed
        },
        index=pd.RangeIndex(len(good)),
    )
    return _Cells(
        frame=frame,
        raw=good[fixed],
        n=good["_lw_n"].to_numpy(dtype=np.int64),
        y_sum=good["_lw_sy"].to_numpy(dtype=np.float64),
        n_rows=n_rows,
        excluded=excluded,
    )


def _proxy_design(parsed: LmerFormula, cells: _Cells, group: str) -> tuple[Design, IntArrayT]:
    """Design of the distinct rows (three copies each), and the frame row of each cell."""
    U = len(cells.frame)
    proxy = pd.DataFrame(
        {v: cells.frame[v].repeat(3).reset_index(drop=True) for v in cells.frame},
        index=pd.RangeIndex(3 * U),
    )
    proxy[parsed.response] = np.tile([0.0, 1.0, 3.0], U)
    proxy[group] = np.tile([0, 1, 0], U)
    design = build_design(parsed, proxy)
    frame_of_cell = np.asarray(design.row_code, dtype=np.intp)[::3]
    if design.frame.shape[0] != U:
        raise ModelError(
            f"formula {parsed.text!r}: {U} distinct rows in SQL but {design.frame.shape[0]} "
            "after building the design; the column types do not round-trip"
        )
    return design, frame_of_cell


def sql_statistics(
    ex: Executor,
    rel: Relation,
    formula: str,
    levels: Mapping[str, Sequence[str]] | None = None,
    stored_levels: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Design, SufficientStats]:
    """The design of the distinct rows and the sufficient statistics, computed by *ex*.

    Parameters
    ----------
    ex
        Runs the generated SQL (DuckDB or PostgreSQL).
    rel
        The relation to read, with its column types.
    formula, levels
        As :func:`linkwork.scale.lmer_duckdb`.
    stored_levels
        Level orders stored with the data (pandas categories in Parquet files), used for the
        columns *levels* does not name.

    The statistics have no per-group arrays (``group_zy`` and ``group_pattern`` are empty):
    only aggregates leave the engine.
    """
    parsed = parse_formula(formula)
    group, fixed = check_formula(parsed)
    needed = [parsed.response, *fixed, group]
    unknown = [v for v in dict.fromkeys(needed) if v not in rel.types]
    if unknown:
        raise ModelError(
            f"formula {formula!r} uses unknown column(s) {unknown}; {rel.description} has "
            f"{list(rel.types)}"
        )
    if not numeric_type(rel.types[parsed.response]):
        raise ModelError(
            f"{rel.description}, column {parsed.response!r}: the response must be numeric, got "
            f"{rel.types[parsed.response]}"
        )
    stray = [k for k in (levels or {}) if k not in fixed]
    if stray:
        raise ModelError(f"levels= names {stray}, which are not fixed-effect variables {fixed}")
    order = {k: list(v) for k, v in (stored_levels or {}).items() if k in fixed}
    order.update({k: list(v) for k, v in (levels or {}).items()})
    cells = _cells(ex, rel, parsed.response, group, fixed, order)
    design, frame_of_cell = _proxy_design(parsed, cells, group)
    nobs = int(cells.n.sum())
    intercept = design.intercept
    y_center = float(cells.y_sum.sum() / nobs) if intercept is not None else 0.0
    packed, sums = _scan(ex, rel, parsed.response, group, fixed, cells, y_center)
    return _assemble(design, frame_of_cell, cells, packed, sums, y_center, group, rel)


def _assemble(
    design: Design,
    frame_of_cell: IntArrayT,
    cells: _Cells,
    packed: npt.NDArray[np.int64],
    sums: pd.DataFrame,
    y_center: float,
    group: str,
    rel: Relation,
) -> tuple[Design, SufficientStats]:
    """Centring, X'X, X'y and the per-pattern tables, as the in-memory discrete pass."""
    nobs = int(cells.n.sum())
    counts_u = packed.astype(np.float64)
    n_groups = sums["m"].to_numpy(dtype=np.float64)
    G = int(n_groups.sum())
    if round(float(n_groups @ counts_u.sum(axis=1))) != nobs:
        raise ModelError(f"{rel.description} changed between the two scans; run again")
    if G < 2:
        raise ModelError(
            f"grouping factor {group!r} has {G} level in the rows used; grouping factors must "
            "have > 1 sampled level (lme4)"
        )
    if nobs <= G:
        raise ModelError(
            f"grouping factor {group!r} has {G} levels for {nobs} observations; the number of "
            "levels must be smaller than the number of observations (lme4)"
        )
    Uf = design.frame.shape[0]
    counts = np.zeros(Uf)
    counts[frame_of_cell] = cells.n
    X_u = design.X[frame_of_cell]
    x_center = np.zeros(design.X.shape[1])
    if design.intercept is not None:
        x_center = (counts @ design.X) / nobs
        x_center[design.intercept] = 0.0
    Xc = X_u - x_center
    # per-cell sums of y - y_center from scan 1's long sums
    s_u = cells.y_sum - cells.n.astype(np.float64) * y_center
    st = sums["st"].to_numpy(dtype=np.float64)
    xz = counts_u @ Xc  # (P, p)
    stats = SufficientStats(
        n_obs=nobs,
        n_groups=G,
        p=Xc.shape[1],
        q=1,
        log_weights=0.0,
        x_center=x_center,
        y_center=y_center,
        xtx=(Xc * cells.n[:, None].astype(np.float64)).T @ Xc,
        xty=Xc.T @ s_u,
        yty=float(sums["qq"].to_numpy(dtype=np.float64).sum()),
        pattern_count=n_groups,
        pattern_ztz=counts_u.sum(axis=1)[:, None, None],
        pattern_xzxz=np.ascontiguousarray(
            n_groups[:, None, None, None, None] * np.einsum("ga,gb->gab", xz, xz)[:, None, None]
        ),
        pattern_xzzy=np.ascontiguousarray((xz * st[:, None])[:, None, None, :]),
        pattern_zyzy=sums["tt"].to_numpy(dtype=np.float64)[:, None, None],
        group_pattern=np.zeros(0, dtype=np.intp),
        group_xz=None,
        pattern_xz=xz[:, :, None],
        group_zy=np.zeros((0, 1)),
    )
    factor = GroupingFactor(group, np.zeros(0, dtype=np.intp), G, ())
    full = dataclasses.replace(
        design,
        nobs=nobs,
        n_rows=cells.n_rows,
        excluded=cells.excluded,
        n_excluded=cells.n_rows - nobs,
        y=np.zeros(0),
        weights=None,
        row_code=np.zeros(0, dtype=np.int8),
        counts=counts,
        factors={group: factor},
    )
    return full, stats


#: Bits per cell count in a packed pattern key, and cells per BIGINT key.
_BITS = 8
_PER_KEY = 7


def _value_sql(d: Dialect, value: object, sql_type: str) -> str:
    """A typed SQL constant equal to *value* as the engine returned it from the column."""
    kind = type_kind(sql_type)
    if kind == "bool":
        text = "TRUE" if bool(value) else "FALSE"
    elif kind == "int":
        text = str(int(value))  # type: ignore[call-overload]
    elif kind == "float":
        return f"CAST('{float(value)!r}' AS {sql_type})"  # type: ignore[arg-type]
    else:
        text = literal(str(value))
    return f"CAST({text} AS {sql_type})"


def scan_sql(
    d: Dialect,
    rel: Relation,
    response: str,
    group: str,
    fixed: list[str],
    cells: pd.DataFrame,
    y_center: float,
) -> str:
    """Scan 2's SQL: rows joined to the cells (a VALUES list), per participant, per pattern."""
    U = len(cells)
    n_keys = -(-U // _PER_KEY)
    rows = []
    for u in range(U):
        vals = [_value_sql(d, cells[v].iloc[u], rel.types[v]) for v in fixed]
        powers = [
            f"CAST({1 << (_BITS * (u % _PER_KEY)) if u // _PER_KEY == j else 0} AS BIGINT)"
            for j in range(n_keys)
        ]
        rows.append("(" + ", ".join([*vals, *powers]) + ")")
    names = ", ".join([*(ident(v) for v in fixed), *(f"_lw_pow{j}" for j in range(n_keys))])
    on = " AND ".join(f"s.{ident(v)} = c.{ident(v)}" for v in fixed) or "TRUE"
    y, g = ident(response), ident(group)
    pw = ", ".join(f"c._lw_pow{j} AS pw{j}" for j in range(n_keys))
    ks = ", ".join(f"CAST(sum(pw{j}) AS BIGINT) AS k{j}" for j in range(n_keys))
    keys = ", ".join(f"k{j}" for j in range(n_keys))
    return (
        f"WITH c({names}) AS (VALUES {', '.join(rows)}), "
        f"r AS (SELECT s.{g} AS g, {pw}, "
        f"{d.to_double('s.' + y)} - {d.double_literal(y_center)} AS yc "
        f"FROM {rel.sql} AS s JOIN c ON {on} "
        f"WHERE NOT {_missing_sql(d, rel, response, 's.')} "
        f"AND NOT {_missing_sql(d, rel, group, 's.')}), "
        f"p AS (SELECT {ks}, count(*) AS n, sum(yc) AS t, sum(yc * yc) AS q FROM r GROUP BY g) "
        f"SELECT {keys}, count(*) AS m, min(n) AS n_min, max(n) AS n_max, "
        f"{d.fsum('t')} AS st, {d.fsum('t * t')} AS tt, {d.fsum('q')} AS qq "
        f"FROM p GROUP BY {keys} ORDER BY {keys}"
    )


def _scan(
    ex: Executor,
    rel: Relation,
    response: str,
    group: str,
    fixed: list[str],
    cells: _Cells,
    y_center: float,
) -> tuple[npt.NDArray[np.int64], pd.DataFrame]:
    """Scan 2: per participant (packed cell counts, t, sum yc^2), pooled by pattern.

    A participant's pattern, its count of rows in each cell ``u``, is packed into BIGINT keys
    ``k_j = sum(2^(8 (u - 7 j)))`` over its rows in cells ``7 j <= u < 7 j + 7``; a count of
    256 or more would carry into the next digit, which the digit-sum check against the
    participant's row count detects (then ModelError). Returns the (P, U) cell counts of each
    pattern and the pooled sums.
    """
    U = len(cells.frame)
    n_keys = -(-U // _PER_KEY)
    sql = scan_sql(ex.dialect, rel, response, group, fixed, cells.raw, y_center)
    sums = ex.query(sql, rel.description)
    P = len(sums)
    counts = np.zeros((P, U), dtype=np.int64)
    mask = (1 << _BITS) - 1
    for j in range(n_keys):
        k = sums[f"k{j}"].to_numpy(dtype=np.int64)
        for uu in range(j * _PER_KEY, min(U, (j + 1) * _PER_KEY)):
            counts[:, uu] = (k >> (_BITS * (uu - j * _PER_KEY))) & mask
    n_min = sums["n_min"].to_numpy(dtype=np.int64)
    n_max = sums["n_max"].to_numpy(dtype=np.int64)
    if not (np.array_equal(n_min, n_max) and np.array_equal(counts.sum(axis=1), n_min)):
        raise ModelError(
            f"{rel.description}: a participant has {mask + 1} or more rows in one design cell "
            f"(does column {group!r} repeat within a wave?); the pattern key cannot hold it"
        )
    return counts, sums
