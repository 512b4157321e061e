"""Statistics for evaluating link worker social prescribing.

The mixed-model engine: :func:`lmer` fits linear mixed models in lme4 syntax by REML or ML
from sufficient statistics and returns a :class:`MixedModelResult` with lmerTest's
Satterthwaite tests and emmeans' marginal means and contrasts. It is validated against
lme4 1.1-31, lmerTest 3.1-3 and emmeans 1.8.4 (tests/stats/test_lmer_vs_r.py).

Beside it, each matching its R counterpart: :func:`p_adjust` (``p.adjust``),
:func:`correlate` and :func:`correlation_table` (``cor.test``), :func:`friedman`
(``friedman.test``), :func:`wilcoxon_signed_rank` and :func:`pairwise_wilcoxon`
(``wilcox.test``), :func:`standardised_mean_change` (``emmeans::eff_size``),
:func:`compare_completers` (``t.test``, ``fisher.test``, ``chisq.test``) and
:func:`describe_by_wave`.

Imports are lazy so that ``import linkwork.stats.descriptives`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkwork.stats.attrition import compare_completers
    from linkwork.stats.correlation import correlate, correlation_table
    from linkwork.stats.descriptives import describe_by_wave
    from linkwork.stats.effect_size import standardised_mean_change
    from linkwork.stats.mixed import lmer
    from linkwork.stats.multiplicity import p_adjust
    from linkwork.stats.nonparametric import friedman, pairwise_wilcoxon, wilcoxon_signed_rank
    from linkwork.stats.result import MixedModelResult

__all__ = [
    "MixedModelResult",
    "compare_completers",
    "correlate",
    "correlation_table",
    "describe_by_wave",
    "friedman",
    "lmer",
    "p_adjust",
    "pairwise_wilcoxon",
    "standardised_mean_change",
    "wilcoxon_signed_rank",
]

_LAZY = {
    "MixedModelResult": "linkwork.stats.result",
    "compare_completers": "linkwork.stats.attrition",
    "correlate": "linkwork.stats.correlation",
    "correlation_table": "linkwork.stats.correlation",
    "describe_by_wave": "linkwork.stats.descriptives",
    "friedman": "linkwork.stats.nonparametric",
    "lmer": "linkwork.stats.mixed",
    "p_adjust": "linkwork.stats.multiplicity",
    "pairwise_wilcoxon": "linkwork.stats.nonparametric",
    "standardised_mean_change": "linkwork.stats.effect_size",
    "wilcoxon_signed_rank": "linkwork.stats.nonparametric",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'linkwork.stats' has no attribute {name!r}")
