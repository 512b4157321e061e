"""Fixtures for the report: contract-shaped evaluations and their rendered reports.

The simulated evaluations come from :mod:`tests.report._cohort`; ``demo_evaluation`` runs the
real pipeline on the shipped demo cohort.
"""

from __future__ import annotations

import pytest
from tests.report._cohort import FakeEvaluation, build_evaluation


@pytest.fixture(scope="session")
def fake_evaluation() -> FakeEvaluation:
    return build_evaluation()


@pytest.fixture(scope="session")
def make_evaluation():
    return build_evaluation


@pytest.fixture(scope="session")
def demo_evaluation():
    """The real pipeline on the shipped demo cohort, with the demo's participant ids."""
    try:
        from linkwork.datasets import demo_cohort
        from linkwork.evaluation import evaluate
        from linkwork.stats import lmer  # noqa: F401  (the engine the pipeline needs)
    except ImportError as error:  # pragma: no cover - only while the pipeline is being built
        pytest.skip(f"the evaluation pipeline is not importable yet: {error}")
    cohort = demo_cohort()
    evaluation = evaluate(cohort)
    return evaluation, tuple(str(i) for i in cohort["participant_id"].unique())


@pytest.fixture(scope="session")
def fake_report(fake_evaluation) -> str:
    """The fixture evaluation's report (rendered once per test session)."""
    from linkwork.report import render_html

    return render_html(fake_evaluation)


@pytest.fixture(scope="session")
def demo_report(demo_evaluation) -> str:
    """The real demo evaluation's report (rendered once per test session)."""
    from linkwork.report import render_html

    return render_html(demo_evaluation[0])


@pytest.fixture(scope="session")
def arm_evaluation() -> FakeEvaluation:
    """Two arms (wave * arm models) and one outcome without follow-up (not estimable)."""
    return build_evaluation(arm=True, not_estimable=("trust",))


@pytest.fixture(scope="session")
def arm_report(arm_evaluation) -> str:
    from linkwork.report import render_html

    return render_html(arm_evaluation)
