"""Django for the web tests: settings from a temporary data folder, a test database per session
(SQLite in memory, or PostgreSQL when ``LINKWORK_TEST_DATABASE_URL`` is set), a ``db`` fixture
that rolls every test back, and ``postgres_server``: a throwaway PostgreSQL server."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile

import pytest
from tests._postgres import postgres_server as start_postgres

_DATA = tempfile.mkdtemp(prefix="linkwork-web-test-")
atexit.register(shutil.rmtree, _DATA, ignore_errors=True)
os.environ["LINKWORK_DATA_DIR"] = _DATA
# test_postgres.py re-runs the model tests in a child pytest with this variable set
if os.environ.get("LINKWORK_TEST_DATABASE_URL"):
    os.environ["LINKWORK_DATABASE_URL"] = os.environ["LINKWORK_TEST_DATABASE_URL"]
else:
    os.environ.pop("LINKWORK_DATABASE_URL", None)
os.environ.pop("LINKWORK_HTTPS", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "linkwork.web.settings"

import django  # noqa: E402 - the settings above must be in place first

django.setup()

from django.conf import settings  # noqa: E402

# Speed only: hashing with the production PBKDF2 costs ~0.3 s per user. test_security checks
# the production setting in linkwork.web.settings itself.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PASSWORD = "a-long-test-pass-phrase"


@pytest.fixture(scope="session", autouse=True)
def _test_database():
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    yield
    connection.creation.destroy_test_db(name, verbosity=0)
    teardown_test_environment()


@pytest.fixture
def db():
    """Run the test inside a transaction that is rolled back afterwards."""
    from django.db import transaction

    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def sites(db):
    from linkwork.web.models import Site

    return {code: Site.objects.create(code=code, name=f"Site {code}") for code in ("S1", "S2")}


@pytest.fixture
def make_user(db):
    from django.contrib.auth.models import User

    from linkwork.web.models import Profile

    def make(name, role, site=None):
        user = User.objects.create_user(
            username=name, password=PASSWORD, is_staff=role == "admin", is_superuser=role == "admin"
        )
        Profile.objects.create(user=user, role=role, site=site)
        return user

    return make


@pytest.fixture
def make_participant(db):
    from linkwork.web.models import Participant, ParticipantIdentity, Referral

    def make(code, site, enrolled_on=None, **identity):
        person = Participant.objects.create(
            code=code, site=site, enrolled_on=enrolled_on or dt.date.today(), age=50
        )
        ParticipantIdentity.objects.create(participant=person, **identity)
        Referral.objects.create(
            participant=person, practice="Practice A", referred_on=dt.date.today()
        )
        return person

    return make


@pytest.fixture
def login(db):
    from django.test import Client

    def log_in(user, csrf=False):
        client = Client(enforce_csrf_checks=csrf)
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def two_sites(sites, make_user, make_participant, login):
    """A link worker at S1 and one at S2, each with one participant; signed-in clients."""
    lw1 = make_user("lw1", "link_worker", sites["S1"])
    lw2 = make_user("lw2", "link_worker", sites["S2"])
    p1 = make_participant("P1", sites["S1"], name="Alice Example", nhs_number="9434765919")
    p2 = make_participant("P2", sites["S2"], name="Bob Example", nhs_number="9434765870")
    return {"lw1": lw1, "lw2": lw2, "p1": p1, "p2": p2, "c1": login(lw1), "c2": login(lw2)}


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server (tests/_postgres.py); its URL prefix
    ``postgresql://postgres@127.0.0.1:PORT/``."""
    with start_postgres() as url:
        yield url
