"""Fixtures for the outcomes tests: operated journeys, questionnaires, check-ins."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import NOW
from tracker.db import db
from tracker.journeys import services as journeys
from tracker.outcomes import catalogue
from tracker.outcomes.services import Submission, record_submissions
from tracker.portal.models import CheckIn

#: an ODI answer set per score (sum / 50 x 100)
ODI_60 = [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
ODI_28 = [2, 1, 2, 1, 2, 1, 2, 1, 1, 1]


@pytest.fixture
def instruments(app):
    catalogue.load_directory(now=NOW)
    db.session.commit()


@pytest.fixture
def operated(make_journey, coordinator, surgeon, instruments) -> Callable[..., object]:
    """A journey operated ``days_ago`` days before NOW (08:00 Jakarta), now in follow-up.

    Admitted 90 minutes before the operation; home ``stay_hours`` after admission.
    """

    def make(days_ago: int = 100, *, stay_hours: float = 6, **overrides):
        surgery_at = NOW.replace(hour=1, minute=0) - timedelta(days=days_ago)
        overrides.setdefault("consultation_date", (surgery_at - timedelta(days=20)).date())
        journey = make_journey(surgery_at=surgery_at, **overrides)
        admitted = surgery_at - timedelta(minutes=90)
        steps = [
            surgery_at - timedelta(days=15),
            admitted,
            surgery_at + timedelta(hours=2),
            admitted + timedelta(hours=stay_hours),
        ]
        for when in steps:
            journeys.advance(journey, actor=coordinator, now=when, override_reason="test")
        db.session.commit()
        return journey

    return make


@pytest.fixture
def answer(coordinator) -> Callable[..., object]:
    """Record a completed questionnaire, typed in by the coordinator from paper."""

    def record(journey, instrument: str, answers: list, *, at: datetime, timepoint=None):
        responses, _ = record_submissions(
            journey,
            [Submission(instrument, answers, at, timepoint)],
            source="paper",
            actor=coordinator,
            now=max(at, NOW),
        )
        db.session.commit()
        return responses[0]

    return record


@pytest.fixture
def check_in() -> Callable[..., CheckIn]:
    counter = iter(range(1, 100_000))

    def make(journey, day: date, back: int, leg: int, *, at: datetime | None = None) -> CheckIn:
        row = CheckIn(
            journey_id=journey.id,
            patient_id=journey.patient_id,
            day=day,
            recorded_at=at or datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=3),
            back_pain=back,
            leg_pain=leg,
            took_pain_medicine=False,
            entered_by="patient",
            idempotency_key=f"test-check-in-{next(counter):08d}",
        )
        db.session.add(row)
        db.session.commit()
        return row

    return make


def surgery_day(journey) -> date:
    """The operation's date in Jakarta (every test patient lives there)."""
    return (journey.surgery_at + timedelta(hours=7)).date()
