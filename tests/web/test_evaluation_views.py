"""Evaluators run the evaluation on the live database and download the outputs."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from linkwork.datasets import demo_cohort
from linkwork.web.demo import load_demo_cohort
from linkwork.web.models import Site


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path):
    from django.test import override_settings

    with override_settings(DATA_DIR=tmp_path):
        yield


@pytest.fixture
def demo(db):
    assert load_demo_cohort() == demo_cohort()["participant_id"].nunique()


def test_link_workers_cannot_reach_the_evaluation(two_sites):
    assert two_sites["c1"].get("/evaluation/").status_code == 403
    assert two_sites["c1"].post("/evaluation/").status_code == 403


def test_evaluator_runs_the_evaluation_and_downloads_report_and_long_data(demo, make_user, login):
    client = login(make_user("ev", "evaluator"))
    response = client.post("/evaluation/", follow=True)
    assert response.status_code == 200
    (run,) = response.context["runs"]
    assert "finished" in response.content.decode()
    report = client.get(f"/evaluation/{run}/report.html")
    assert report.status_code == 200
    assert report["Content-Type"].startswith("text/html")
    assert b"<html" in b"".join(report.streaming_content).lower()
    csv = client.get(f"/evaluation/{run}/long.csv")
    assert "attachment" in csv["Content-Disposition"]
    long = pd.read_csv(io.BytesIO(b"".join(csv.streaming_content)))
    expected = demo_cohort()
    assert len(long) == len(expected)
    assert set(long["participant_id"]) == set(expected["participant_id"])
    assert long["uls8_1"].sum() == expected["uls8_1"].sum()


def test_runs_and_files_are_scoped_and_names_checked(demo, make_user, login):
    everyone = login(make_user("ev", "evaluator"))
    everyone.post("/evaluation/")
    (run,) = everyone.get("/evaluation/").context["runs"]
    site_evaluator = login(make_user("ev1", "evaluator", Site.objects.get(code="S1")))
    assert site_evaluator.get("/evaluation/").context["runs"] == []
    assert site_evaluator.get(f"/evaluation/{run}/report.html").status_code == 404
    assert everyone.get(f"/evaluation/{run}/secret_key").status_code == 404
    assert everyone.get("/evaluation/..%2F..%2Fsecret_key/report.html").status_code == 404
    assert everyone.get(f"/evaluation/{run}/tables").status_code == 404


def test_evaluation_of_a_tiny_database_finishes_or_says_why(two_sites, make_user, login):
    import datetime as dt

    from linkwork.web.models import Assessment

    for person in (two_sites["p1"], two_sites["p2"]):
        Assessment.objects.create(
            participant=person,
            wave="T1",
            instrument="srh",
            responses={"srh_1": 2},
            completed_on=dt.date(2024, 5, 1),
        )
    response = login(make_user("ev", "evaluator")).post("/evaluation/", follow=True)
    assert response.status_code == 200
    (message,) = [str(m) for m in response.context["messages"]]
    assert "finished" in message or "could not run" in message
