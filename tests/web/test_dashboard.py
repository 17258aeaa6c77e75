"""The dashboard: patients per stage, procedures, overdue tasks, upcoming appointments."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.web.conftest import text
from tracker.clock import utcnow
from tracker.dashboard import services
from tracker.db import db
from tracker.journeys.models import Appointment
from tracker.timeutil import at_local, clinic_tz


@pytest.fixture
def today(app) -> date:
    return utcnow().astimezone(clinic_tz()).date()


@pytest.fixture
def journey_on(make_journey, make_patient, today):
    """A journey whose surgery is ``days`` from today at ``clock`` (clinic time)."""

    def make(days: int, clock: time = time(9, 0), stage: str = "consultation", **patient):
        journey = make_journey(
            make_patient(**patient),
            consultation_date=today - timedelta(days=30),
            surgery_at=at_local(today + timedelta(days=days), clock, clinic_tz()),
        )
        journey.stage = stage
        for task in journey.tasks:  # nothing overdue unless a test says so
            task.due_on = today + timedelta(days=60)
        db.session.commit()
        return journey

    return make


def test_counts_per_stage_link_to_the_filtered_list(as_coordinator, journey_on):
    journey_on(20, stage="preparation")
    journey_on(21, stage="preparation")
    journey_on(-3, stage="follow_up")
    cancelled = journey_on(22, stage="preparation")
    cancelled.status = "cancelled"
    db.session.commit()

    html = text(as_coordinator.get("/"))
    counts = dict(
        re.findall(
            r'href="/patients\?stage=(\w+)">\s*<span class="stage-count-n">(\d+)</span>', html
        )
    )
    assert counts == {
        "consultation": "0",
        "preparation": "2",
        "procedure": "0",
        "discharge": "0",
        "follow_up": "1",
    }
    assert services.stage_counts()["preparation"] == 2


def test_procedures_today_and_this_week(as_coordinator, journey_on, today):
    journey_on(0, time(7, 30), stage="procedure", given_name="Today", family_name="Early")
    monday = today - timedelta(days=today.weekday())
    later_this_week = (monday + timedelta(days=6) - today).days
    journey_on(later_this_week, time(23, 30), given_name="Sunday", family_name="Late")
    journey_on(later_this_week + 1, time(0, 30), given_name="Next", family_name="Week")
    html = text(as_coordinator.get("/"))
    today_section = html[html.index('id="today-h"') : html.index('id="week-h"')]
    week_section = html[html.index('id="week-h"') : html.index('id="overdue-h"')]
    assert "Today Early" in today_section and "07:30" in today_section  # clinic local time
    assert "Sunday Late" not in today_section or later_this_week == 0
    assert "Today Early" in week_section and "Sunday Late" in week_section
    assert "Next Week" not in week_section


def test_overdue_tasks_are_open_past_due_tasks_of_active_journeys(
    as_coordinator, journey_on, today
):
    late = journey_on(10, given_name="Late", family_name="Tasks")
    overdue, due_today, done = late.tasks[:3]  # the list re-sorts by due date after commit
    overdue.due_on = today - timedelta(days=2)
    due_today.due_on = today  # not overdue yet
    done.due_on = today - timedelta(days=5)
    done.status = "done"
    gone = journey_on(11, given_name="Cancelled", family_name="Journey")
    gone.tasks[0].due_on = today - timedelta(days=3)
    gone.status = "cancelled"
    db.session.commit()

    html = text(as_coordinator.get("/"))
    section = html[html.index('id="overdue-h"') : html.index('id="appts-h"')]
    assert re.search(r'count count-alert">1<', section)
    assert overdue.title in section and due_today.title not in section
    assert f'href="/patients/{late.patient_id}"' in section
    assert "Cancelled Journey" not in section
    tasks, total = services.overdue_tasks(today)
    assert [t.id for t in tasks] == [overdue.id] and total == 1


def test_upcoming_appointments_cover_the_next_seven_days(as_coordinator, journey_on, now):
    soon = journey_on(3, time(10, 15), given_name="Soon", family_name="Seen")
    journey_on(40, given_name="Far", family_name="Away")
    cancelled = Appointment(
        journey=soon,
        kind="follow_up",
        title="Cancelled visit",
        status="cancelled",
        starts_at=utcnow() + timedelta(days=1),
        duration_minutes=30,
    )
    db.session.add(cancelled)
    db.session.commit()
    html = text(as_coordinator.get("/"))
    section = html[html.index('id="appts-h"') :]
    assert "Soon Seen" in section and "10:15" in section
    assert "Far Away" not in section and "Cancelled visit" not in section


def test_reminders_slot_and_empty_states(as_coordinator):
    html = text(as_coordinator.get("/"))
    assert "No procedures today." in html and "Nothing overdue." in html


def test_dashboard_query_count_does_not_grow_with_patients(
    as_coordinator, journey_on, count_queries
):
    for days in range(3):
        journey_on(days % 2, stage="procedure").tasks[0].due_on = date(2020, 1, 1)
    db.session.commit()
    with count_queries() as few:
        assert as_coordinator.get("/").status_code == 200
    for days in range(6):
        journey_on(days % 3, stage="procedure").tasks[0].due_on = date(2020, 1, 1)
    db.session.commit()
    with count_queries() as many:
        assert as_coordinator.get("/").status_code == 200
    assert len(many) == len(few)


def test_week_bounds_follow_the_clinic_calendar():
    assert services.week_of(date(2026, 11, 26)) == (date(2026, 11, 23), date(2026, 11, 29))
    start, end = services.day_bounds(
        date(2026, 11, 23), date(2026, 11, 23), ZoneInfo("Asia/Jakarta")
    )
    assert start == datetime(2026, 11, 22, 17, 0, tzinfo=start.tzinfo)
    assert end - start == timedelta(days=1)
