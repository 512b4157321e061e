"""``lmer_duckdb``: the mixed-model data pass as SQL, run by DuckDB where the data live.

For the random-intercept model ``y ~ <categorical fixed effects> + (1 | g)`` the sufficient
statistics of :mod:`linkwork.stats.suffstats` are computed by two scans and only small tables
come back to Python:

1. ``GROUP BY`` the fixed-effect variables (with missing/infinite flags for the response and
   the grouping column): the distinct design rows ("cells"), their row counts and the sum of
   the response, plus the per-column missing counts of R's ``na.omit`` (as :func:`lmer`
   excludes and counts rows).
2. Rows joined to their cell ``u``, centred response ``yc = y - mean(y)``; ``GROUP BY g``:
   the count of each cell in the participant (its *pattern*, as the in-memory discrete pass
   keys it), ``sum(yc)`` per cell, ``t = sum(yc)`` and ``sum(yc^2)``; then ``GROUP BY`` pattern:
   number of participants, ``sum t``, ``sum t^2``, ``sum yc^2``, per-cell sums of ``yc``.
   Long sums use DuckDB's compensated ``fsum``.

The fixed-effect matrix of the distinct rows, R's column names, terms and contrasts are built by
:func:`linkwork.stats.design.build_design` on those few rows; centring, ``X'X``, ``X'y`` and the
per-pattern tables are assembled exactly as the in-memory discrete pass does, and
:func:`linkwork.stats.prefit.fit_statistics` runs the same optimiser, Satterthwaite, anova,
emmeans and contrasts code as :func:`linkwork.stats.lmer`.

Validated against :func:`linkwork.stats.lmer` on the same data (itself validated against
lme4/lmerTest/emmeans) to 1e-8 relative: tests/scale/test_duckdb_engine.py.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
from formulaic import Formula

from linkwork.errors import ModelError
from linkwork.scale.source import Relation, ident, parquet_categories, relation
from linkwork.stats.design import Design, build_design
from linkwork.stats.factors import GroupingFactor
from linkwork.stats.formula import LmerFormula, parse_formula
from linkwork.stats.prefit import fit_statistics
from linkwork.stats.result import MixedModelResult
from linkwork.stats.suffstats import SufficientStats

__all__ = ["MAX_CELLS", "duckdb_statistics", "lmer_duckdb"]

FloatArray = npt.NDArray[np.float64]
IntArrayT = npt.NDArray[np.intp]

#: Most distinct fixed-effect design rows the SQL pass handles (one aggregate per cell).
MAX_CELLS = 64

_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
_INT_TYPES |= {"UINTEGER", "UBIGINT"}


def _numeric(sql_type: str) -> bool:
    t = sql_type.upper()
    return t in _INT_TYPES or t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL")


def _missing_sql(rel: Relation, column: str) -> str:
    col = ident(column)
    if rel.is_float(column):
        return f"({col} IS NULL OR isnan({col}))"
    return f"({col} IS NULL)"


def _inf_sql(rel: Relation, column: str) -> str:
    col = ident(column)
    return f"coalesce(isinf({col}), false)" if rel.is_float(column) else "false"


def _check_formula(parsed: LmerFormula) -> tuple[str, list[str]]:
    """The grouping column and the fixed-effect variables; ModelError outside the scope."""
    if len(parsed.random) != 1:
        raise ModelError(
            f"formula {parsed.text!r}: the DuckDB engine fits one random intercept (1 | g); "
            f"got {len(parsed.random)} random terms"
        )
    term = parsed.random[0]
    if term.expr.strip() != "1" or len(term.group) != 1:
        raise ModelError(
            f"formula {parsed.text!r}: the DuckDB engine fits a random intercept (1 | g) of one "
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
    """Distinct values with the dtype pandas gives that column when reading the file."""
    if levels is not None:
        labels = values.astype(str)
        unknown = sorted(set(labels) - {str(v) for v in levels})
        if unknown:
            raise ModelError(f"{where}: value(s) {unknown} are not among the levels {list(levels)}")
        cats = pd.Index([str(v) for v in levels], dtype=object)
        return pd.Series(pd.Categorical(labels, categories=cats), index=values.index)
    t = sql_type.upper()
    if t == "BOOLEAN":
        return values.astype(bool)
    if t in _INT_TYPES:
        return values.astype(np.int64)
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return values.astype(np.float64)
    return values.astype(str)


@dataclasses.dataclass(frozen=True, slots=True)
class _Cells:
    frame: pd.DataFrame  # complete distinct rows, u order, columns = fixed variables
    n: npt.NDArray[np.int64]  # rows per cell
    y_sum: FloatArray
    n_rows: int
    excluded: dict[str, int]


def _cells(
    con: duckdb.DuckDBPyConnection,
    rel: Relation,
    response: str,
    group: str,
    fixed: list[str],
    levels: Mapping[str, Sequence[str]],
) -> _Cells:
    """Scan 1: distinct complete design rows, their counts, and the missing-value counts."""
    keys = [ident(v) for v in fixed]
    y = ident(response)
    select = [
        *keys,
        f"{_missing_sql(rel, response)} AS _lw_my",
        f"{_inf_sql(rel, response)} AS _lw_iy",
        f"{_missing_sql(rel, group)} AS _lw_mg",
        f"{_inf_sql(rel, group)} AS _lw_ig",
        "count(*) AS _lw_n",
        f"fsum(CAST({y} AS DOUBLE)) AS _lw_sy",
    ]
    sql = f"SELECT {', '.join(select)} FROM {rel.sql} GROUP BY ALL"
    try:
        cur = con.execute(f"SELECT count(*) FROM ({sql})")
        row = cur.fetchone()
        assert row is not None
        if int(row[0]) > 64 * MAX_CELLS:
            raise ModelError(
                f"{rel.description}: the fixed effects {fixed} have more than {MAX_CELLS} "
                "distinct combinations; the DuckDB engine supports categorical (or few-valued) "
                "fixed effects. Continuous covariates run in memory (linkwork.stats.lmer)"
            )
        table = con.execute(sql).df()
    except duckdb.Error as exc:
        raise ModelError(f"{rel.description}: the SQL pass failed: {exc}") from exc
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
            miss = table[name].isna().to_numpy()
            inf = np.zeros(len(table), dtype=bool)
            if rel.is_float(name):
                vals = table[name].to_numpy(dtype=np.float64, na_value=np.nan)
                inf = np.isinf(vals)
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


def duckdb_statistics(
    formula: str,
    source: str | Path | list[str] | None = None,
    *,
    table: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Design, SufficientStats]:
    """The design of the distinct rows and the sufficient statistics, computed by DuckDB.

    Parameters and errors as :func:`lmer_duckdb`. The statistics have no per-group arrays
    (``group_zy`` and ``group_pattern`` are empty): only aggregates leave DuckDB.
    """
    parsed = parse_formula(formula)
    group, fixed = _check_formula(parsed)
    con = connection
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
    rel = relation(con, source, table)
    needed = [parsed.response, *fixed, group]
    unknown = [v for v in dict.fromkeys(needed) if v not in rel.types]
    if unknown:
        raise ModelError(
            f"formula {formula!r} uses unknown column(s) {unknown}; {rel.description} has "
            f"{list(rel.types)}"
        )
    if not _numeric(rel.types[parsed.response]):
        raise ModelError(
            f"{rel.description}, column {parsed.response!r}: the response must be numeric, got "
            f"{rel.types[parsed.response]}"
        )
    stray = [k for k in (levels or {}) if k not in fixed]
    if stray:
        raise ModelError(f"levels= names {stray}, which are not fixed-effect variables {fixed}")
    order = parquet_categories(rel, [v for v in fixed if v not in (levels or {})])
    order.update({k: list(v) for k, v in (levels or {}).items()})
    cells = _cells(con, rel, parsed.response, group, fixed, order)
    design, frame_of_cell = _proxy_design(parsed, cells, group)
    nobs = int(cells.n.sum())
    intercept = design.intercept
    y_center = float(cells.y_sum.sum() / nobs) if intercept is not None else 0.0
    tag = uuid.uuid4().hex[:12]
    cell_table = f"_lw_cells_{tag}"
    try:
        packed, sums = _scan(con, rel, parsed.response, group, fixed, cells, cell_table, y_center)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ident(cell_table)}")
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
    if intercept is not None:
        x_center = (counts @ design.X) / nobs
        x_center[intercept] = 0.0
    Xc = X_u - x_center
    # per-cell sums of y - y_center from scan 1's compensated sums
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


def _scan(
    con: duckdb.DuckDBPyConnection,
    rel: Relation,
    response: str,
    group: str,
    fixed: list[str],
    cells: _Cells,
    cell_table: str,
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
    frame = cells.frame.copy()
    u = np.arange(U, dtype=np.int64)
    for j in range(n_keys):
        inside = (u // _PER_KEY) == j
        frame[f"_lw_pow{j}"] = np.where(inside, np.left_shift(1, _BITS * (u % _PER_KEY)), 0)
    con.register(f"{cell_table}_df", frame)
    try:
        cols = "".join(f"CAST({ident(v)} AS {rel.types[v]}) AS {ident(v)}, " for v in fixed)
        pows = ", ".join(f"CAST(_lw_pow{j} AS BIGINT) AS _lw_pow{j}" for j in range(n_keys))
        con.execute(
            f"CREATE TEMP TABLE {ident(cell_table)} AS SELECT {cols}{pows} "
            f"FROM {ident(cell_table + '_df')}"
        )
    finally:
        con.unregister(f"{cell_table}_df")
    on = " AND ".join(f"s.{ident(v)} = c.{ident(v)}" for v in fixed) or "TRUE"
    y, g = ident(response), ident(group)
    pw = ", ".join(f"c._lw_pow{j} AS pw{j}" for j in range(n_keys))
    ks = ", ".join(f"sum(pw{j}) AS k{j}" for j in range(n_keys))
    keys = ", ".join(f"k{j}" for j in range(n_keys))
    sql = (
        f"WITH r AS (SELECT s.{g} AS g, {pw}, CAST(s.{y} AS DOUBLE) - ? AS yc "
        f"FROM {rel.sql} AS s JOIN {ident(cell_table)} AS c ON {on} "
        f"WHERE NOT {_missing_sql(rel, response).replace(y, 's.' + y)} "
        f"AND NOT {_missing_sql(rel, group).replace(g, 's.' + g)}), "
        f"p AS (SELECT {ks}, count(*) AS n, sum(yc) AS t, sum(yc * yc) AS q FROM r GROUP BY g) "
        f"SELECT {keys}, count(*) AS m, min(n) AS n_min, max(n) AS n_max, "
        f"fsum(t) AS st, fsum(t * t) AS tt, fsum(q) AS qq FROM p GROUP BY {keys} ORDER BY {keys}"
    )
    try:
        sums = con.execute(sql, [y_center]).df()
    except duckdb.Error as exc:
        raise ModelError(f"{rel.description}: the SQL pass failed: {exc}") from exc
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


def lmer_duckdb(
    formula: str,
    source: str | Path | list[str] | None = None,
    *,
    table: str | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    REML: bool = True,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> MixedModelResult:
    """Fit ``y ~ fixed + (1 | g)`` with the data pass run by DuckDB.

    Parameters
    ----------
    formula
        lme4 formula with one random intercept of one grouping column and categorical (or
        few-valued numeric) fixed effects, e.g. ``"score ~ wave * arm + (1 | participant_id)"``.
    source
        Parquet or CSV file(s): a path, a glob (``"dir/*.parquet"``) or a list of paths.
    table
        Instead of *source*: a table or view on *connection* (a DuckDB database).
    connection
        DuckDB connection to use (default: a new in-memory one).
    REML
        REML (default, as lme4) or ML.
    levels
        Optional level order of factor columns, e.g. ``{"arm": ["usual care", "social
        prescribing"]}`` (the first is the reference level). Without it a text column's levels
        are sorted (R's ``factor()``), except that Parquet files written from a pandas
        Categorical keep its category order, as ``pandas.read_parquet`` and :func:`lmer` do.

    Returns
    -------
    MixedModelResult
        As :func:`linkwork.stats.lmer` returns for the same data (fixed effects, covariance,
        variance components, log-likelihood, Satterthwaite tests, anova, emmeans,
        contrasts). Conditional modes (``ranef``), ``fitted`` and ``residuals`` need
        per-participant data and are not available: fit in memory for them.

    Raises
    ------
    ModelError
        Out-of-scope formulas, unknown columns, a non-numeric response, infinite values, no
        complete rows, too many distinct fixed-effect rows, or a model lmer would refuse.

    Examples
    --------
    >>> import duckdb, numpy as np
    >>> con = duckdb.connect()
    >>> _ = con.execute(
    ...     "CREATE TABLE d AS SELECT i // 3 AS id, 'T' || (i % 3 + 1) AS wave, "
    ...     "hash(i) % 1000 / 100.0 + (i % 3) + (i // 3) % 7 AS y FROM range(300) t(i)")
    >>> fit = lmer_duckdb("y ~ wave + (1 | id)", table="d", connection=con)
    >>> list(fit.fixef.index), fit.nobs, fit.ngroups
    (['(Intercept)', 'waveT2', 'waveT3'], 300, {'id': 100})
    """
    if not isinstance(REML, bool | np.bool_):
        raise ModelError(f"REML must be True or False, got {REML!r}")
    design, stats = duckdb_statistics(
        formula, source, table=table, connection=connection, levels=levels
    )
    return fit_statistics(design, stats, bool(REML))
