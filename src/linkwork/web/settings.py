"""Django settings, configured from the environment.

``LINKWORK_DATA_DIR``
    Folder for the SQLite database, the generated secret key and evaluation outputs
    (default ``$XDG_DATA_HOME/linkwork``, i.e. ``~/.local/share/linkwork``).
``LINKWORK_DATABASE_URL``
    ``postgresql://user:password@host:port/name`` to use PostgreSQL instead of SQLite.
``LINKWORK_SECRET_KEY``
    Django's secret key; when unset one is generated once and kept in the data folder
    (readable by its owner only).
``LINKWORK_HTTPS``
    ``1`` behind HTTPS: secure cookies, HSTS and redirect to HTTPS.
``LINKWORK_ALLOWED_HOSTS``
    Comma-separated host names (default ``127.0.0.1,localhost``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from linkwork.errors import PlanError

__all__: list[str] = []


def data_dir() -> Path:
    """The data folder (created when missing)."""
    default = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    path = Path(os.environ.get("LINKWORK_DATA_DIR") or default / "linkwork")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(folder: Path) -> str:
    key = os.environ.get("LINKWORK_SECRET_KEY")
    if key:
        return key
    path = folder / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def database(url: str | None, folder: Path) -> dict[str, Any]:
    """Django DATABASES['default'] from ``LINKWORK_DATABASE_URL`` (or SQLite in *folder*)."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(folder / "linkwork.sqlite3"),
            "OPTIONS": {
                # BEGIN IMMEDIATE and a busy timeout: parallel writers wait instead of failing
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise PlanError(
            "unsupported LINKWORK_DATABASE_URL scheme",
            column="LINKWORK_DATABASE_URL",
            value=parts.scheme,
            expected="postgresql://user:password@host:port/name",
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(parts.port or ""),
        "ATOMIC_REQUESTS": True,
    }


DATA_DIR = data_dir()
SECRET_KEY = _secret_key(DATA_DIR)
DEBUG = os.environ.get("LINKWORK_DEBUG") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LINKWORK_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
HTTPS = os.environ.get("LINKWORK_HTTPS") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "linkwork.web.apps.WebConfig",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "linkwork.web.middleware.ActorMiddleware",
    "linkwork.web.middleware.SecurityHeadersMiddleware",
]
ROOT_URLCONF = "linkwork.web.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "linkwork.web.wsgi.application"
DATABASES = {"default": database(os.environ.get("LINKWORK_DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# PBKDF2 (Django's default, 1,000,000+ iterations in 5.2): argon2-cffi is not installed.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

#: Login throttling: this many failures per username or per IP address within the window.
LINKWORK_LOGIN_FAILURES = 5
LINKWORK_LOGIN_WINDOW_SECONDS = 15 * 60

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")

#: Waves scheduled from the enrolment date: label, offset in days, window (days before, after).
LINKWORK_WAVES = [
    {"label": "T1", "offset_days": 0, "before": 0, "after": 14},
    {"label": "T2", "offset_days": 56, "before": 14, "after": 14},
    {"label": "T3", "offset_days": 548, "before": 30, "after": 30},
]
#: Instruments offered at every wave, in order (names in linkwork.instruments.REGISTRY).
LINKWORK_INSTRUMENTS = [
    "ons_loneliness",
    "uls8",
    "k6",
    "wemwbs",
    "srh",
    "trust",
    "groups",
]
#: Relationship rating target -> instrument.
LINKWORK_RELATIONSHIP_INSTRUMENTS = {
    "link_worker": "lw_relationship",
    "facilitator": "facilitator_belonging",
}
