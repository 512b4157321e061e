"""The synthetic demo cohort shipped with linkwork, calibrated to the 18-month LWSP study.

The file ``demo_cohort.csv`` next to this module is ``simulate_cohort(**DEMO_PARAMETERS)``
written by :func:`write_demo_cohort` (or ``python -m linkwork.datasets.simulate``); a test
regenerates it and fails if the shipped file differs. No real participant data is involved.

Calibration targets (Sharman et al. 2025, BMC Primary Care, abstract; see the project's
reference notes): n = 64 / 50 / 30 at T1 / T2 / T3 with drop-out related to baseline
loneliness and distress; mean age about 53.6; 5 sites; meaningful groups median 2 / 3 / 3;
large improvements in loneliness (single item and ULS-8) at T2 and T3; a moderate-to-large
fall in K6 distress by T3; better self-rated health; little change in WEMWBS and trust (not
significant in ``score ~ wave + (1 | participant)``); relationship with the link worker and
facilitator belonging at T2 correlated about .4 with T1 -> T3 improvement, at T1 about 0.

The model parameters (:data:`DEMO_EFFECTS` and the defaults of
:func:`~linkwork.datasets.simulate_cohort`) give these targets in expectation; a sample of 64
scatters around them, so :data:`DEMO_SEED` was chosen by searching seeds 0-150,000: about one
seed in 10,000 gave a sample meeting every bound of ``tests/datasets/test_demo.py`` (and
lme4/lmerTest significance as published), and the seed with the widest margin to those bounds
was taken. The tests check the shipped sample with linkwork's own scoring.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from linkwork.datasets.simulate import simulate_cohort

__all__ = [
    "DEMO_EFFECTS",
    "DEMO_PARAMETERS",
    "DEMO_PATH",
    "DEMO_SEED",
    "demo_cohort",
    "demo_cohort_text",
    "write_demo_cohort",
]

#: Latent standardised changes at T2 and T3 (score direction) used for the demo cohort.
DEMO_EFFECTS: MappingProxyType[str, tuple[float, float]] = MappingProxyType(
    {
        "ons_loneliness": (-1.0, -1.15),
        "uls8": (-1.0, -1.2),
        "k6": (-0.45, -0.9),
        "wemwbs": (0.1, 0.12),
        "srh": (0.3, 0.5),
        "trust": (0.08, 0.05),
        "groups": (0.45, 0.4),
    }
)

#: Seed of the demo cohort (see the module notes on how it was chosen).
DEMO_SEED = 31136

#: Keyword arguments of :func:`linkwork.datasets.simulate_cohort` that make the demo cohort.
DEMO_PARAMETERS: MappingProxyType[str, Any] = MappingProxyType(
    {
        "n": 64,
        "waves": ("T1", "T2", "T3"),
        "attrition": (64, 50, 30),
        "effects": DEMO_EFFECTS,
        "seed": DEMO_SEED,
        "sites": 5,
        "link_workers_per_site": (3, 2, 3, 2, 2),
        "item_missing": MappingProxyType({"k6": 0.008, "uls8": 0.003}),
    }
)

#: Where the shipped demo file lives in the source tree (written by :func:`write_demo_cohort`).
DEMO_PATH = Path(__file__).with_name("demo_cohort.csv")

_TEXT_COLUMNS = ("participant_id", "site", "link_worker", "gender", "arm")


def demo_cohort() -> pd.DataFrame:
    """The synthetic demo cohort: 64 participants, item-level, long format.

    Read from the file shipped in the package (no simulation at import or call time), with the
    dtypes of :func:`linkwork.datasets.simulate_cohort`: ``wave`` ordered categorical
    T1 < T2 < T3, ``date`` datetime64[ns], ``age`` int64, text columns as strings and every
    item column nullable ``Int64`` (``<NA>`` = item not answered, or relationship scales at T3
    where they were not measured).

    Returns
    -------
    pandas.DataFrame
        144 rows (64 + 50 + 30) and the columns participant_id, wave, date, site, link_worker,
        age, gender, ons_loneliness_1, uls8_1..8, k6_1..6, wemwbs_1..14, srh_1, trust_1,
        groups_1, lw_relationship_1..5, facilitator_belonging_1..4.

    Notes
    -----
    The file is checked against ``simulate_cohort(**DEMO_PARAMETERS)`` by the tests; the
    calibration figures are validated with :mod:`linkwork.instruments` scoring and R lmerTest.

    Examples
    --------
    >>> cohort = demo_cohort()
    >>> cohort.groupby("wave", observed=True)["participant_id"].nunique().tolist()
    [64, 50, 30]
    >>> str(cohort["wave"].dtype), str(cohort["k6_1"].dtype)
    ('category', 'Int64')
    """
    source = resources.files("linkwork.datasets").joinpath("demo_cohort.csv")
    with source.open("r", encoding="utf-8") as handle:
        return _read_cohort_csv(handle, waves=DEMO_PARAMETERS["waves"])


def _read_cohort_csv(source: Any, waves: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV written by :func:`demo_cohort_text` back with the simulator's dtypes."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    columns: dict[str, Any] = {}
    for name in frame.columns:
        text = frame[name]
        if name in _TEXT_COLUMNS:
            columns[name] = text.astype("str")
        elif name == "wave":
            columns[name] = pd.Categorical(text, categories=list(waves), ordered=True)
        elif name == "date":
            columns[name] = pd.to_datetime(text, format="%Y-%m-%d").astype("datetime64[ns]")
        elif name == "age":
            columns[name] = text.astype("int64")
        else:
            columns[name] = pd.to_numeric(text.mask(text == "")).astype("Int64")
    return pd.DataFrame(columns)


def demo_cohort_text() -> str:
    """The demo cohort as CSV text, freshly simulated (what the shipped file must contain)."""
    frame = simulate_cohort(**DEMO_PARAMETERS)
    return str(frame.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n"))


def write_demo_cohort(path: str | Path | None = None) -> Path:
    """Simulate the demo cohort and write it as CSV (default: the shipped :data:`DEMO_PATH`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = DEMO_PATH if path is None else Path(path)
    target.write_text(demo_cohort_text(), encoding="utf-8")
    return target
