"""The database as long data (one row per participant x wave) for :func:`linkwork.evaluate`.

Only pseudonymous codes leave: no identity field is ever read here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.conf import settings

from linkwork import instruments
from linkwork.web.models import Assessment, Participant, RelationshipRating, Site

__all__ = ["export_long", "participant_scores"]

_KEYS = ["participant_id", "wave", "date", "site", "link_worker", "age", "gender"]


def export_long(site: Site | str | None = None) -> pd.DataFrame:
    """Long data of every participant (of *site* when given) with anything recorded.

    Columns: ``participant_id, wave, date, site, link_worker, age, gender`` and the item columns
    of every recorded instrument (``Int64`` for integer scales; instruments in the order of
    the ``LINKWORK_INSTRUMENTS`` setting, then relationship scales), in the format
    :func:`linkwork.read` produces. ``date`` is the earliest completion date in the wave;
    relationship ratings contribute their latest rating per participant x wave.
    """
    waves = [w["label"] for w in settings.LINKWORK_WAVES]
    assessments = Assessment.objects.select_related("participant__site")
    ratings = RelationshipRating.objects.select_related("participant__site").order_by(
        "entered_at", "pk"
    )
    if site is not None:
        code = site if isinstance(site, str) else site.code
        assessments = assessments.filter(participant__site__code=code)
        ratings = ratings.filter(participant__site__code=code)
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    used: dict[str, None] = {}

    def row(participant: Participant, wave: str, date: Any) -> dict[str, Any]:
        key = (participant.pk, wave)
        if key not in rows:
            rows[key] = {
                "participant_id": participant.code,
                "wave": wave,
                "date": date,
                "site": participant.site.code,
                "link_worker": participant.link_worker_code or None,
                "age": participant.age,
                "gender": participant.gender or None,
            }
        rows[key]["date"] = min(rows[key]["date"], date)
        return rows[key]

    for record in [*assessments, *ratings]:
        target = row(record.participant, record.wave, record.completed_on)
        used[record.instrument_name] = None
        target.update(record.responses)
    frame = pd.DataFrame(list(rows.values()), columns=_KEYS)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["age"] = frame["age"].astype("Int64")
    preferred = [
        *settings.LINKWORK_INSTRUMENTS,
        *settings.LINKWORK_RELATIONSHIP_INSTRUMENTS.values(),
        *instruments.REGISTRY,
    ]
    for name in [n for n in dict.fromkeys(preferred) if n in used]:
        spec = instruments.get(name)
        dtype: Any = pd.Int64Dtype() if spec.response.integer else pd.Float64Dtype()
        for key in spec.item_keys:
            values = [r.get(key) for r in rows.values()]
            frame[key] = pd.Series(values, index=frame.index, dtype=object).astype(dtype)
    frame["wave"] = pd.Categorical(frame["wave"], categories=waves, ordered=True)
    order = {code: i for i, code in enumerate(waves)}
    frame = frame.sort_values(
        ["participant_id", "wave"], key=lambda c: c.map(order) if c.name == "wave" else c
    )
    return frame.reset_index(drop=True)


def participant_scores(participant: Participant) -> pd.DataFrame:
    """One participant's scores: columns ``wave, instrument, score`` (the spec's scorer)."""
    records: list[dict[str, Any]] = []
    items = [*participant.assessment_set.all(), *participant.relationshiprating_set.all()]
    for record in items:
        frame = pd.DataFrame([record.responses]).astype("Float64")
        result = instruments.score(record.instrument_name, frame)
        scored = (
            result.to_frame(record.instrument_name) if isinstance(result, pd.Series) else result
        )
        for column in scored.columns:
            value = scored[column].iloc[0]
            records.append(
                {
                    "wave": record.wave,
                    "instrument": str(column),
                    "score": None if pd.isna(value) else float(value),
                }
            )
    return pd.DataFrame(records, columns=["wave", "instrument", "score"])
