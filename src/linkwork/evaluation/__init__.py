"""The analysis plan and pipeline: from long data to the study's evaluation.

:func:`evaluate` runs the whole evaluation of a programme's long data under a :class:`Plan`
(the study's design by default) and returns an :class:`Evaluation` of tidy tables, which
:meth:`Evaluation.write` turns into ``report.html``, ``results.json`` and ``tables/*.csv``.
"""

from __future__ import annotations

from linkwork.evaluation.disclosure import Disclosure, suppress_counts
from linkwork.evaluation.pipeline import Progress, analysis_data, evaluate
from linkwork.evaluation.plan import Measure, Plan, default_plan, default_plan_text, load_plan
from linkwork.evaluation.result import Evaluation
from linkwork.evaluation.scores import ScoredMeasures, score_measures

__all__ = [
    "Disclosure",
    "Evaluation",
    "Measure",
    "Plan",
    "Progress",
    "ScoredMeasures",
    "analysis_data",
    "default_plan",
    "default_plan_text",
    "evaluate",
    "load_plan",
    "score_measures",
    "suppress_counts",
]
