"""Load :func:`linkwork.datasets.demo_cohort` into the database (``linkwork serve --demo``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.conf import settings
from django.db import transaction

from linkwork import instruments
from linkwork.datasets import demo_cohort
from linkwork.web.audit import acting_as
from linkwork.web.models import (
    Assessment,
    Facilitator,
    GroupMembership,
    Organization,
    Participant,
    RelationshipRating,
    Service,
    Site,
)

__all__ = ["load_demo_cohort"]


def _responses(row: Any, name: str) -> dict[str, float | None] | None:
    keys = instruments.get(name).item_keys
    values = {k: (None if pd.isna(row[k]) else float(row[k])) for k in keys}
    return None if all(v is None for v in values.values()) else values


@transaction.atomic
def load_demo_cohort() -> int:
    """Create the demo's sites, a demo group, participants and their responses.

    Does nothing when any participant exists. Returns the number of participants created.
    """
    if Participant.objects.exists():
        return 0
    frame = demo_cohort()
    names = [n for n in settings.LINKWORK_INSTRUMENTS if instruments.get(n).item_keys[0] in frame]
    relationship = settings.LINKWORK_RELATIONSHIP_INSTRUMENTS
    with acting_as("demo"):
        organization = Organization.objects.create(name="Demo community organisation")
        group = Service.objects.create(organization=organization, name="Demo walking group")
        facilitator = Facilitator.objects.create(name="Demo facilitator", service=group)
        sites = {
            code: Site.objects.get_or_create(code=code, defaults={"name": f"Demo site {code}"})[0]
            for code in sorted(frame["site"].unique())
        }
        created = 0
        for code, rows in frame.groupby("participant_id", sort=True):
            first = rows.sort_values("date").iloc[0]
            participant = Participant.objects.create(
                code=str(code),
                site=sites[first["site"]],
                enrolled_on=first["date"].date(),
                link_worker_code=str(first["link_worker"]),
                age=int(first["age"]),
                gender=str(first["gender"]),
            )
            membership = GroupMembership.objects.create(
                participant=participant,
                service=group,
                facilitator=facilitator,
                start=first["date"].date(),
            )
            created += 1
            for _, row in rows.iterrows():
                common = {
                    "participant": participant,
                    "wave": str(row["wave"]),
                    "completed_on": row["date"].date(),
                }
                for name in names:
                    values = _responses(row, name)
                    if values is not None:
                        Assessment.objects.create(instrument=name, responses=values, **common)
                for target, name in relationship.items():
                    values = _responses(row, name)
                    if values is not None:
                        RelationshipRating.objects.create(
                            target=target,
                            membership=membership if target == "facilitator" else None,
                            responses=values,
                            **common,
                        )
    return created
