"""URL routes."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import path

from linkwork.web import views
from linkwork.web.forms import ThrottledLoginForm

__all__ = ["urlpatterns"]


def _no_icon(request: HttpRequest) -> HttpResponse:
    # Browsers ask every page's origin for /favicon.ico (the downloaded report and the admin
    # too); answer "no content" rather than a 404 that shows up as a console error.
    return HttpResponse(status=204)


urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledLoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("favicon.ico", _no_icon),
    path("", views.home, name="home"),
    path("caseload/", views.caseload, name="caseload"),
    path("participants/new/", views.enrol, name="enrol"),
    path("participants/<str:code>/", views.participant, name="participant"),
    path(
        "participants/<str:code>/referrals/<uuid:referral>/status/",
        views.referral_status,
        name="referral_status",
    ),
    path("participants/<str:code>/assess/<str:instrument>/", views.assess, name="assess"),
    path("participants/<str:code>/groups/new/", views.group_new, name="group_new"),
    path("participants/<str:code>/rate/<str:target>/", views.rate, name="rate"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/<str:run>/<str:name>", views.evaluation_file, name="evaluation_file"),
]
