"""The evaluation report: one self-contained HTML file a GP or commissioner can read.

:func:`render_html` turns an evaluation (see :class:`EvaluationLike`: its tidy ``tables``,
``meta``, ``plan`` and anonymous ``trajectories``) into an HTML document with inline CSS and
inline SVG figures: no scripts, fonts or other external resources, so it opens offline and
prints to PDF (A4, sensible page breaks). It computes no statistics: every number comes from
the evaluation's tables and is rounded only here, for presentation.
"""

from __future__ import annotations

from linkwork.report._source import EvaluationLike
from linkwork.report.document import SECTIONS, render

__all__ = ["SECTIONS", "EvaluationLike", "render_html"]


def render_html(evaluation: EvaluationLike) -> str:
    """Render the evaluation report as a self-contained HTML document.

    Parameters
    ----------
    evaluation
        An :class:`linkwork.evaluation.Evaluation`, or any object with the attributes of
        :class:`EvaluationLike`: ``tables`` (the contract's tidy tables: flow, descriptives,
        attrition, groups, models, anova, emmeans, contrasts, correlations, estimability,
        exclusions, scoring, sites), ``meta`` (versions, data hash, waves, outcome titles and
        directions, d formula, suppression settings), ``plan`` (with ``to_toml()``) and
        ``trajectories`` (outcome, trajectory, wave, value; anonymous trajectory numbers).

    Returns
    -------
    str
        The HTML document. Missing tables are reported as not available; outcomes that could
        not be modelled are shown as not estimable with the reason.

    Notes
    -----
    Checked in the tests by parsing the HTML (every section, one ``<svg>`` per outcome, no
    external ``src``/``href``, no participant identifier of the input, suppressed cells shown as
    suppressed) and by opening it in headless Chromium (no console errors, figures laid out).
    """
    return render(evaluation)
