"""Who may see what: roles and per-site scoping of every query the views make."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from linkwork.web.models import Participant, Profile, Role, Site

__all__ = ["participants_for", "profile_of", "role_required", "site_of"]


def profile_of(user: Any) -> Profile | None:
    """The user's profile, or ``None`` (anonymous users and users made without one)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Profile.objects.select_related("site").filter(user=user).first()


def site_of(user: Any) -> Site | None:
    """The user's site (``None``: no site, i.e. all sites for admins and evaluators)."""
    profile = profile_of(user)
    return None if profile is None else profile.site


def participants_for(user: Any) -> QuerySet[Participant]:
    """Participants *user* may see and edit: their site's; every site's for site-less admins."""
    profile = profile_of(user)
    everyone = Participant.objects.select_related("site")
    if profile is None:
        return everyone.none()
    if profile.role == Role.LINK_WORKER:
        return everyone.none() if profile.site is None else everyone.filter(site=profile.site)
    if profile.role == Role.ADMIN:
        return everyone if profile.site is None else everyone.filter(site=profile.site)
    return everyone.none()


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: signed in (else redirect to login) and one of *roles* (else 403)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            profile = profile_of(request.user)
            if profile is None or profile.role not in roles:
                raise PermissionDenied("your role does not allow this page")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate
