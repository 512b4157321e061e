"""Login throttling: failures counted in the database per username and per IP address."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from linkwork.web.models import LoginFailure

__all__ = ["blocked", "client_ip", "record_failure"]


def client_ip(request: Any) -> str | None:
    """The peer address (``REMOTE_ADDR``; a proxy in front must set it, e.g. gunicorn's
    ``--forwarded-allow-ips``)."""
    return None if request is None else request.META.get("REMOTE_ADDR") or None


def _recent() -> Any:
    since = timezone.now() - dt.timedelta(seconds=settings.LINKWORK_LOGIN_WINDOW_SECONDS)
    return LoginFailure.objects.filter(at__gte=since)


def blocked(username: str, ip: str | None) -> bool:
    """Whether *username* or *ip* reached the failure limit within the window."""
    limit = settings.LINKWORK_LOGIN_FAILURES
    recent = _recent()
    if recent.filter(username__iexact=username).count() >= limit:
        return True
    return ip is not None and recent.filter(ip=ip).count() >= limit


def record_failure(username: str, ip: str | None) -> None:
    """Count one failed login; forget failures older than a day."""
    LoginFailure.objects.create(username=username[:150], ip=ip)
    LoginFailure.objects.filter(at__lt=timezone.now() - dt.timedelta(days=1)).delete()
