"""The cohort as the analyses see it: waves resolved against the plan, flow, sites, trajectories.

:func:`prepare` checks the data against the plan and returns the analysis frame (participant,
wave as an ordered categorical in the plan's order, design columns and scores). The other
functions build the programme-level tables that do not need a model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from linkwork.errors import DataFormatError, PlanError
from linkwork.evaluation.disclosure import suppress_counts
from linkwork.evaluation.plan import Plan

__all__ = [
    "MAX_TRAJECTORIES",
    "MAX_WAVES",
    "Cohort",
    "check_covariates",
    "check_keys",
    "data_hash",
    "flow_from_counts",
    "flow_table",
    "prepare",
    "resolve_waves",
    "sites_from_counts",
    "sites_table",
    "trajectories_table",
    "wave_masks",
]

ID = "participant_id"
WAVE = "wave"
FLOW_COLUMNS = ["stage", "wave", "n", "lost", "reason", "outcome"]
SITES_COLUMNS = ["site", "wave", "n", "suppressed"]
TRAJECTORY_COLUMNS = ["outcome", "trajectory", "wave", "value"]
#: Most waves an evaluation handles (wave-presence patterns are 64-bit integers).
MAX_WAVES = 62
#: Most individual trajectories drawn per outcome (a figure of more lines shows nothing more).
MAX_TRAJECTORIES = 500


@dataclass(frozen=True, slots=True)
class Cohort:
    """The analysis frame and what was resolved about it.

    Attributes
    ----------
    data
        participant_id (str), wave (ordered categorical, the plan's wave order), the design
        columns present (arm, site, covariates, attrition variables) and one float column per
        scored measure.
    plan
        The plan with its waves resolved against the data.
    observed
        Waves with at least one row, in order.
    last
        The last observed wave (completers are observed there).
    arm
        The arm column when the data have two or more arms, else ``None``.
    notes
        Plain-language notes on choices made (e.g. a one-armed arm column ignored).
    """

    data: pd.DataFrame
    plan: Plan
    observed: tuple[str, ...]
    last: str
    arm: str | None
    notes: tuple[str, ...]

    @property
    def participants(self) -> int:
        """Number of participants in the data."""
        return int(self.data[ID].nunique())


def _data_levels(wave: pd.Series) -> list[str]:
    if isinstance(wave.dtype, pd.CategoricalDtype):
        return [str(c) for c in wave.cat.categories]
    return sorted(str(v) for v in wave.dropna().unique())


def resolve_waves(plan: Plan, wave: pd.Series, *, adapt: bool) -> Plan:
    """*plan* with its waves resolved against the data's wave column (or its distinct values).

    With *adapt* (the default plan), waves the plan does not know replace the plan's own.
    """
    levels = _data_levels(wave)
    seen = {str(v) for v in wave.dropna().unique()}
    if not plan.waves:
        order = tuple(levels)
    else:
        order = plan.waves
        unknown = sorted(seen - set(order))
        if unknown and adapt:
            # The default plan's T1/T2/T3 do not fit this data: take the data's own waves.
            order = tuple(levels)
            kept = {w: lab for w, lab in plan.wave_labels.items() if w in order}
            predictors = tuple(
                replace(p, waves=tuple(w for w in p.waves if w in order)) for p in plan.predictors
            )
            plan = replace(plan, baseline="", wave_labels=kept, predictors=predictors)
        elif unknown:
            raise PlanError(
                "the data have wave labels that the plan's waves.order does not list",
                file=plan.source,
                value=unknown,
                expected=f"waves from {list(order)} (or edit waves.order)",
            )
    if len(order) > MAX_WAVES:
        raise PlanError(
            "too many waves: the participant flow records each participant's waves as bits",
            file=plan.source,
            value=len(order),
            expected=f"at most {MAX_WAVES} waves",
        )
    baseline = plan.baseline if plan.baseline in order else (order[0] if order else "")
    if plan.baseline and plan.baseline not in order:
        raise PlanError(
            "waves.baseline is not one of the waves",
            file=plan.source,
            value=plan.baseline,
            expected=f"one of {list(order)}",
        )
    return replace(plan, waves=tuple(order), baseline=baseline)


def check_keys(columns: tuple[str, ...], where: str = "") -> None:
    """Refuse long data without ``participant_id`` and ``wave`` (*where*: the source)."""
    for column in (ID, WAVE):
        if column not in columns:
            raise DataFormatError(
                f"{where + ': ' if where else ''}the long data need this column",
                column=column,
                expected="one row per participant x wave with participant_id and wave",
            )


def check_covariates(plan: Plan, columns: tuple[str, ...]) -> None:
    """Refuse a plan whose covariates are not columns of the data."""
    for column in plan.covariates:
        if column not in columns:
            raise PlanError(
                "design.covariates names a column that is not in the data",
                file=plan.source,
                value=column,
                expected=f"columns of the data: {list(columns)[:12]}...",
            )


def prepare(frame: pd.DataFrame, plan: Plan, scores: pd.DataFrame, *, adapt: bool) -> Cohort:
    """Check *frame* against *plan* and build the analysis frame.

    Parameters
    ----------
    frame
        Long data with ``participant_id`` and ``wave``.
    plan
        The analysis plan; with ``adapt`` (the default plan was used) waves the plan does not
        know are taken from the data instead of being an error.
    scores
        Scored measures indexed like *frame*.
    """
    check_keys(tuple(frame.columns))
    if frame[ID].isna().any() or frame[WAVE].isna().any():
        column = ID if frame[ID].isna().any() else WAVE
        row = frame.index[frame[column].isna().to_numpy()][0]
        raise DataFormatError("missing value in a key column", row=row, column=column)
    if frame.duplicated([ID, WAVE]).any():
        row = frame.index[frame.duplicated([ID, WAVE]).to_numpy()][0]
        raise DataFormatError(
            "duplicate participant x wave row",
            row=row,
            column=ID,
            value=(frame.at[row, ID], str(frame.at[row, WAVE])),
            expected="one row per wave",
        )
    plan = resolve_waves(plan, frame[WAVE], adapt=adapt)
    data = pd.DataFrame(
        {
            ID: frame[ID].astype("string").astype(object).to_numpy(),
            WAVE: pd.Categorical(
                frame[WAVE].astype("string").astype(object),
                categories=list(plan.waves),
                ordered=True,
            ),
        },
        index=frame.index,
    )
    notes: list[str] = []
    check_covariates(plan, tuple(frame.columns))
    extra = [plan.arm, plan.site, *plan.covariates, *plan.attrition]
    for column in dict.fromkeys(c for c in extra if c and c in frame.columns):
        if column not in data.columns:
            data[column] = frame[column]
    for column in scores.columns:
        data[column] = scores[column]
    arm = None
    if plan.arm and plan.arm in data.columns:
        arms = data[plan.arm].dropna().unique()
        if len(arms) >= 2:
            arm = plan.arm
        else:
            notes.append(f"the arm column {plan.arm!r} has one arm only: models use wave alone")
    present = data[WAVE].dropna()
    observed = tuple(w for w in plan.waves if (present == w).any())
    last = observed[-1] if observed else ""
    data = data.sort_values([ID, WAVE], kind="stable").reset_index(drop=True)
    return Cohort(data, plan, observed, last, arm, tuple(notes))


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the canonical long data: rows by participant and wave, columns by name, CSV.

    Examples
    --------
    >>> a = pd.DataFrame({"participant_id": ["b", "a"], "wave": ["T1", "T1"], "x": [1.5, 2.0]})
    >>> data_hash(a) == data_hash(a.iloc[::-1][["x", "wave", "participant_id"]])
    True
    """
    canonical = frame.copy()
    for column in canonical.columns:
        if isinstance(canonical[column].dtype, pd.CategoricalDtype):
            canonical[column] = canonical[column].astype("string")
    keys = [c for c in (ID, WAVE) if c in canonical.columns]
    canonical = canonical.sort_values(keys, kind="stable") if keys else canonical
    canonical = canonical[sorted(canonical.columns, key=str)]
    text = canonical.to_csv(index=False, lineterminator="\n", float_format=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def wave_masks(cohort: Cohort) -> dict[int, int]:
    """Participants per wave-presence pattern: bit k set when observed at ``plan.waves[k]``.

    >>> from linkwork.evaluation import default_plan
    >>> d = pd.DataFrame({"participant_id": ["a", "a", "b"],
    ...                   "wave": pd.Categorical(["T1", "T2", "T2"], ["T1", "T2", "T3"])})
    >>> wave_masks(Cohort(d, default_plan(), ("T1", "T2"), "T2", None, ()))
    {2: 1, 3: 1}
    """
    data = cohort.data
    bits = data[WAVE].cat.codes.to_numpy().astype("int64")
    mask = pd.Series(np.left_shift(1, bits), index=data.index).groupby(data[ID].to_numpy()).sum()
    masks, counts = np.unique(mask.to_numpy(), return_counts=True)
    return {int(k): int(v) for k, v in zip(masks, counts, strict=True)}


def flow_table(cohort: Cohort, outcomes: Sequence[str]) -> pd.DataFrame:
    """Participant flow: enrolled -> observed at each wave -> analysed per outcome and wave.

    ``observed`` rows count participants with a row at the wave; ``lost`` counts those seen at
    the previous wave (enrolment for the first) but not at this one; participants who return
    after missing a wave are named in ``reason``. ``analysed`` rows (one per outcome, named in
    the ``outcome`` column) count participants with a score at one wave at least (those in the
    all-available-data model); ``lost`` counts the enrolled without any. Scores per wave are
    in the descriptives.
    """
    data = cohort.data
    analysed = {o: int(data.loc[data[o].notna(), ID].nunique()) for o in outcomes}
    return flow_from_counts(cohort.plan.waves, wave_masks(cohort), analysed)


def flow_from_counts(
    waves: Sequence[str], masks: dict[int, int], analysed: dict[str, int]
) -> pd.DataFrame:
    """The flow table from participants per wave-presence pattern (:func:`wave_masks`) and
    participants with a score per outcome (shared by the in-memory and SQL engines)."""
    enrolled = sum(masks.values())
    rows: list[dict[str, object]] = [
        {
            "stage": "enrolled",
            "wave": "",
            "n": enrolled,
            "lost": np.nan,
            "reason": "",
            "outcome": "",
        }
    ]
    previous_name = "enrolment"
    for k, wave in enumerate(waves):
        here = sum(n for m, n in masks.items() if m >> k & 1)
        if k == 0:
            lost, back = enrolled - here, 0
        else:
            lost = sum(n for m, n in masks.items() if m >> (k - 1) & 1 and not m >> k & 1)
            back = sum(n for m, n in masks.items() if m >> k & 1 and not m >> (k - 1) & 1)
        reason = f"not observed at {wave} (seen at {previous_name})" if lost else ""
        if back:
            reason += ("; " if reason else "") + f"{back} returned after missing {previous_name}"
        rows.append(
            {"stage": "observed", "wave": wave, "n": here, "lost": lost, "reason": reason}
            | {"outcome": ""}
        )
        previous_name = wave
    for outcome, n in analysed.items():
        rows.append(
            {
                "stage": "analysed",
                "wave": "",
                "n": n,
                "lost": enrolled - n,
                "reason": f"no {outcome} score at any wave" if enrolled - n else "",
                "outcome": outcome,
            }
        )
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)


def sites_table(cohort: Cohort) -> pd.DataFrame:
    """Participants per site per wave, with small-number suppression (the plan's rule)."""
    plan = cohort.plan
    if not plan.site or plan.site not in cohort.data.columns:
        return pd.DataFrame(columns=SITES_COLUMNS)
    data = cohort.data
    site = data[plan.site].astype("string")
    counts = (
        data.assign(_site=site)
        .dropna(subset=["_site"])
        .groupby(["_site", WAVE], observed=True)[ID]
        .nunique()
    )
    found = pd.DataFrame(
        {
            "site": [str(s) for s, _ in counts.index],
            "wave": [str(w) for _, w in counts.index],
            "n": counts.to_numpy(),
        }
    )
    return sites_from_counts(plan, found)


def sites_from_counts(plan: Plan, counts: pd.DataFrame) -> pd.DataFrame:
    """The sites table from participants per (site, wave) found (site and wave as text).

    Every site found gets a row for every wave of the plan (0 when absent), sites sorted; the
    plan's small-number suppression is applied.
    """
    found = {(str(r["site"]), str(r["wave"])): int(r["n"]) for r in counts.to_dict("records")}
    sites = sorted({s for s, _ in found})
    rows = [{"site": s, "wave": w, "n": found.get((s, w), 0)} for s in sites for w in plan.waves]
    table = pd.DataFrame(rows, columns=["site", "wave", "n"]).astype({"n": "int64"})
    return suppress_counts(table, ["n"], plan.disclosure)[SITES_COLUMNS]


def trajectory_key(participant: str) -> str:
    """The sort key that picks and numbers the trajectories drawn: MD5 of the identifier (hex).

    The same in Python and in DuckDB, PostgreSQL and Spark SQL (``md5(text)``), so in-memory and
    engine evaluations draw the same people. It is not a secret: it only spreads the drawn people
    evenly over the cohort instead of taking the first enrolled.

    >>> trajectory_key("P001")
    '33efbb16ece8550ff8eff9fd435442fc'
    """
    return hashlib.md5(participant.encode("utf-8"), usedforsecurity=False).hexdigest()


def trajectories_table(cohort: Cohort, outcomes: Sequence[str]) -> pd.DataFrame:
    """Individual trajectories (people with >= 2 scored waves) under anonymous numbers.

    Per outcome, at most :data:`MAX_TRAJECTORIES` people are kept: those with the smallest
    :func:`trajectory_key` (all of them in a cohort that small), numbered 1, 2, ... in that
    order. The numbers say nothing about the identifiers or the enrolment order.
    """
    data = cohort.data
    parts = []
    for outcome in outcomes:
        scored = data.loc[data[outcome].notna(), [ID, WAVE, outcome]]
        counts = scored.groupby(ID, sort=False)[WAVE].transform("size")
        scored = scored[counts >= 2]
        if scored.empty:
            continue
        people = scored[ID].unique().tolist()
        keys = sorted({trajectory_key(str(p)): str(p) for p in people}.items())
        number = {p: k for k, (_, p) in enumerate(keys[:MAX_TRAJECTORIES], start=1)}
        scored = scored[scored[ID].isin(list(number))]
        parts.append(trajectories_from_rows(outcome, scored[ID].map(number), scored, outcome))
    if not parts:
        return pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def trajectories_from_rows(
    outcome: str, numbers: pd.Series, rows: pd.DataFrame, value: str
) -> pd.DataFrame:
    """Trajectory rows sorted by number and wave (shared with the SQL engines).

    *rows* has the ``wave`` column as an ordered categorical (the plan's order) and *value*.
    """
    order = pd.DataFrame({"n": numbers.astype("int64").to_numpy(), "w": rows[WAVE].to_numpy()})
    index = order.sort_values(["n", "w"], kind="stable").index.to_numpy()
    return pd.DataFrame(
        {
            "outcome": outcome,
            "trajectory": order["n"].to_numpy()[index],
            "wave": rows[WAVE].astype("string").to_numpy()[index],
            "value": rows[value].astype("float64").to_numpy()[index],
        }
    )
