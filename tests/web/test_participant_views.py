"""Link workers' pages with Django's test client."""

from __future__ import annotations

import datetime as dt

import pytest

from linkwork.instruments import get
from linkwork.web.models import (
    Assessment,
    Facilitator,
    GroupMembership,
    Organization,
    Participant,
    ParticipantIdentity,
    RelationshipRating,
    Service,
)

FORM = {"wave": "T1", "completed_on": "2024-05-01", "mode": "in_person"}


def test_anonymous_users_are_sent_to_login(db):
    from django.test import Client

    for url in ["/", "/caseload/", "/participants/new/", "/participants/P1/", "/evaluation/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_home_sends_each_role_to_its_page(two_sites, make_user, login):
    assert two_sites["c1"].get("/")["Location"] == "/caseload/"
    assert login(make_user("ev", "evaluator")).get("/")["Location"] == "/evaluation/"
    assert login(make_user("nobody", "evaluator")).get("/caseload/").status_code == 403


def test_caseload_sorts_follow_ups_into_due_overdue_missed(
    sites, make_user, make_participant, login
):
    client = login(make_user("lw", "link_worker", sites["S1"]))
    today = dt.date.today()
    make_participant("DUE", sites["S1"], enrolled_on=today - dt.timedelta(days=50))  # T2 due
    make_participant("LATE", sites["S1"], enrolled_on=today - dt.timedelta(days=60))  # T2 overdue
    old = make_participant("GONE", sites["S1"], enrolled_on=today - dt.timedelta(days=100))
    Assessment.objects.create(
        participant=old, wave="T1", instrument="srh", responses={"srh_1": 3}, completed_on=today
    )
    lists = client.get("/caseload/").context["lists"]
    named = {k: sorted((p.code, w.label) for p, w in v) for k, v in lists.items()}
    assert ("DUE", "T2") in named["due"]
    assert ("LATE", "T2") in named["overdue"]
    assert ("GONE", "T2") in named["missed"]
    assert ("GONE", "T1") not in named["missed"]  # recorded
    assert ("DUE", "T1") in named["missed"]  # T1 window (14 days) passed with nothing recorded


def test_enrol_creates_participant_identity_referral(sites, make_user, login):
    lw = make_user("lw", "link_worker", sites["S1"])
    data = {
        "code": "P7",
        "enrolled_on": "2024-05-01",
        "name": "Carol Example",
        "nhs_number": "9434765919",
        "practice": "Riverside Surgery",
        "referred_on": "2024-04-20",
        "reasons": "loneliness",
    }
    response = login(lw).post("/participants/new/", data)
    assert response["Location"] == "/participants/P7/"
    person = Participant.objects.get(code="P7")
    assert person.link_worker == lw
    assert person.site == sites["S1"]
    assert ParticipantIdentity.objects.get(participant=person).name == "Carol Example"
    referral = person.referrals.get()
    assert referral.practice == "Riverside Surgery"
    assert referral.statuses.get().snomed_code == "871731000000106"


def test_enrol_rejects_duplicate_codes_and_bad_nhs_numbers(two_sites):
    data = {
        "code": "P1",
        "enrolled_on": "2024-05-01",
        "practice": "X",
        "referred_on": "2024-04-20",
        "nhs_number": "12345",
    }
    form = two_sites["c1"].post("/participants/new/", data).context["form"]
    assert set(form.errors) == {"code", "nhs_number"}


def test_questionnaire_form_is_generated_from_the_spec(two_sites):
    page = two_sites["c1"].get("/participants/P1/assess/uls8/?wave=T2")
    form = page.context["form"]
    spec = get("uls8")
    assert [k for k in form.fields if k.startswith("uls8_")] == list(spec.item_keys)
    html = page.content.decode()
    assert "I lack companionship" in html  # public wording ships (Hays & DiMatteo 1987)
    assert "Never" in html
    assert "Often" in html


def test_licensed_instruments_show_labels_not_wording(two_sites):
    page = two_sites["c1"].get("/participants/P1/assess/wemwbs/")
    spec = get("wemwbs")
    labels = [
        field.label
        for key, field in page.context["form"].fields.items()
        if key.startswith("wemwbs_")
    ]
    assert labels == [item.label for item in spec.items]
    assert all(item.text is None for item in spec.items)


def test_questionnaire_rejects_out_of_range_with_a_clear_message(two_sites):
    items = {key: "2" for key in get("uls8").item_keys}
    items["uls8_4"] = "7"
    response = two_sites["c1"].post("/participants/P1/assess/uls8/", {**FORM, **items})
    assert response.status_code == 200
    message = response.context["form"].errors["uls8_4"][0]
    assert "'7'" in message
    assert "1-4" in message
    assert "Please correct" in response.content.decode()
    assert not Assessment.objects.exists()


def test_questionnaire_saves_and_refuses_a_second_copy(two_sites):
    items = {key: "3" for key in get("k6").item_keys}
    items["k6_2"] = ""  # missing item allowed, scored by the spec's missing rule
    client = two_sites["c1"]
    assert client.post("/participants/P1/assess/k6/", {**FORM, **items}).status_code == 302
    saved = Assessment.objects.get()
    assert saved.entered_by == two_sites["lw1"]
    assert saved.mode == "in_person"
    assert saved.responses["k6_2"] is None
    assert saved.responses["k6_1"] == 3.0
    again = client.post("/participants/P1/assess/k6/", {**FORM, **items})
    assert "already recorded" in again.context["form"].errors["wave"][0]
    assert Assessment.objects.count() == 1


def test_unknown_instrument_is_not_found(two_sites):
    assert two_sites["c1"].get("/participants/P1/assess/nope/").status_code == 404
    assert two_sites["c1"].get("/participants/P1/rate/nobody/").status_code == 404


@pytest.fixture
def group():
    org = Organization.objects.create(name="Org")
    service = Service.objects.create(organization=org, name="Walking group")
    return service, Facilitator.objects.create(name="Fay", service=service)


def test_group_referral_and_ratings(two_sites, group):
    service, facilitator = group
    client = two_sites["c1"]
    data = {
        "service": service.pk,
        "facilitator": facilitator.pk,
        "start": "2024-05-02",
        "sessions_attended": "3",
    }
    assert client.post("/participants/P1/groups/new/", data).status_code == 302
    membership = GroupMembership.objects.get(participant=two_sites["p1"])
    assert membership.sessions_attended == 3
    lw_items = {f"lw_relationship_{k}": "6" for k in range(1, 6)}
    assert (
        client.post("/participants/P1/rate/link_worker/", {**FORM, **lw_items}).status_code == 302
    )
    fac_items = {f"facilitator_belonging_{k}": "7" for k in range(1, 5)}
    posted = client.post(
        "/participants/P1/rate/facilitator/", {**FORM, **fac_items, "membership": membership.pk}
    )
    assert posted.status_code == 302
    assert sorted(RelationshipRating.objects.values_list("target", flat=True)) == [
        "facilitator",
        "link_worker",
    ]
    page = client.get("/participants/P1/")
    names = [name for name, _ in page.context["scores"]]
    assert names == sorted(["facilitator_belonging", "lw_relationship"])
    assert "Walking group" in page.content.decode()


def test_group_referral_rejects_end_before_start(two_sites, group):
    service, _ = group
    data = {
        "service": service.pk,
        "start": "2024-05-02",
        "end": "2024-05-01",
        "sessions_attended": "0",
    }
    response = two_sites["c1"].post("/participants/P1/groups/new/", data)
    assert "end" in response.context["form"].errors


def test_participant_page_shows_scores_over_time(two_sites):
    person = two_sites["p1"]
    for wave, value in [("T1", 4), ("T2", 1)]:
        Assessment.objects.create(
            participant=person,
            wave=wave,
            instrument="uls8",
            completed_on=dt.date.today(),
            responses={key: value for key in get("uls8").item_keys},
        )
    scores = dict(two_sites["c1"].get("/participants/P1/").context["scores"])
    # all items 4: items 3 and 6 reverse to 1 -> 6 x 4 + 2 x 1 = 26; all 1: 6 + 2 x 4 = 14
    assert scores["uls8"][:2] == [26.0, 14.0]
    assert scores["uls8"][2] is None


def test_referral_status_form(two_sites):
    referral = two_sites["p1"].referrals.get()
    url = f"/participants/P1/referrals/{referral.pk}/status/"
    assert two_sites["c1"].get(url).status_code == 405
    two_sites["c1"].post(url, {"status": "bogus"})
    assert referral.status is None
    two_sites["c1"].post(url, {"status": "accepted"})
    assert referral.status == "accepted"
