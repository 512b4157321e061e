"""The audit log: every create, update and delete recorded; append-only; identities redacted."""

from __future__ import annotations

import pytest

from linkwork.web.audit import acting_as
from linkwork.web.models import AuditLog, AuditLogError, ParticipantIdentity, Site


def _entries(model):
    return list(AuditLog.objects.filter(model=model).order_by("pk"))


def test_create_update_delete_are_logged_with_before_and_after(db):
    with acting_as("alice"):
        site = Site.objects.create(code="S9", name="Nine")
        site.name = "Nine renamed"
        site.save()
        pk = site.pk
        site.delete()
    create, update, delete = _entries("web.site")
    assert [e.action for e in (create, update, delete)] == ["create", "update", "delete"]
    assert {e.username for e in (create, update, delete)} == {"alice"}
    assert create.before is None
    assert create.after["name"] == "Nine"
    assert update.before["name"] == "Nine"
    assert update.after["name"] == "Nine renamed"
    assert delete.before["name"] == "Nine renamed"
    assert delete.after is None
    assert delete.object_pk == str(pk)


def test_audit_log_cannot_be_changed_or_deleted(db):
    Site.objects.create(code="S9", name="Nine")
    entry = AuditLog.objects.get(model="web.site")
    entry.username = "mallory"
    with pytest.raises(AuditLogError):
        entry.save()
    with pytest.raises(AuditLogError):
        entry.delete()
    with pytest.raises(AuditLogError):
        AuditLog.objects.filter(pk=entry.pk).update(username="mallory")
    with pytest.raises(AuditLogError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(pk=entry.pk).username == "system"


def test_identifying_details_and_passwords_are_redacted(sites, make_participant, make_user):
    person = make_participant("P1", sites["S1"], name="Alice Example", nhs_number="9434765919")
    identity = ParticipantIdentity.objects.get(participant=person)
    (entry,) = _entries("web.participantidentity")
    assert entry.object_pk == str(identity.pk)
    text = str(entry.after)
    assert "Alice" not in text
    assert "9434765919" not in text
    assert entry.after["name"] == "[redacted]"
    make_user("bob", "evaluator")
    (user_entry,) = _entries("auth.user")
    assert user_entry.after["password"] == "[redacted]"


def test_requests_are_attributed_to_the_signed_in_user(two_sites):
    two_sites["c1"].post("/participants/P1/groups/new/", {})  # invalid: nothing saved
    two_sites["c1"].post(
        f"/participants/P1/referrals/{two_sites['p1'].referrals.get().pk}/status/",
        {"status": "contacted"},
    )
    (entry,) = _entries("web.referralstatus")
    assert entry.username == "lw1"
    assert entry.after["status"] == "contacted"


def test_admin_can_read_but_not_change_the_log(db, make_user, login):
    admin = make_user("root", "admin")
    client = login(admin)
    entry = AuditLog.objects.filter(model="auth.user").first()
    assert client.get("/admin/web/auditlog/").status_code == 200
    assert client.get(f"/admin/web/auditlog/{entry.pk}/change/").status_code == 200  # view only
    assert (
        client.post(f"/admin/web/auditlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert client.get("/admin/web/auditlog/add/").status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_database_refuses_to_change_the_log_even_with_raw_sql(db):
    from django.db import DatabaseError, connection, transaction

    Site.objects.create(code="S9", name="Nine")
    entry = AuditLog.objects.get(model="web.site")
    for statement in [
        "UPDATE web_auditlog SET username = 'mallory'",
        "DELETE FROM web_auditlog",
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement)
    assert AuditLog.objects.get(pk=entry.pk).username == "system"
