"""Write an :class:`~linkwork.web.models.AuditLog` row for every create, update and delete.

Signals on every model of the app (except the log itself and the login-failure counter) and on
users record who (the request's user, or the actor set with :func:`acting_as`), what, and the
record before and after. Identifying details and password hashes are redacted.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

__all__ = ["acting_as", "connect", "current_actor", "snapshot"]

_actor: contextvars.ContextVar[str] = contextvars.ContextVar("linkwork_actor", default="system")
_REDACT = {"password"}
_REDACT_MODELS = {"web.participantidentity"}
_SKIP = {"web.auditlog", "web.loginfailure"}


def current_actor() -> str:
    """Username recorded as the author of changes made now."""
    return _actor.get()


@contextmanager
def acting_as(username: str) -> Iterator[None]:
    """Attribute changes made inside the block to *username*."""
    token = _actor.set(username)
    try:
        yield
    finally:
        _actor.reset(token)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The instance's concrete field values, redacted where identifying or secret."""
    label = instance._meta.label_lower
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if field.name in _REDACT or (label in _REDACT_MODELS and field.name != "participant"):
            value = "[redacted]" if value not in (None, "") else value
        elif isinstance(value, memoryview | bytes):
            value = "[binary]"
        out[field.attname] = value
    return out


def _audited(sender: type[models.Model]) -> bool:
    label = sender._meta.label_lower
    return label not in _SKIP and (sender._meta.app_label == "web" or label == "auth.user")


def _pre_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _audited(sender) or kwargs.get("raw"):
        return
    before = None
    if instance.pk is not None:
        old = sender._default_manager.filter(pk=instance.pk).first()
        before = None if old is None else snapshot(old)
    instance._linkwork_before = before


def _post_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if not _audited(sender) or kwargs.get("raw"):
        return
    from linkwork.web.models import AuditLog

    before = None if created else getattr(instance, "_linkwork_before", None)
    AuditLog.objects.create(
        username=current_actor(),
        action=AuditLog.Action.CREATE if created else AuditLog.Action.UPDATE,
        model=sender._meta.label_lower,
        object_pk=str(instance.pk),
        before=before,
        after=snapshot(instance),
    )


def _post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _audited(sender):
        return
    from linkwork.web.models import AuditLog

    AuditLog.objects.create(
        username=current_actor(),
        action=AuditLog.Action.DELETE,
        model=sender._meta.label_lower,
        object_pk=str(instance.pk),
        before=snapshot(instance),
        after=None,
    )


def connect() -> None:
    """Connect the audit signals (called once, from the app's ``ready``)."""
    for model in [*apps.get_app_config("web").get_models(), apps.get_model("auth", "User")]:
        uid = f"linkwork-audit-{model._meta.label_lower}"
        pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
        post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
        post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-del")
