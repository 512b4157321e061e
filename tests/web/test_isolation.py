"""Per-site isolation: a link worker never sees nor edits another site's participants,
whether by URL or by tampering with form fields."""

from __future__ import annotations

import datetime as dt

import pytest

from linkwork.web.access import participants_for
from linkwork.web.models import (
    Assessment,
    GroupMembership,
    Organization,
    Participant,
    RelationshipRating,
    Service,
)


def test_scoped_queryset_per_role(two_sites, make_user, sites):
    assert list(participants_for(two_sites["lw1"])) == [two_sites["p1"]]
    assert list(participants_for(two_sites["lw2"])) == [two_sites["p2"]]
    assert set(participants_for(make_user("root", "admin"))) == {two_sites["p1"], two_sites["p2"]}
    assert list(participants_for(make_user("a1", "admin", sites["S1"]))) == [two_sites["p1"]]
    assert not participants_for(make_user("ev", "evaluator")).exists()
    assert not participants_for(make_user("nosite", "link_worker")).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/participants/P2/",
        "/participants/P2/assess/uls8/",
        "/participants/P2/groups/new/",
        "/participants/P2/rate/link_worker/",
        "/participants/P2/rate/facilitator/",
    ],
)
def test_other_sites_participant_urls_are_not_found(two_sites, url):
    assert two_sites["c1"].get(url).status_code == 404
    assert two_sites["c1"].post(url, {}).status_code == 404
    assert two_sites["c2"].get(url).status_code == 200


def test_referral_status_of_other_site_cannot_be_posted(two_sites):
    referral = two_sites["p2"].referrals.get()
    url = f"/participants/P2/referrals/{referral.pk}/status/"
    assert two_sites["c1"].post(url, {"status": "declined"}).status_code == 404
    # nor by pairing one's own participant with another site's referral id
    url = f"/participants/P1/referrals/{referral.pk}/status/"
    assert two_sites["c1"].post(url, {"status": "declined"}).status_code == 404
    assert referral.status is None


def test_caseload_lists_only_own_site(two_sites):
    page = two_sites["c1"].get("/caseload/").content.decode()
    assert "P1" in page
    assert "P2" not in page


def test_identity_is_shown_to_own_site_only(two_sites, make_user, login):
    assert "Alice Example" in two_sites["c1"].get("/participants/P1/").content.decode()
    assert "Bob Example" not in two_sites["c1"].get("/caseload/").content.decode()
    evaluator = login(make_user("ev", "evaluator"))
    assert evaluator.get("/participants/P1/").status_code == 403


def test_enrolment_ignores_a_tampered_site_field(two_sites, sites):
    data = {
        "code": "P3",
        "enrolled_on": "2024-05-01",
        "practice": "Practice A",
        "referred_on": "2024-04-20",
        "site": sites["S2"].pk,
        "site_id": sites["S2"].pk,
    }
    response = two_sites["c1"].post("/participants/new/", data)
    assert response.status_code == 302
    assert Participant.objects.get(code="P3").site == sites["S1"]


def test_facilitator_rating_cannot_point_at_another_participants_group(two_sites):
    org = Organization.objects.create(name="Org")
    service = Service.objects.create(organization=org, name="Choir")
    theirs = GroupMembership.objects.create(
        participant=two_sites["p2"], service=service, start=dt.date.today()
    )
    items = {f"facilitator_belonging_{k}": "5" for k in range(1, 5)}
    data = {"wave": "T2", "completed_on": "2024-05-01", "mode": "phone", "membership": theirs.pk}
    response = two_sites["c1"].post("/participants/P1/rate/facilitator/", {**data, **items})
    assert response.status_code == 200
    assert "membership" in response.context["form"].errors
    assert not RelationshipRating.objects.exists()


def test_questionnaire_post_cannot_choose_the_participant(two_sites):
    items = {"srh_1": "2"}
    data = {
        "wave": "T1",
        "completed_on": "2024-05-01",
        "mode": "phone",
        "participant": two_sites["p2"].pk,
    }
    response = two_sites["c1"].post("/participants/P1/assess/srh/", {**data, **items})
    assert response.status_code == 302
    assert Assessment.objects.get().participant == two_sites["p1"]
