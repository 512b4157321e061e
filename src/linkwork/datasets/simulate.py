"""Simulate item-level social prescribing cohorts in the long format.

``python -m linkwork.datasets.simulate`` regenerates the shipped demo cohort file
(``--check`` only compares; ``--out PATH`` writes elsewhere).

The model, per participant *i*, outcome *o* and wave *t* (latent SD 1 at baseline, in the
direction of the instrument's score)::

    latent[i, o, t] = site[o] + effect[arm, o, t]
        + (sqrt(s_o) * person[i, o] + sqrt(1 - s_o) * occasion[i, o, t]
           + (t > 0) * improves_o * g_o * responsiveness[i]) / sqrt(1 + (t > 0) * g_o**2)

``person`` and ``occasion`` are multivariate normal with the correlation matrix of
:mod:`linkwork.datasets._latent`; the divisor keeps the latent variance 1 at every wave, so the
expected change is exactly ``effect`` even on bounded items; site and link worker deviations
sum to zero. ``responsiveness`` is standard normal (person plus link
worker level) and is what the relationship scales measured after baseline reflect, so a better
relationship goes with more improvement; at baseline the relationship scales are unrelated to
it. Items are cut from the latent variables at fixed thresholds (ordered-probit items), so
scores follow the instruments' own scoring rules. Drop-out is monotone and depends on baseline
loneliness (ULS-8) and distress (K6): each wave's leavers are a sample without replacement with
odds ``exp(dropout_weight * baseline distress composite)`` (Gumbel top-k), which gives exact
counts; it is (nearly) missing at random given the baseline scores, not completely at random.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from linkwork.datasets._checks import (
    EffectsSpec,
    allocation_counts,
    effect_matrix,
    retention_counts,
    wave_labels,
)
from linkwork.datasets._latent import OUTCOME_CORRELATION, OUTCOMES, RELATIONSHIP_SCALES, cut
from linkwork.errors import PlanError

__all__ = ["OUTCOME_NAMES", "simulate_cohort"]

#: Outcome names accepted as keys of ``effects`` and ``item_missing``.
OUTCOME_NAMES: tuple[str, ...] = tuple(spec.name for spec in OUTCOMES)
_SCALE_NAMES = OUTCOME_NAMES + tuple(spec.name for spec in RELATIONSHIP_SCALES)
_SITE_SD = 0.15  # site differences in baseline level, latent SD units
_LINK_WORKER_SD = 0.3  # link worker differences in responsiveness
_RELATIONSHIP_STABILITY = 0.3  # weight of the stable relationship disposition after baseline
_GENDERS = np.array(["female", "male", "non-binary"])
_GENDER_PROBS = (0.60, 0.38, 0.02)


def simulate_cohort(
    n: int = 64,
    waves: Sequence[str] = ("T1", "T2", "T3"),
    attrition: Sequence[float] | None = None,
    effects: EffectsSpec | None = None,
    seed: int | np.random.Generator | None = None,
    *,
    arms: Mapping[str, EffectsSpec] | None = None,
    allocation: Sequence[float] | None = None,
    sites: int = 5,
    link_workers_per_site: int | Sequence[int] = 2,
    dropout_weight: float = 0.6,
    item_missing: Mapping[str, float] | None = None,
    relationship_waves: Sequence[str] | None = None,
    relationship_strength: float = 0.85,
    schedule_days: Sequence[int] = (0, 56, 548),
    jitter_days: int = 4,
    enrolment: tuple[str, str] = ("2021-01-01", "2022-12-31"),
    age_mean: float = 53.6,
    age_sd: float = 14.0,
) -> pd.DataFrame:
    """Simulate a synthetic item-level cohort in linkwork's long format.

    Parameters
    ----------
    n
        Participants at baseline.
    waves
        Wave labels in time order; the first is baseline.
    attrition
        Retention per wave including baseline: counts (ints, starting at *n*) or proportions of
        *n* (floats, starting at 1.0), non-increasing. None: nobody drops out.
    effects
        Standardised change from baseline per outcome (keys from :data:`OUTCOME_NAMES`): a
        mapping wave label -> change or a sequence with one change per follow-up wave. Changes
        are in latent SD units and in the direction of the score (negative = less lonely /
        distressed); observed score changes are somewhat smaller (items are coarse and
        noisy). Outcomes left out do not change on average. Not allowed with *arms*.
    seed
        Seed or :class:`numpy.random.Generator`; equal seeds give equal cohorts.
    arms
        Optional arm label -> effects (as *effects*); adds an ``arm`` column.
    allocation
        Weights of the arms (default equal); counts are whole (largest remainders).
    sites, link_workers_per_site
        Number of sites and link workers per site (one number or one per site); participants
        are nested in link workers within sites. Link workers differ in how much their
        participants improve.
    dropout_weight
        Log odds of leaving per SD of the baseline loneliness/distress composite (0 = drop-out
        completely at random).
    item_missing
        Instrument name -> probability that any one item response is missing (at random).
    relationship_waves
        Waves at which ``lw_relationship`` and ``facilitator_belonging`` are measured; default
        the first two waves.
    relationship_strength
        Correlation of the relationship scales' latent variables after baseline with the
        participant's responsiveness (at most 0.95).
    schedule_days, jitter_days
        Days from enrolment to each wave (default 0, 8 weeks, 18 months) and the largest
        random deviation (uniform, in whole days) at follow-up waves.
    enrolment
        First and last possible enrolment date (ISO), drawn uniformly.
    age_mean, age_sd
        Normal age distribution, rounded and limited to 18-95.

    Returns
    -------
    pandas.DataFrame
        One row per participant x attended wave, ordered by enrolment: ``participant_id``
        (random codes like ``"P7F3A2"``), ``wave`` (ordered categorical), ``date``
        (datetime64[ns]), ``arm`` (with *arms* only), ``site``, ``link_worker``, ``age``
        (int64), ``gender`` and the item columns ``ons_loneliness_1``, ``uls8_1..8`` (raw,
        items 3 and 6 reverse-keyed), ``k6_1..6`` (0-4), ``wemwbs_1..14``, ``srh_1`` (raw SF-36
        coding, 1 = Excellent), ``trust_1``, ``groups_1``, ``lw_relationship_1..5`` and
        ``facilitator_belonging_1..4`` as nullable ``Int64`` (``<NA>`` = missing item or not
        measured at that wave).

    Raises
    ------
    linkwork.PlanError
        For an impossible argument, naming it and what was expected.

    Notes
    -----
    Validated by the calibration tests in ``tests/datasets`` (scores from
    :mod:`linkwork.instruments`): sizes, drop-out pattern, standardised changes, correlations.

    Examples
    --------
    >>> cohort = simulate_cohort(200, attrition=(1.0, 0.8, 0.5), seed=1)
    >>> cohort.groupby("wave", observed=True).size().tolist()
    [200, 160, 100]
    >>> two = simulate_cohort(100, seed=2, arms={"lwsp": {"uls8": (-0.8, -0.9)}, "usual": {}})
    >>> two.drop_duplicates("participant_id")["arm"].value_counts().sort_index().tolist()
    [50, 50]
    """
    rng = np.random.default_rng(seed)
    n = _whole("n", n, minimum=1)
    labels = wave_labels(waves)
    k = len(labels)
    retained = retention_counts(attrition, n, k)
    if arms is not None and effects is not None:
        raise PlanError(
            "simulate_cohort: give effects per arm in arms=, not also effects=",
            value="effects and arms",
            expected="one of them",
        )
    arm_labels = tuple(arms) if arms is not None else ()
    if arms is not None and (not arm_labels or any(not isinstance(a, str) for a in arm_labels)):
        raise PlanError(
            "simulate_cohort(arms=...): bad arm labels",
            value=arms,
            expected="a mapping of arm label strings -> effects",
        )
    effect = (
        np.stack([effect_matrix(arms[a], labels, OUTCOME_NAMES, "arms") for a in arm_labels])
        if arms is not None
        else effect_matrix(effects, labels, OUTCOME_NAMES)[np.newaxis]
    )
    per_site = _link_workers(link_workers_per_site, _whole("sites", sites, minimum=1))
    rel_waves = _relationship_waves(relationship_waves, labels)
    schedule = _schedule(schedule_days, k)
    missing = _item_missing(item_missing)
    if not 0.0 <= relationship_strength <= 0.95:
        raise PlanError(
            "simulate_cohort(relationship_strength=...): out of range",
            value=relationship_strength,
            expected="a number in [0, 0.95]",
        )
    if not math.isfinite(dropout_weight):
        raise PlanError(
            "simulate_cohort(dropout_weight=...): not finite",
            value=dropout_weight,
            expected="a finite number",
        )
    jitter_days = _whole("jitter_days", jitter_days, minimum=0)
    if not (math.isfinite(age_mean) and math.isfinite(age_sd) and age_sd >= 0):
        raise PlanError(
            "simulate_cohort(age_mean=..., age_sd=...): bad age distribution",
            value=(age_mean, age_sd),
            expected="a finite mean and a finite SD >= 0",
        )
    try:
        start, end = (np.datetime64(d, "D") for d in enrolment)
    except (TypeError, ValueError):
        raise PlanError(
            "simulate_cohort(enrolment=...): not two dates",
            value=enrolment,
            expected="(first date, last date) as ISO strings",
        ) from None
    if end < start:
        raise PlanError(
            "simulate_cohort(enrolment=...): ends before it starts",
            value=enrolment,
            expected="(first date, last date)",
        )

    # Structure: arm, site, link worker.
    counts = allocation_counts(allocation, n, len(arm_labels)) if arms is not None else None
    arm = (
        rng.permutation(np.repeat(np.arange(len(counts)), counts))
        if counts is not None
        else (np.zeros(n, dtype=np.int64))
    )
    site = rng.integers(0, len(per_site), n)
    offsets = np.concatenate([[0], np.cumsum(per_site)[:-1]])
    worker = offsets[site] + np.floor(rng.random(n) * per_site[site]).astype(np.int64)

    # Latent outcomes: (wave, participant, outcome).
    n_out = len(OUTCOMES)
    chol = np.linalg.cholesky(OUTCOME_CORRELATION)
    # Site and link worker deviations sum to zero, so that *effects* are the expected changes.
    site_level = rng.normal(0.0, _SITE_SD, (len(per_site), n_out))
    site_level -= site_level.mean(axis=0)
    worker_level = rng.normal(0.0, _LINK_WORKER_SD, int(per_site.sum()))
    worker_level -= worker_level.mean()
    responsive = (rng.standard_normal(n) + worker_level[worker]) / math.hypot(1.0, _LINK_WORKER_SD)
    person = rng.standard_normal((n, n_out)) @ chol.T
    occasion = rng.standard_normal((k, n, n_out)) @ chol.T
    stability = np.array([s.stability for s in OUTCOMES])
    spread = np.array([s.responsiveness for s in OUTCOMES])
    change = np.array([s.improves for s in OUTCOMES]) * spread
    after = (np.arange(k) > 0).astype(np.float64)
    # Follow-up waves are rescaled to variance 1 so that heterogeneous change does not move
    # the mean of bounded item scores: the expected latent change is exactly the effect.
    rescale = 1.0 / np.sqrt(1.0 + np.outer(after, spread**2))[:, np.newaxis, :]
    latent = (
        site_level[site][np.newaxis]
        + rescale
        * (
            np.sqrt(stability) * person[np.newaxis]
            + np.sqrt(1.0 - stability) * occasion
            + after[:, np.newaxis, np.newaxis] * responsive[np.newaxis, :, np.newaxis] * change
        )
        + np.transpose(effect[arm], (2, 0, 1))
    )

    # Relationship scales: unrelated to responsiveness at baseline, related afterwards.
    disposition = rng.standard_normal((n, len(RELATIONSHIP_SCALES)))
    rel_noise = rng.standard_normal((k, n, len(RELATIONSHIP_SCALES)))
    a, c = _RELATIONSHIP_STABILITY, relationship_strength
    rest = math.sqrt(max(0.0, 1.0 - a * a - c * c))
    rel_latent = a * disposition + c * responsive[:, np.newaxis] + rest * rel_noise
    rel_latent[0] = disposition

    # Items: instrument -> (wave, participant, item) raw codes.
    items: dict[str, NDArray[np.int64]] = {}
    for specs, values in ((OUTCOMES, latent), (RELATIONSHIP_SCALES, rel_latent)):
        for j, spec in enumerate(specs):
            noise = rng.standard_normal((k, n, spec.n_items))
            x = spec.loading * values[:, :, j, np.newaxis] + math.sqrt(1 - spec.loading**2) * noise
            x = x.reshape(k * n, spec.n_items)
            thresholds = spec.thresholds()
            codes = np.column_stack(
                [cut(x[:, q], thresholds[q], spec.low) for q in range(spec.n_items)]
            )
            for q in spec.reverse_items:
                codes[:, q - 1] = spec.low + spec.high - codes[:, q - 1]
            items[spec.name] = codes.reshape(k, n, spec.n_items)
    holes = {name: rng.random(items[name].shape) < p for name, p in missing.items()}

    # Monotone drop-out driven by baseline loneliness (ULS-8) and distress (K6).
    u, d = OUTCOME_NAMES.index("uls8"), OUTCOME_NAMES.index("k6")
    composite = (latent[0, :, u] + latent[0, :, d]) / math.sqrt(
        2.0 + 2.0 * OUTCOME_CORRELATION[u, d]
    )
    keys = dropout_weight * composite + rng.gumbel(size=n)
    position = np.empty(n, dtype=np.int64)
    position[np.argsort(keys, kind="stable")] = np.arange(n)
    n_waves = (position[:, np.newaxis] < retained[np.newaxis, :]).sum(axis=1)

    # Participant-level covariates, dates and pseudonymous ids.
    enrolled = start + rng.integers(0, int((end - start).astype(np.int64)) + 1, n)
    jitter = rng.integers(-jitter_days, jitter_days + 1, (n, k)) * after.astype(np.int64)
    dates = enrolled[:, np.newaxis] + schedule[np.newaxis, :] + jitter
    age = np.clip(np.rint(rng.normal(age_mean, age_sd, n)), 18, 95).astype(np.int64)
    gender = _GENDERS[rng.choice(len(_GENDERS), size=n, p=_GENDER_PROBS)]
    ids = _pseudonyms(rng, n)

    # Long rows: participants in enrolment order, their attended waves in order.
    order = np.lexsort((ids, enrolled))
    p = np.repeat(order, n_waves[order])
    w = np.arange(len(p)) - np.repeat(np.cumsum(n_waves[order]) - n_waves[order], n_waves[order])
    columns: dict[str, object] = {
        "participant_id": pd.array(ids[p], dtype="str"),
        "wave": pd.Categorical.from_codes(w, dtype=pd.CategoricalDtype(list(labels), ordered=True)),
        "date": pd.array(dates[p, w].astype("datetime64[ns]")),
    }
    if arms is not None:
        columns["arm"] = pd.array(np.asarray(arm_labels, dtype=object)[arm[p]], dtype="str")
    site_names = np.array([f"S{s + 1}" for s in range(len(per_site))])
    worker_names = np.array([f"LW{v + 1:02d}" for v in range(int(per_site.sum()))])
    columns["site"] = pd.array(site_names[site[p]], dtype="str")
    columns["link_worker"] = pd.array(worker_names[worker[p]], dtype="str")
    columns["age"] = age[p]
    columns["gender"] = pd.array(gender[p], dtype="str")
    measured = np.isin(np.arange(k), [labels.index(r) for r in rel_waves])
    for spec in (*OUTCOMES, *RELATIONSHIP_SCALES):
        codes = items[spec.name][w, p]
        mask = holes[spec.name][w, p] if spec.name in holes else np.zeros(codes.shape, bool)
        if spec in RELATIONSHIP_SCALES:
            mask = mask | ~measured[w][:, np.newaxis]
        for q, column in enumerate(spec.columns):
            columns[column] = pd.arrays.IntegerArray(codes[:, q].copy(), mask[:, q].copy())
    return pd.DataFrame(columns)


def _whole(argument: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise PlanError(
            f"simulate_cohort({argument}=...): not a whole number >= {minimum}",
            value=value,
            expected=f"an integer >= {minimum}",
        )
    return int(value)


def _link_workers(per_site: int | Sequence[int], sites: int) -> NDArray[np.int64]:
    values = [per_site] * sites if isinstance(per_site, int | np.integer) else list(per_site)
    if len(values) != sites or any(
        isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1 for v in values
    ):
        raise PlanError(
            "simulate_cohort(link_workers_per_site=...): bad numbers",
            value=per_site,
            expected=f"an integer >= 1, or {sites} of them",
        )
    return np.asarray(values, dtype=np.int64)


def _relationship_waves(waves: Sequence[str] | None, labels: tuple[str, ...]) -> tuple[str, ...]:
    if waves is None:
        return labels[:2]
    chosen = (waves,) if isinstance(waves, str) else tuple(waves)
    unknown = [w for w in chosen if w not in labels]
    if unknown:
        raise PlanError(
            "simulate_cohort(relationship_waves=...): unknown wave",
            value=unknown[0],
            expected=f"labels from {list(labels)}",
        )
    return chosen


def _schedule(days: Sequence[int], k: int) -> NDArray[np.timedelta64]:
    values = list(days)
    if len(values) != k or any(
        isinstance(v, bool) or not isinstance(v, int | np.integer) for v in values
    ):
        raise PlanError(
            "simulate_cohort(schedule_days=...): one day offset per wave",
            value=days,
            expected=f"{k} whole numbers of days from enrolment",
        )
    return np.asarray(values, dtype=np.int64).astype("timedelta64[D]")


def _item_missing(item_missing: Mapping[str, float] | None) -> dict[str, float]:
    result: dict[str, float] = {}
    for name, p in (item_missing or {}).items():
        if name not in _SCALE_NAMES:
            raise PlanError(
                "simulate_cohort(item_missing=...): unknown instrument",
                value=name,
                expected=f"one of {list(_SCALE_NAMES)}",
            )
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise PlanError(
                f"simulate_cohort(item_missing=...): bad probability for {name!r}",
                value=p,
                expected="a probability in [0, 1]",
            )
        result[name] = float(p)
    return result


def _pseudonyms(rng: np.random.Generator, n: int) -> NDArray[np.str_]:
    """Unique random codes 'P' + hex digits (at least 5, more for large n): no information."""
    digits = max(5, math.ceil(math.log(max(n, 2) * 1000, 16)))
    codes = rng.choice(16**digits, size=n, replace=False)
    return np.array([f"P{c:0{digits}X}" for c in codes.tolist()])


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate (or with ``--check`` verify) the shipped demo cohort file."""
    from linkwork.datasets.demo import DEMO_PATH, demo_cohort_text, write_demo_cohort

    parser = argparse.ArgumentParser(
        prog="python -m linkwork.datasets.simulate",
        description=("Regenerate the demo cohort CSV from simulate_cohort(**DEMO_PARAMETERS)."),
    )
    parser.add_argument("--out", default=None, help=f"file to write (default {DEMO_PATH})")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the shipped file differs"
    )
    args = parser.parse_args(argv)
    if args.check:
        same = DEMO_PATH.read_text(encoding="utf-8") == demo_cohort_text()
        print(f"{DEMO_PATH}: {'up to date' if same else 'STALE, regenerate it'}")
        return 0 if same else 1
    path = write_demo_cohort(args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through main() in the tests
    raise SystemExit(main())
