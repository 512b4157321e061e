"""Synthetic data sets: the shipped demo cohort and a simulator for others.

:func:`demo_cohort` returns the item-level demo cohort (64 participants at three waves,
calibrated to the 18-month link worker social prescribing study); :func:`simulate_cohort`
makes cohorts of any size, waves, drop-out, effects and arms from the same latent-variable
model; ``python -m linkwork.datasets.simulate`` regenerates the shipped file. No real
participant data is shipped.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkwork.datasets.demo import (
        DEMO_EFFECTS,
        DEMO_PARAMETERS,
        DEMO_SEED,
        demo_cohort,
        write_demo_cohort,
    )
    from linkwork.datasets.simulate import OUTCOME_NAMES, simulate_cohort

__all__ = [
    "DEMO_EFFECTS",
    "DEMO_PARAMETERS",
    "DEMO_SEED",
    "OUTCOME_NAMES",
    "demo_cohort",
    "simulate_cohort",
    "write_demo_cohort",
]

_LAZY = {
    "DEMO_EFFECTS": "linkwork.datasets.demo",
    "DEMO_PARAMETERS": "linkwork.datasets.demo",
    "DEMO_SEED": "linkwork.datasets.demo",
    "demo_cohort": "linkwork.datasets.demo",
    "write_demo_cohort": "linkwork.datasets.demo",
    "OUTCOME_NAMES": "linkwork.datasets.simulate",
    "simulate_cohort": "linkwork.datasets.simulate",
}


def __getattr__(name: str) -> Any:
    # Lazy, so that `python -m linkwork.datasets.simulate` runs the module without a second copy.
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'linkwork.datasets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
