"""Sites, user profiles, participants (pseudonymous), their identities and referrals."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = [
    "SNOMED",
    "Participant",
    "ParticipantIdentity",
    "Profile",
    "Referral",
    "ReferralStatus",
    "Role",
    "Site",
]


class Site(models.Model):
    """A programme site (a scheme or a practice cluster); data are separated per site."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class Role(models.TextChoices):
    """What a user may do."""

    ADMIN = "admin", "Administrator"
    LINK_WORKER = "link_worker", "Link worker"
    EVALUATOR = "evaluator", "Evaluator"


class Profile(models.Model):
    """A user's role and site (evaluators and admins without a site see every site)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.site or 'all sites'})"


class Participant(models.Model):
    """A participant, known to the app by a pseudonymous code only."""

    code = models.CharField(max_length=32, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="participants")
    enrolled_on = models.DateField()
    link_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    link_worker_code = models.CharField(
        max_length=32, blank=True, help_text="Pseudonymous link worker code used in exports."
    )
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class ParticipantIdentity(models.Model):
    """Directly identifying details, kept apart and shown only to the participant's own site.

    Never registered in the admin, never exported, and redacted in the audit log.
    """

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="identity"
    )
    name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)


#: SNOMED CT codes of referral statuses (PRSB Social Prescribing Information Standard);
#: the standard gives none for contacted and accepted.
SNOMED: dict[str, str] = {
    "received": "871731000000106",  # referral to social prescribing service
    "declined": "871711000000103",  # social prescribing declined
}


class Referral(models.Model):
    """A referral of a participant by a practice, with its status history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="referrals")
    practice = models.CharField(max_length=200)
    referred_on = models.DateField()
    reasons = models.TextField(blank=True)

    class Meta:
        ordering = ("-referred_on",)

    @property
    def status(self) -> str | None:
        """The latest status, or ``None`` before any."""
        last = self.statuses.order_by("-at", "-pk").first()
        return None if last is None else last.status


class ReferralStatus(models.Model):
    """One step of a referral's history; the SNOMED code is set from :data:`SNOMED`."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        CONTACTED = "contacted", "Contacted"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(max_length=20, choices=Status.choices)
    snomed_code = models.CharField(max_length=20, blank=True, editable=False)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ("at", "pk")
        verbose_name_plural = "referral statuses"

    def save(self, *args: object, **kwargs: object) -> None:
        self.snomed_code = SNOMED.get(self.status, "")
        super().save(*args, **kwargs)
