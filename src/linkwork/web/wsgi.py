"""WSGI entry point for production servers: ``gunicorn linkwork.web.wsgi:application``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

__all__ = ["application"]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkwork.web.settings")
application = get_wsgi_application()
