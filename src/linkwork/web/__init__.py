"""The programme app: link workers record referrals, groups and questionnaire waves.

A Django project and app. Importing this package does not import Django; the functions
below configure Django on first use (settings from ``LINKWORK_DATA_DIR``,
``LINKWORK_DATABASE_URL`` and ``LINKWORK_SECRET_KEY``, see :mod:`linkwork.web.settings`).

* :func:`setup` configures Django and applies migrations;
* :func:`serve` runs the app (``linkwork serve``);
* :func:`create_user` makes an account (``linkwork createuser``);
* :func:`load_demo` loads :func:`linkwork.datasets.demo_cohort` into the database;
* :func:`export_long` exports the database as long data for :func:`linkwork.evaluate`;
* :func:`run_evaluation` evaluates the live database and writes the outputs.
"""

from __future__ import annotations

from linkwork.web.runtime import (
    create_user,
    export_long,
    load_demo,
    run_evaluation,
    serve,
    setup,
)

__all__ = ["create_user", "export_long", "load_demo", "run_evaluation", "serve", "setup"]
