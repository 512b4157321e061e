"""Fit a linear mixed model from sufficient statistics computed elsewhere.

The seam for engines that run the data pass where the data live (``linkwork.scale``: a SQL
``GROUP BY`` in DuckDB): they build a :class:`~linkwork.stats.design.Design` for the distinct
design rows and the :class:`~linkwork.stats.suffstats.SufficientStats`, and this module runs the
same optimiser, estimates and Satterthwaite machinery as :func:`linkwork.stats.lmer` on them.

Validated by tests/scale/test_duckdb_engine.py: results equal those of :func:`lmer` on the same
data (1e-8 relative), and :func:`lmer` itself is validated against lme4/lmerTest.
"""

from __future__ import annotations

from linkwork.errors import ModelError
from linkwork.stats.design import Design
from linkwork.stats.fit import criterion, estimate, random_structure
from linkwork.stats.mixed import Model, _check_identifiable, _check_residual, result_from_model
from linkwork.stats.optimiser import optimise
from linkwork.stats.result import MixedModelResult
from linkwork.stats.suffstats import SufficientStats

__all__ = ["fit_statistics"]


def fit_statistics(design: Design, stats: SufficientStats, reml: bool) -> MixedModelResult:
    """Fit the model of *design* (one grouping factor) from pre-computed *stats*.

    Parameters
    ----------
    design
        Design of the distinct rows: ``X``, ``frame``, ``counts`` (rows per distinct design
        row), names, terms, levels and grouping factors (``n_levels`` is what is used).
    stats
        Sufficient statistics of exactly that design, as
        :func:`linkwork.stats.suffstats.sufficient_statistics` would return them.
    reml
        REML (True) or ML (False).

    Returns
    -------
    MixedModelResult
        As :func:`linkwork.stats.lmer` returns it.

    Raises
    ------
    ModelError
        Nested or crossed structures (not reducible to one table here), an unidentifiable
        model, or a response without residual variation.
    """
    structure = random_structure(design)
    if structure.kind != "single":
        raise ModelError(
            f"formula {design.formula.text!r}: pre-computed statistics support one grouping "
            "factor only"
        )
    _check_identifiable(design, structure)
    crit = criterion(stats, structure)
    opt = optimise(crit, reml)
    _check_residual(design, stats, crit, opt.theta, reml)
    est = estimate(crit, opt.theta, reml, stats.x_center, stats.y_center, design.intercept)
    return result_from_model(Model(design, structure, stats, crit, opt, est, reml))
