"""Assessments (participant x wave x instrument) and relationship ratings.

Item responses are validated by the instrument's declared spec through
:func:`linkwork.instruments.parse_responses`; no item range is declared here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from linkwork import instruments
from linkwork.errors import InvalidResponse
from linkwork.web.models.directory import GroupMembership
from linkwork.web.models.people import Participant

__all__ = ["Assessment", "Mode", "RelationshipRating", "validate_responses"]


def validate_responses(instrument: str, responses: Mapping[str, Any]) -> dict[str, float | None]:
    """Check *responses* (item key -> value, ``None``/``""`` = missing) against the spec.

    Returns the responses as numbers (``None`` where missing), one per item of the instrument.

    Raises
    ------
    django.core.exceptions.ValidationError
        Keyed by item: unknown items, and every value the spec rejects, with the allowed range.
    """
    try:
        spec = instruments.get(instrument)
    except KeyError as error:
        raise ValidationError(str(error)) from None
    unknown = sorted(set(responses) - set(spec.item_keys))
    if unknown:
        raise ValidationError(f"not items of {instrument}: {', '.join(unknown)}")
    problems: dict[str, str] = {}
    clean: dict[str, float | None] = {}
    for key in spec.item_keys:
        value = responses.get(key)
        if value == "":
            value = None
        try:
            parsed = instruments.parse_responses(spec, pd.Series([value], name=key, dtype=object))
        except InvalidResponse as error:
            problems[key] = f"{value!r} is not allowed: expected {error.expected}."
            continue
        number = float(parsed[0])
        clean[key] = None if math.isnan(number) else number
    if problems:
        raise ValidationError(problems)
    if all(v is None for v in clean.values()):
        raise ValidationError(f"no item of {instrument} was answered.")
    return clean


class Mode(models.TextChoices):
    """How the questionnaire was completed."""

    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    PAPER = "paper", "On paper"
    ONLINE = "online", "Online"


class _Responses(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE)
    wave = models.CharField(max_length=16)
    responses = models.JSONField(default=dict)
    completed_on = models.DateField()
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.IN_PERSON)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def instrument_name(self) -> str:
        raise NotImplementedError

    def clean(self) -> None:
        waves = [w["label"] for w in settings.LINKWORK_WAVES]
        if self.wave not in waves:
            raise ValidationError({"wave": f"unknown wave {self.wave!r}: expected one of {waves}"})
        self.responses = validate_responses(self.instrument_name, self.responses or {})

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Responses never reach the database unchecked, whichever path saves them.
        self.full_clean(exclude=["participant", "entered_by"], validate_unique=False)
        super().save(*args, **kwargs)


class Assessment(_Responses):
    """One participant's responses to one instrument at one wave."""

    instrument = models.CharField(max_length=64)

    class Meta:
        ordering = ("participant", "wave", "instrument")
        constraints = (
            models.UniqueConstraint(
                fields=("participant", "wave", "instrument"), name="one_assessment_per_wave"
            ),
        )

    @property
    def instrument_name(self) -> str:
        return self.instrument


class RelationshipRating(_Responses):
    """A participant's rating of their link worker or of a group's facilitator."""

    class Target(models.TextChoices):
        LINK_WORKER = "link_worker", "Link worker"
        FACILITATOR = "facilitator", "Group facilitator"

    target = models.CharField(max_length=16, choices=Target.choices)
    membership = models.ForeignKey(GroupMembership, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        ordering = ("participant", "wave", "target")

    @property
    def instrument_name(self) -> str:
        return str(settings.LINKWORK_RELATIONSHIP_INSTRUMENTS[self.target])

    def clean(self) -> None:
        if self.target == self.Target.FACILITATOR and self.membership_id is None:
            raise ValidationError({"membership": "Choose the group whose facilitator is rated."})
        if self.membership_id is not None and self.membership.participant_id != self.participant_id:
            raise ValidationError(
                {"membership": "That group membership is not this participant's."}
            )
        super().clean()
