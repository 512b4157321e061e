"""Views: thin shells over the models, scoped per site by :mod:`linkwork.web.access`."""

from __future__ import annotations

from linkwork.web.views.evaluation import evaluation, evaluation_file
from linkwork.web.views.participants import (
    assess,
    caseload,
    enrol,
    group_new,
    home,
    participant,
    rate,
    referral_status,
)

__all__ = [
    "assess",
    "caseload",
    "enrol",
    "evaluation",
    "evaluation_file",
    "group_new",
    "home",
    "participant",
    "rate",
    "referral_status",
]
