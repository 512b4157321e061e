"""The latent-variable model behind the synthetic cohorts: item specifications and cut-offs.

Each outcome is a continuous latent variable, standard normal at baseline, in the direction of
the instrument's *score* (ULS-8, K6 and the single loneliness item: higher = worse; WEMWBS,
self-rated health as scored, trust and groups: higher = better). An item's latent response is
``loading * latent + sqrt(1 - loading**2) * noise`` and is cut at fixed thresholds (normal
quantiles of a baseline category distribution) into an ordinal code. Scores computed from the
items by the real scoring rules then behave like the instruments: bounded, discrete, skewed,
with ceiling and floor effects.

Nothing here is fitted to real data; the baseline category distributions are plausible values
for adults referred to social prescribing (lonely, moderately distressed, fair health).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

__all__ = [
    "OUTCOMES",
    "OUTCOME_CORRELATION",
    "RELATIONSHIP_SCALES",
    "ItemSpec",
    "cut",
]


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """How one instrument's items are generated from its latent variable.

    Attributes
    ----------
    name
        Registry name of the instrument (item columns ``<name>_1`` ...).
    n_items
        Number of items.
    low
        Lowest response code in the score direction (e.g. 1 for ULS-8, 0 for K6).
    probs
        Baseline probability of each response code, from ``low`` upwards, in the score
        direction; normalised when the thresholds are made.
    loading
        Correlation of each item's latent response with the outcome's latent variable (1 for a
        single item: the item is the latent variable, cut).
    reverse_items
        Item numbers (from 1) whose *raw* code runs against the score direction, so that
        raw = low + high - scored (ULS-8 items 3 and 6; SF-36 self-rated health).
    improves
        +1 when a higher score is better, -1 when a lower score is better.
    stability
        Share of a wave's latent variance that is a stable person level (the rest is
        wave-specific).
    responsiveness
        Standard deviation of person-specific improvement after baseline, in latent SD units,
        driven by the person's responsiveness (which the relationship measures reflect).
    """

    name: str
    n_items: int
    low: int
    probs: tuple[float, ...]
    loading: float = 1.0
    reverse_items: tuple[int, ...] = ()
    improves: int = 1
    stability: float = 0.6
    responsiveness: float = 0.0

    @property
    def high(self) -> int:
        """Highest response code."""
        return self.low + len(self.probs) - 1

    @property
    def columns(self) -> list[str]:
        """Item column names, ``<name>_1`` to ``<name>_<n_items>``."""
        return [f"{self.name}_{k}" for k in range(1, self.n_items + 1)]

    def thresholds(self) -> NDArray[np.float64]:
        """Cut-offs on the latent item scale, one per item (rows) and category boundary.

        Items differ slightly in difficulty (a fixed golden-ratio pattern of shifts up to
        0.15 latent SD) so that they are not exact copies of one another.
        """
        p = np.asarray(self.probs, dtype=np.float64)
        cumulative = np.cumsum(p / p.sum())[:-1]
        base = ndtri(cumulative)
        if self.n_items == 1:
            return base[np.newaxis, :]
        shifts = 0.3 * ((np.arange(self.n_items) * 0.6180339887) % 1.0 - 0.5)
        return base[np.newaxis, :] + shifts[:, np.newaxis]


def cut(
    latent: NDArray[np.float64], thresholds: NDArray[np.float64], low: int
) -> NDArray[np.int64]:
    """Ordinal codes ``low + number of thresholds below latent`` (vectorised over rows)."""
    codes = (latent[:, np.newaxis] > thresholds[np.newaxis, :]).sum(axis=1)
    return codes.astype(np.int64) + low


def _discretised_normal(n_categories: int, mean: float, sd: float) -> tuple[float, ...]:
    from scipy.special import ndtr

    edges = (np.arange(1, n_categories) - 0.5 - mean) / sd
    cdf = np.concatenate([[0.0], ndtr(edges), [1.0]])
    return tuple(float(x) for x in np.diff(cdf))


#: Outcomes that change over time, in column order. Keys of ``effects``.
OUTCOMES: tuple[ItemSpec, ...] = (
    ItemSpec(
        "ons_loneliness",
        1,
        low=1,
        probs=(0.04, 0.10, 0.24, 0.32, 0.30),
        improves=-1,
        responsiveness=0.7,
    ),
    ItemSpec(
        "uls8",
        8,
        low=1,
        probs=(0.10, 0.27, 0.35, 0.28),
        loading=0.75,
        reverse_items=(3, 6),
        improves=-1,
        responsiveness=0.7,
    ),
    ItemSpec(
        "k6",
        6,
        low=0,
        probs=(0.17, 0.30, 0.28, 0.17, 0.08),
        loading=0.75,
        improves=-1,
        responsiveness=0.6,
    ),
    ItemSpec(
        "wemwbs",
        14,
        low=1,
        probs=(0.08, 0.25, 0.37, 0.22, 0.08),
        loading=0.7,
        responsiveness=0.3,
    ),
    # Scored 1 = Poor ... 5 = Excellent; the raw SF-36 code is 6 - score.
    ItemSpec(
        "srh",
        1,
        low=1,
        probs=(0.14, 0.34, 0.33, 0.15, 0.04),
        reverse_items=(1,),
        responsiveness=0.3,
    ),
    ItemSpec("trust", 1, low=0, probs=_discretised_normal(11, 5.0, 2.4), responsiveness=0.2),
    ItemSpec(
        "groups",
        1,
        low=0,
        probs=(0.11, 0.22, 0.25, 0.17, 0.10, 0.065, 0.04, 0.02, 0.012, 0.008, 0.005),
        stability=0.7,
        responsiveness=0.3,
    ),
)

#: Correlation of the outcomes' latent variables (score directions), same order as OUTCOMES.
OUTCOME_CORRELATION: NDArray[np.float64] = np.array(
    [
        # ons   uls8   k6    wemwbs srh   trust groups
        [1.00, 0.65, 0.40, -0.40, -0.20, -0.20, -0.25],
        [0.65, 1.00, 0.45, -0.50, -0.25, -0.25, -0.30],
        [0.40, 0.45, 1.00, -0.60, -0.35, -0.15, -0.10],
        [-0.40, -0.50, -0.60, 1.00, 0.35, 0.25, 0.20],
        [-0.20, -0.25, -0.35, 0.35, 1.00, 0.10, 0.10],
        [-0.20, -0.25, -0.15, 0.25, 0.10, 1.00, 0.15],
        [-0.25, -0.30, -0.10, 0.20, 0.10, 0.15, 1.00],
    ]
)

#: Relationship scales (1-7 agreement, higher = better), measured at the first waves only.
RELATIONSHIP_SCALES: tuple[ItemSpec, ...] = (
    ItemSpec(
        "lw_relationship",
        5,
        low=1,
        probs=(0.02, 0.03, 0.06, 0.12, 0.24, 0.30, 0.23),
        loading=0.8,
    ),
    ItemSpec(
        "facilitator_belonging",
        4,
        low=1,
        probs=(0.03, 0.04, 0.08, 0.15, 0.25, 0.27, 0.18),
        loading=0.8,
    ),
)
