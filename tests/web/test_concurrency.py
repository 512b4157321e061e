"""Parallel writers: no write is lost and none fails ("database is locked" on SQLite, which
runs in WAL mode with BEGIN IMMEDIATE and a busy timeout; serialization errors on PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
WRITERS = 6
EACH = 15

PREPARE = """
from linkwork.web import runtime
runtime.setup()
import datetime as dt
from linkwork.web.models import Participant, Referral, Site
site = Site.objects.create(code="S1", name="one")
person = Participant.objects.create(code="P1", site=site, enrolled_on=dt.date(2024, 1, 1))
Referral.objects.create(participant=person, practice="A", referred_on=dt.date(2024, 1, 1))
"""

WRITE = """
import sys, datetime as dt
from django.utils import timezone
from linkwork.web import runtime
runtime.setup(migrate=False)
from django.db import transaction
from linkwork.web.audit import acting_as
from linkwork.web.models import Participant, Referral, ReferralStatus, Site
writer = int(sys.argv[1])
referral = Referral.objects.get()
site = Site.objects.get()
with acting_as(f"writer{writer}"):
    for k in range(int(sys.argv[2])):
        with transaction.atomic():
            Participant.objects.create(
                code=f"W{writer}-{k}", site=site, enrolled_on=dt.date(2024, 1, 1)
            )
            ReferralStatus.objects.create(referral=referral, status="contacted", at=timezone.now())
"""

COUNT = """
from linkwork.web import runtime
runtime.setup(migrate=False)
from linkwork.web.models import AuditLog, Participant, ReferralStatus
print(Participant.objects.count(), ReferralStatus.objects.count(),
      AuditLog.objects.filter(username__startswith="writer").count())
"""


def _python(code: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_writers(env: dict[str, str]) -> None:
    prepare = _python(PREPARE, env)
    _, err = prepare.communicate(timeout=120)
    assert prepare.returncode == 0, err
    writers = [_python(WRITE, env, str(w), str(EACH)) for w in range(WRITERS)]
    for process in writers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    counted = _python(COUNT, env)
    out, err = counted.communicate(timeout=120)
    assert counted.returncode == 0, err
    participants, statuses, audited = map(int, out.split())
    assert participants == 1 + WRITERS * EACH
    assert statuses == WRITERS * EACH
    assert audited == 2 * WRITERS * EACH


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": SRC, "LINKWORK_DATA_DIR": str(data_dir)}
    env["DJANGO_SETTINGS_MODULE"] = "linkwork.web.settings"
    env.pop("LINKWORK_DATABASE_URL", None)
    if database_url:
        env["LINKWORK_DATABASE_URL"] = database_url
    return env


@pytest.mark.slow
def test_parallel_writers_on_sqlite_lose_nothing(tmp_path):
    _run_writers(_env(tmp_path, None))


@pytest.mark.slow
@pytest.mark.postgres
def test_parallel_writers_on_postgresql_lose_nothing(tmp_path, postgres_server):
    from tests._postgres import create_database

    _run_writers(_env(tmp_path, create_database(postgres_server, "linkwork_writers")))
