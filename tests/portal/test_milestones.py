from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.portal.conftest import at
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import NotFound, ValidationFailed
from tracker.portal import milestones, services
from tracker.portal.models import MilestoneRecord


def test_milestones_come_from_the_template_with_expected_windows(make_journey):
    journey = make_journey()
    items = {m.key: m for m in milestones.milestones(journey)}
    surgery = journey.surgery_at.date()
    assert items["desk_work"].expected_from == surgery + timedelta(days=5)
    assert items["desk_work"].expected_to == surgery + timedelta(days=14)
    assert items["desk_work"].title("id") == "Kembali kerja kantor"
    assert items["desk_work"].status(surgery + timedelta(days=20)) == "overdue"


def test_dates_in_the_future_or_before_surgery_are_refused(make_journey):
    journey = make_journey()
    surgery = journey.surgery_at.date()
    now = at(surgery + timedelta(days=8))
    for day, message in (
        (surgery + timedelta(days=9), "The day cannot be in the future."),
        (surgery - timedelta(days=1), "The day cannot be before your operation."),
        (None, "Choose the day."),
    ):
        with pytest.raises(ValidationFailed) as error:
            milestones.mark_milestone(journey, "desk_work", day, now=now)
        assert error.value.errors == {"reached_on": [message]}
    with pytest.raises(NotFound):
        milestones.mark_milestone(journey, "flying_to_the_moon", surgery, now=now)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MilestoneRecord)) == 0


def test_before_the_operation_no_milestone_can_be_marked(make_journey):
    journey = make_journey()
    with pytest.raises(ValidationFailed):
        milestones.mark_milestone(
            journey, "went_home", journey.consultation_date, now=at(journey.consultation_date)
        )


def test_marking_and_correcting_a_milestone(make_journey):
    journey = make_journey()
    surgery = journey.surgery_at.date()
    now = at(surgery + timedelta(days=8))
    milestones.mark_milestone(journey, "desk_work", surgery + timedelta(days=7), now=now)
    milestones.mark_milestone(journey, "desk_work", surgery + timedelta(days=6), now=now)
    db.session.commit()
    item = {m.key: m for m in milestones.milestones(journey)}["desk_work"]
    assert item.reached_on == surgery + timedelta(days=6)
    assert item.day == 6 and item.status(surgery) == "on_time"


def test_the_patient_taps_today(recovering, invite, phone):
    journey = recovering(days_ago=6)
    patient = phone()
    patient.open(invite(journey))
    page = patient.page("/portal/milestones")
    assert "Back to desk work" in page
    response = patient.post(
        "/portal/milestones/desk_work", {"desk_work-when": "today"}, page="/portal/milestones"
    )
    assert response.status_code == 303
    row = db.session.scalar(sa.select(MilestoneRecord))
    assert (row.key, row.reached_on) == ("desk_work", services.patient_today(journey, utcnow()))
    future = (utcnow() + timedelta(days=3)).date().isoformat()
    refused = patient.post(
        "/portal/milestones/driving",
        {"driving-when": "date", "driving-reached_on": future},
        page="/portal/milestones",
    )
    assert refused.status_code == 422
    assert "The day cannot be in the future." in refused.get_data(as_text=True)
    assert (
        patient.post(
            "/portal/milestones/nope", {"nope-when": "today"}, page="/portal/milestones"
        ).status_code
        == 404
    )
