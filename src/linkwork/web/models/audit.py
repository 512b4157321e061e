"""The append-only audit log and the login-failure counter used for throttling."""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

__all__ = ["AuditLog", "AuditLogError", "LoginFailure"]


class AuditLogError(PermissionError):
    """An attempt to change or delete an audit record."""


class _AppendOnly(models.QuerySet["AuditLog"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogError("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise AuditLogError("the audit log is append-only")


class AuditLog(models.Model):
    """Who did what, when, with the record before and after (JSON); never changed."""

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=8, choices=Action.choices)
    model = models.CharField(max_length=100)
    object_pk = models.CharField(max_length=64)
    before = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, encoder=DjangoJSONEncoder)

    objects = _AppendOnly.as_manager()

    class Meta:
        ordering = ("-at", "-pk")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogError("the audit log is append-only")


class LoginFailure(models.Model):
    """A failed login, counted per username and per IP address for throttling."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
