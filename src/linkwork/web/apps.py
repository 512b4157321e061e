"""The Django app configuration: connects the audit log when the app is ready."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["WebConfig"]


class WebConfig(AppConfig):
    """linkwork's programme app (label ``web``)."""

    name = "linkwork.web"
    label = "web"
    verbose_name = "linkwork programme"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from linkwork.web import audit

        audit.connect()
