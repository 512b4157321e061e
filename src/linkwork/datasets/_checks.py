"""Validation of :func:`linkwork.datasets.simulate_cohort` arguments (PlanError on bad input)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linkwork.errors import PlanError

__all__ = [
    "EffectsSpec",
    "allocation_counts",
    "effect_matrix",
    "retention_counts",
    "wave_labels",
]

#: Per-outcome standardised change: a mapping wave label -> change, or a sequence with one
#: change per wave after the first.
EffectsSpec = Mapping[str, Mapping[str, float] | Sequence[float]]


def _fail(argument: str, message: str, value: Any, expected: str) -> PlanError:
    return PlanError(f"simulate_cohort({argument}=...): {message}", value=value, expected=expected)


def wave_labels(waves: Sequence[str]) -> tuple[str, ...]:
    """Wave labels as a tuple of distinct non-empty strings."""
    labels = tuple(waves) if not isinstance(waves, str) else (waves,)
    if not labels or any(not isinstance(w, str) or not w for w in labels):
        raise _fail("waves", "bad wave labels", waves, "one or more non-empty strings")
    if len(set(labels)) != len(labels):
        raise _fail("waves", "wave labels repeat", waves, "distinct labels")
    return labels


def retention_counts(attrition: Sequence[float] | None, n: int, n_waves: int) -> NDArray[np.int64]:
    """Participants present at each wave from counts (ints) or proportions of *n* (floats).

    Proportions are rounded half up to whole participants. Counts must start at *n*,
    proportions at 1, and neither may increase (drop-out is monotone).
    """
    if attrition is None:
        return np.full(n_waves, n, dtype=np.int64)
    values = list(attrition)
    expected = f"{n_waves} non-increasing values starting at n = {n} (counts) or 1.0 (proportions)"
    if len(values) != n_waves or any(
        isinstance(v, bool) or not isinstance(v, Real) for v in values
    ):
        raise _fail("attrition", "one retention value per wave", attrition, expected)
    if all(isinstance(v, Integral) for v in values):
        counts = np.asarray(values, dtype=np.int64)
    else:
        proportions = np.asarray(values, dtype=np.float64)
        if np.any((proportions < 0) | (proportions > 1)) or not np.all(np.isfinite(proportions)):
            raise _fail("attrition", "proportions outside [0, 1]", attrition, expected)
        counts = np.floor(proportions * n + 0.5).astype(np.int64)
    if counts[0] != n or np.any(np.diff(counts) > 0) or np.any(counts < 0):
        raise _fail(
            "attrition", "retention must start at everyone and never increase", attrition, expected
        )
    return counts


def effect_matrix(
    effects: EffectsSpec | None,
    waves: tuple[str, ...],
    outcomes: Sequence[str],
    argument: str = "effects",
) -> NDArray[np.float64]:
    """Outcome x wave matrix of standardised changes from baseline (first column zero)."""
    matrix = np.zeros((len(outcomes), len(waves)), dtype=np.float64)
    if effects is None:
        return matrix
    if not isinstance(effects, Mapping):
        raise _fail(argument, "not a mapping", effects, "a mapping outcome -> changes")
    for name, changes in effects.items():
        if name not in outcomes:
            raise _fail(argument, f"unknown outcome {name!r}", name, f"one of {list(outcomes)}")
        row = outcomes.index(name)
        if isinstance(changes, Mapping):
            for wave, change in changes.items():
                if wave not in waves[1:]:
                    raise _fail(
                        argument,
                        f"unknown follow-up wave for {name!r}",
                        wave,
                        f"one of {list(waves[1:])}",
                    )
                matrix[row, waves.index(wave)] = _finite(argument, change)
        elif isinstance(changes, Sequence) and not isinstance(changes, str):
            if len(changes) != len(waves) - 1:
                raise _fail(
                    argument,
                    f"wrong number of changes for {name!r}",
                    changes,
                    f"{len(waves) - 1} values, one per wave after {waves[0]!r}",
                )
            matrix[row, 1:] = [_finite(argument, c) for c in changes]
        else:
            raise _fail(
                argument,
                f"bad changes for {name!r}",
                changes,
                "a mapping wave -> change or a sequence of changes",
            )
    return matrix


def _finite(argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(float(value)):
        raise _fail(argument, "change is not a finite number", value, "a finite number")
    return float(value)


def allocation_counts(allocation: Sequence[float] | None, n: int, n_arms: int) -> NDArray[np.int64]:
    """Whole numbers of participants per arm (largest remainders), equal when *allocation* is
    None; *allocation* holds non-negative weights, one per arm."""
    weights = np.ones(n_arms) if allocation is None else np.asarray(list(allocation), dtype=float)
    if (
        weights.shape != (n_arms,)
        or np.any(weights < 0)
        or not np.isfinite(weights).all()
        or (weights.sum() <= 0)
    ):
        raise _fail(
            "allocation",
            "bad arm weights",
            allocation,
            f"{n_arms} non-negative weights, not all zero",
        )
    exact = weights / weights.sum() * n
    counts = np.floor(exact).astype(np.int64)
    short = n - int(counts.sum())
    if short:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts
