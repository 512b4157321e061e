"""The database exported as long data: the demo cohort goes in and comes back out unchanged."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from linkwork.datasets import demo_cohort
from linkwork.web.demo import load_demo_cohort
from linkwork.web.export import export_long
from linkwork.web.models import Assessment, ParticipantIdentity


def test_demo_cohort_round_trips_through_the_database(db):
    load_demo_cohort()
    expected = demo_cohort().sort_values(["participant_id", "wave"]).reset_index(drop=True)
    exported = export_long()
    assert list(exported.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(exported, expected, check_dtype=False, check_categorical=False)
    assert list(exported["wave"].cat.categories) == ["T1", "T2", "T3"]
    assert load_demo_cohort() == 0  # loading twice adds nothing


def test_export_of_one_site_holds_only_that_site(db):
    load_demo_cohort()
    exported = export_long("S2")
    expected = demo_cohort()
    assert set(exported["site"]) == {"S2"}
    assert len(exported) == (expected["site"] == "S2").sum()


def test_export_never_contains_identities(two_sites):
    Assessment.objects.create(
        participant=two_sites["p1"],
        wave="T1",
        instrument="srh",
        responses={"srh_1": 2},
        completed_on=dt.date(2024, 5, 1),
    )
    exported = export_long()
    text = exported.to_csv()
    identity = ParticipantIdentity.objects.get(participant=two_sites["p1"])
    assert identity.name not in text
    assert identity.nhs_number not in text
    assert exported.loc[0, "srh_1"] == 2
    assert list(exported["participant_id"]) == ["P1"]
