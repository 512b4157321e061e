"""The community directory in Open Referral (HSDS) shape, facilitators and group memberships."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from linkwork.web.models.people import Participant

__all__ = [
    "Facilitator",
    "GroupMembership",
    "Location",
    "Organization",
    "Service",
    "ServiceAtLocation",
]


class Organization(models.Model):
    """HSDS organization: id (UUID), name, description, url, email."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """HSDS service (here: a community group or activity); required id, organization, name,
    status."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DEFUNCT = "defunct", "Defunct"
        TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """HSDS location: where services are delivered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="locations"
    )
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    postal_code = models.CharField(max_length=12, blank=True)

    def __str__(self) -> str:
        return self.name


class ServiceAtLocation(models.Model):
    """HSDS service_at_location: a service delivered at a location."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE)
    location = models.ForeignKey(Location, on_delete=models.CASCADE)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("service", "location"), name="unique_service_location"),
        )


class Facilitator(models.Model):
    """A person who runs a group (service)."""

    name = models.CharField(max_length=200)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="facilitators")

    def __str__(self) -> str:
        return f"{self.name} ({self.service})"


class GroupMembership(models.Model):
    """A participant's referral to, and attendance at, a group."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="memberships"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    facilitator = models.ForeignKey(Facilitator, on_delete=models.SET_NULL, null=True, blank=True)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    sessions_attended = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("start", "pk")

    def clean(self) -> None:
        if self.end is not None and self.start is not None and self.end < self.start:
            raise ValidationError({"end": "The end date must not be before the start date."})
        if (
            self.facilitator_id is not None
            and self.service_id is not None
            and self.facilitator.service_id != self.service_id
        ):
            raise ValidationError({"facilitator": "This facilitator does not run that group."})
