"""The wave schedule: T1 at enrolment, T2 +8 weeks, T3 +18 months, each with a window."""

from __future__ import annotations

import datetime as dt

import pytest

from linkwork.web.waves import schedule

ENROLLED = dt.date(2024, 1, 1)


def test_default_schedule_dates_follow_the_study_design(db):
    waves = schedule(ENROLLED, ENROLLED)
    assert [w.label for w in waves] == ["T1", "T2", "T3"]
    assert waves[0].target == ENROLLED
    assert waves[1].target == ENROLLED + dt.timedelta(weeks=8)
    # 18 months after 1 January 2024 is 1 July 2025; the default offset is 548 days
    assert abs((waves[2].target - dt.date(2025, 7, 1)).days) <= 2


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (dt.date(2024, 2, 1), "upcoming"),  # T2 window opens 2024-02-12
        (dt.date(2024, 2, 12), "due"),
        (dt.date(2024, 2, 26), "due"),  # the target day itself
        (dt.date(2024, 2, 27), "overdue"),
        (dt.date(2024, 3, 11), "overdue"),  # last day of the window
        (dt.date(2024, 3, 12), "missed"),
    ],
)
def test_status_of_t2_moves_through_the_window(db, today, status):
    assert schedule(ENROLLED, today, ["T1"])[1].status == status


def test_recorded_wave_is_done_whatever_the_date(db):
    assert schedule(ENROLLED, dt.date(2030, 1, 1), ["T1", "T2", "T3"])[2].status == "done"


def test_schedule_is_configurable(db):
    from django.test import override_settings

    custom = [
        {"label": "base", "offset_days": 0, "before": 0, "after": 7},
        {"label": "w12", "offset_days": 84, "before": 7, "after": 7},
    ]
    with override_settings(LINKWORK_WAVES=custom):
        waves = schedule(ENROLLED, dt.date(2024, 3, 30))
    assert [(w.label, w.status) for w in waves] == [("base", "missed"), ("w12", "overdue")]
