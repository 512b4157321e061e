"""The programme's records (see the submodules); import them from here."""

from __future__ import annotations

from linkwork.web.models.assessments import Assessment, Mode, RelationshipRating, validate_responses
from linkwork.web.models.audit import AuditLog, AuditLogError, LoginFailure
from linkwork.web.models.directory import (
    Facilitator,
    GroupMembership,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
)
from linkwork.web.models.people import (
    SNOMED,
    Participant,
    ParticipantIdentity,
    Profile,
    Referral,
    ReferralStatus,
    Role,
    Site,
)

__all__ = [
    "SNOMED",
    "Assessment",
    "AuditLog",
    "AuditLogError",
    "Facilitator",
    "GroupMembership",
    "Location",
    "LoginFailure",
    "Mode",
    "Organization",
    "Participant",
    "ParticipantIdentity",
    "Profile",
    "Referral",
    "ReferralStatus",
    "RelationshipRating",
    "Role",
    "Service",
    "ServiceAtLocation",
    "Site",
    "validate_responses",
]
