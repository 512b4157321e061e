"""Entry points used by the command line: set up Django, serve, create users, demo, export."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkwork.errors import LinkworkError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "create_user",
    "export_long",
    "load_demo",
    "password_from_lines",
    "run_evaluation",
    "serve",
    "setup",
]

ROLES = ("admin", "link_worker", "evaluator")


def setup(*, migrate: bool = True) -> None:
    """Configure Django with :mod:`linkwork.web.settings` and apply migrations."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkwork.web.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def load_demo() -> int:
    """Load the demo cohort (see :func:`linkwork.web.demo.load_demo_cohort`)."""
    setup()
    from linkwork.web.demo import load_demo_cohort

    return load_demo_cohort()


def export_long(site: Any = None) -> pd.DataFrame:
    """The database as long data (see :func:`linkwork.web.export.export_long`)."""
    setup(migrate=False)
    from linkwork.web.export import export_long as export

    return export(site)


def run_evaluation(site: Any = None) -> Path:
    """Evaluate the live database (see :func:`linkwork.web.reports.run_evaluation`)."""
    setup(migrate=False)
    from linkwork.web.reports import run_evaluation as run

    return run(site)


def password_from_lines(text: str) -> str:
    """The password from piped input: the first line; a second line, if given, must repeat it.

    Examples
    --------
    >>> password_from_lines("correct horse battery\\ncorrect horse battery\\n")
    'correct horse battery'
    """
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise LinkworkError("no password on standard input")
    if len(lines) > 1 and lines[1] != lines[0]:
        raise LinkworkError("the two passwords on standard input differ")
    return lines[0]


def create_user(name: str, role: str, password: str, site: str | None = None) -> None:
    """Make an account with *role* (admin, link_worker, evaluator), at *site* if given.

    Link workers need a site; the site is created when it does not exist. Admins may use the
    Django admin. The password must pass Django's password validators.
    """
    if role not in ROLES:
        raise LinkworkError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    if role == "link_worker" and not site:
        raise LinkworkError("a link worker needs --site")
    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from linkwork.web.audit import acting_as
    from linkwork.web.models import Profile, Site

    users = get_user_model()
    if users.objects.filter(username=name).exists():
        raise LinkworkError(f"user {name!r} exists already")
    candidate = users(username=name)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        raise LinkworkError("password rejected: " + " ".join(error.messages)) from None
    with acting_as("cli"), transaction.atomic():
        where = None
        if site:
            where, _ = Site.objects.get_or_create(code=site, defaults={"name": site})
        user = users.objects.create_user(
            username=name,
            password=password,
            is_staff=role == "admin",
            is_superuser=role == "admin",
        )
        Profile.objects.create(user=user, role=role, site=where)


def serve(host: str = "127.0.0.1", port: int = 8000, demo: bool = False) -> None:
    """Apply migrations, optionally load the demo cohort, and serve the app (blocking).

    Uses Django's threaded development server (``django.core.servers.basehttp``) with static
    files; for production run a WSGI server on :mod:`linkwork.web.wsgi` (see docs/web.md).
    """
    setup()
    if demo:
        load_demo()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    run(host, port, StaticFilesHandler(get_wsgi_application()), threading=True)
