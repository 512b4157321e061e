"""Django admin: sites, users' profiles, the directory; the audit log read-only.

Participants' identities are deliberately not registered: only their own site sees them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from linkwork.web import models

__all__ = ["AuditLogAdmin"]

admin.site.register(models.Site)
admin.site.register(models.Profile)
admin.site.register(models.Organization)
admin.site.register(models.Service)
admin.site.register(models.Location)
admin.site.register(models.ServiceAtLocation)
admin.site.register(models.Facilitator)


@admin.register(models.AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """The audit log: visible to admins, never added, changed or deleted here."""

    list_display = ("at", "username", "action", "model", "object_pk")
    list_filter = ("action", "model")
    search_fields = ("username", "object_pk")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
