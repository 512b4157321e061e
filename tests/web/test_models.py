"""Models: responses validated by the instrument specs, referral codes, constraints."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from linkwork.instruments import get
from linkwork.web.models import (
    Assessment,
    Facilitator,
    GroupMembership,
    Organization,
    Participant,
    Referral,
    ReferralStatus,
    RelationshipRating,
    Service,
    validate_responses,
)

TODAY = dt.date(2024, 5, 1)


def _all(name, value):
    return {key: value for key in get(name).item_keys}


@pytest.fixture
def person(sites, make_participant):
    return make_participant("P1", sites["S1"])


def test_valid_responses_are_stored_as_numbers(person):
    a = Assessment.objects.create(
        participant=person,
        wave="T1",
        instrument="uls8",
        responses=_all("uls8", "4"),
        completed_on=TODAY,
    )
    a.refresh_from_db()
    assert a.responses == {key: 4.0 for key in get("uls8").item_keys}


@pytest.mark.parametrize(("name", "bad"), [("uls8", 5), ("uls8", 0), ("k6", 2.5), ("srh", "good")])
def test_out_of_range_responses_never_reach_the_database(person, name, bad):
    # ULS-8 is 1-4 (Hays & DiMatteo 1987), K6 items are integers, SRH takes codes not words
    responses = _all(name, get(name).response.min)
    first = get(name).item_keys[0]
    responses[first] = bad
    with pytest.raises(ValidationError) as caught:
        Assessment.objects.create(
            participant=person,
            wave="T1",
            instrument=name,
            responses=responses,
            completed_on=TODAY,
        )
    assert first in caught.value.message_dict
    assert "expected" in caught.value.message_dict[first][0]
    assert not Assessment.objects.exists()


def test_missing_items_are_allowed_but_not_an_empty_questionnaire():
    responses = _all("uls8", 2)
    responses["uls8_3"] = ""
    assert validate_responses("uls8", responses)["uls8_3"] is None
    with pytest.raises(ValidationError, match="no item"):
        validate_responses("uls8", _all("uls8", None))


def test_unknown_items_and_instruments_are_rejected():
    with pytest.raises(ValidationError, match="not items of uls8"):
        validate_responses("uls8", {"uls8_9": 1})
    with pytest.raises(ValidationError, match="unknown instrument"):
        validate_responses("uls-8", {})


def test_unknown_wave_is_rejected(person):
    with pytest.raises(ValidationError) as caught:
        Assessment.objects.create(
            participant=person,
            wave="T9",
            instrument="srh",
            responses={"srh_1": 1},
            completed_on=TODAY,
        )
    assert "wave" in caught.value.message_dict


def test_one_assessment_per_participant_wave_instrument(person):
    kwargs = {"participant": person, "wave": "T1", "instrument": "srh", "completed_on": TODAY}
    Assessment.objects.create(responses={"srh_1": 1}, **kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(responses={"srh_1": 2}, **kwargs)


def test_referral_statuses_carry_the_prsb_snomed_codes(person):
    referral = Referral.objects.get(participant=person)
    codes = {}
    for status in ("received", "contacted", "accepted", "declined"):
        step = ReferralStatus.objects.create(
            referral=referral, status=status, at=dt.datetime.now(dt.UTC)
        )
        codes[status] = step.snomed_code
    # PRSB Social Prescribing Information Standard (field.md)
    assert codes == {
        "received": "871731000000106",
        "contacted": "",
        "accepted": "",
        "declined": "871711000000103",
    }
    assert referral.status == "declined"


@pytest.fixture
def group():
    org = Organization.objects.create(name="Org")
    service = Service.objects.create(organization=org, name="Walking group")
    return service, Facilitator.objects.create(name="Fay", service=service)


def test_membership_dates_and_facilitator_are_checked(person, group):
    service, facilitator = group
    other = Service.objects.create(organization=service.organization, name="Choir")
    bad_dates = GroupMembership(
        participant=person, service=service, start=TODAY, end=TODAY - dt.timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="end date"):
        bad_dates.full_clean()
    wrong = GroupMembership(participant=person, service=other, facilitator=facilitator, start=TODAY)
    with pytest.raises(ValidationError, match="does not run"):
        wrong.full_clean()


def test_facilitator_rating_needs_the_participants_own_membership(
    sites, person, group, make_participant
):
    service, _ = group
    other = make_participant("P2", sites["S1"])
    theirs = GroupMembership.objects.create(participant=other, service=service, start=TODAY)
    items = _all("facilitator_belonging", 5)
    common = {"participant": person, "wave": "T2", "completed_on": TODAY, "responses": items}
    with pytest.raises(ValidationError, match="group"):
        RelationshipRating.objects.create(target="facilitator", **common)
    with pytest.raises(ValidationError, match="not this participant"):
        RelationshipRating.objects.create(target="facilitator", membership=theirs, **common)
    mine = GroupMembership.objects.create(participant=person, service=service, start=TODAY)
    rating = RelationshipRating.objects.create(target="facilitator", membership=mine, **common)
    assert rating.instrument_name == "facilitator_belonging"


def test_identity_lives_apart_from_the_participant(person):
    fields = {f.name for f in Participant._meta.get_fields()}
    assert not {"name", "nhs_number", "date_of_birth", "phone", "address"} & fields


def test_database_backend_is_the_one_configured(db):
    from django.db import connection

    expected = "postgresql" if os.environ.get("LINKWORK_TEST_DATABASE_URL") else "sqlite"
    assert connection.vendor == expected
