"""Database triggers that refuse UPDATE and DELETE on the audit log (SQLite and PostgreSQL),
so that it stays append-only even for SQL that bypasses the ORM."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER web_auditlog_no_update BEFORE UPDATE ON web_auditlog "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER web_auditlog_no_delete BEFORE DELETE ON web_auditlog "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
POSTGRES = [
    "CREATE FUNCTION web_auditlog_refuse() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "CREATE TRIGGER web_auditlog_append_only BEFORE UPDATE OR DELETE ON web_auditlog "
    "FOR EACH ROW EXECUTE FUNCTION web_auditlog_refuse()",
    "CREATE TRIGGER web_auditlog_no_truncate BEFORE TRUNCATE ON web_auditlog "
    "FOR EACH STATEMENT EXECUTE FUNCTION web_auditlog_refuse()",
]
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS web_auditlog_no_update",
        "DROP TRIGGER IF EXISTS web_auditlog_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS web_auditlog_append_only ON web_auditlog",
        "DROP TRIGGER IF EXISTS web_auditlog_no_truncate ON web_auditlog",
        "DROP FUNCTION IF EXISTS web_auditlog_refuse()",
    ],
}


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, []))


def backwards(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, DROP.get(schema_editor.connection.vendor, []))


class Migration(migrations.Migration):
    dependencies = (("web", "0001_initial"),)
    operations = (migrations.RunPython(forwards, backwards),)
