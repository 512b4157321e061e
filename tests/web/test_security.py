"""Sign-in, throttling, CSRF, cookies, headers and settings from the environment."""

from __future__ import annotations

import pytest
from django.test import Client

from linkwork.errors import PlanError
from linkwork.web import settings as web_settings
from linkwork.web.models import LoginFailure

from .conftest import PASSWORD


def test_login_uses_djangos_standard_fields_and_signs_in(sites, make_user):
    make_user("lw", "link_worker", sites["S1"])
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    html = page.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "lw", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert client.get("/caseload/").status_code == 200


def test_login_without_csrf_token_is_refused(sites, make_user):
    make_user("lw", "link_worker", sites["S1"])
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "lw", "password": PASSWORD})
    assert response.status_code == 403


def test_forms_refuse_posts_without_csrf_token(two_sites, login):
    client = login(two_sites["lw1"], csrf=True)
    response = client.post("/participants/P1/assess/srh/", {"wave": "T1", "srh_1": "1"})
    assert response.status_code == 403
    page = client.get("/participants/P1/assess/srh/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_login_is_throttled_per_username(sites, make_user):
    make_user("lw", "link_worker", sites["S1"])
    client = Client()
    for _ in range(web_settings.LINKWORK_LOGIN_FAILURES):
        response = client.post("/accounts/login/", {"username": "lw", "password": "wrong"})
        assert response.status_code == 200
    assert (
        LoginFailure.objects.filter(username="lw").count() == web_settings.LINKWORK_LOGIN_FAILURES
    )
    # now even the right password is refused, with a clear message
    response = client.post("/accounts/login/", {"username": "lw", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_per_ip_across_usernames(sites, make_user):
    make_user("lw", "link_worker", sites["S1"])
    client = Client(REMOTE_ADDR="10.0.0.9")
    for k in range(web_settings.LINKWORK_LOGIN_FAILURES):
        client.post("/accounts/login/", {"username": f"guess{k}", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "lw", "password": PASSWORD})
    assert "Too many failed" in response.content.decode()
    other = Client(REMOTE_ADDR="10.0.0.10")
    assert (
        other.post("/accounts/login/", {"username": "lw", "password": PASSWORD}).status_code == 302
    )


def test_security_headers_on_every_page(db):
    response = Client().get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_session_cookie_settings(sites, make_user):
    make_user("lw", "link_worker", sites["S1"])
    client = Client()
    client.post("/accounts/login/", {"username": "lw", "password": PASSWORD})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert web_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_production_password_hasher_is_pbkdf2():
    assert web_settings.PASSWORD_HASHERS[0].endswith("PBKDF2PasswordHasher")


def test_database_url_parsing(tmp_path):
    sqlite = web_settings.database(None, tmp_path)
    assert sqlite["ENGINE"].endswith("sqlite3")
    assert sqlite["NAME"] == str(tmp_path / "linkwork.sqlite3")
    pg = web_settings.database("postgresql://lw:p%40ss@db.example:5433/linkwork", tmp_path)
    assert (pg["ENGINE"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "django.db.backends.postgresql",
        "lw",
        "p@ss",
        "db.example",
        "5433",
        "linkwork",
    )
    with pytest.raises(PlanError, match="LINKWORK_DATABASE_URL"):
        web_settings.database("mysql://x/y", tmp_path)


def test_generated_secret_key_is_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("LINKWORK_SECRET_KEY", raising=False)
    first = web_settings._secret_key(tmp_path)
    assert len(first) >= 50
    assert web_settings._secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("LINKWORK_SECRET_KEY", "from-env")
    assert web_settings._secret_key(tmp_path) == "from-env"


def test_pages_with_personal_data_are_not_cached(two_sites):
    response = two_sites["c1"].get("/participants/P1/")
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
