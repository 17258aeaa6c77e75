"""Fixtures for the FHIR export: a real validator, demo data, export helpers."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fhir.resources.R4B import get_fhir_model_class

from tests.conftest import NOW
from tracker.db import db
from tracker.discharge.services import DraftValues, issue_sheet, save_draft
from tracker.fhir.bundle import unresolved_references
from tracker.journeys.services import advance, complete_task, skip_task
from tracker.outcomes.services import Submission, record_submissions
from tracker.portal.services import CheckInValues, record_check_in
from tracker.reminders.models import Reminder

FHIR_JSON = "application/fhir+json"


def validate(body: dict) -> None:
    """Parse a resource with the fhir.resources R4B models (raises on anything invalid)."""
    model = get_fhir_model_class(body["resourceType"])
    parsed = model.model_validate(body)
    # Nothing silently dropped: the model writes back what we sent.
    assert json.loads(parsed.model_dump_json(exclude_none=True)) == body


def validate_bundle(bundle: dict) -> None:
    validate(bundle)
    for entry in bundle["entry"]:
        validate(entry["resource"])
    assert unresolved_references(bundle) == []


def ndjson(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def fhir_get(client, api_headers):
    """GET a FHIR URL with the coordinator's token; returns (response, parsed JSON)."""
    headers = api_headers()

    def get(path: str, **kwargs):
        response = client.get(f"/api/v1/fhir/{path}", headers=headers, **kwargs)
        return response, response.get_json(force=True, silent=True)

    return get


SURGERY = datetime(2026, 10, 15, 1, 30, tzinfo=UTC)  # 08:30 in Jakarta


def at(days: float, hours: float = 0) -> datetime:
    """An instant ``days`` after the surgery."""
    return SURGERY + timedelta(days=days, hours=hours)


@pytest.fixture
def check_in():
    def record(journey, day: float, back: int, leg: int, *, staff=None, flags=()):
        values = CheckInValues(
            back_pain=back,
            leg_pain=leg,
            took_pain_medicine=False,
            idempotency_key=f"test-check-in-{journey.id}-{day}".replace(".", "_"),
            flags=set(flags),
        )
        check, _ = record_check_in(journey, values, now=at(day, 2), staff=staff)
        db.session.commit()
        return check

    return record


@pytest.fixture
def operated(make_journey, make_patient, coordinator, surgeon, check_in):
    """A TELD journey in follow-up: surgery done on SURGERY, home the same day, a discharge
    sheet issued twice, pain logged before and after, a reminder sent, an alert raised."""

    def make(**patient_values):
        journey = make_journey(
            make_patient(**patient_values),
            surgery_at=SURGERY,
            consultation_date=date(2026, 10, 1),
        )
        check_in(journey, -5, 6, 8, staff=coordinator)  # baseline, taken by phone
        for stage_exit in (-3, 0.1, 0.3):
            advance(journey, actor=coordinator, now=at(stage_exit), override_reason="test")
        procedure = next(t for t in journey.tasks if t.key == "procedure_done")
        complete_task(procedure, actor=surgeon, now=at(0, 1.5))
        skipped = next(t for t in journey.tasks if not t.required)
        skip_task(skipped, reason="Not needed for this patient.", actor=coordinator, now=at(0, 2))
        values = DraftValues(language="en", medications=[dict(MEDICINE)])
        save_draft(journey, values, actor=surgeon, now=at(0, 5))
        issue_sheet(journey, actor=surgeon, now=at(0, 5))
        values.extra_instructions = "Walk three times a day."
        save_draft(journey, values, actor=surgeon, now=at(1))
        issue_sheet(journey, actor=surgeon, now=at(1))
        advance(journey, actor=coordinator, now=at(0.5), override_reason="test")
        journey.discharged_at = at(0, 6)
        for day in (1, 2, 3, 14):
            check_in(journey, day, 3, max(0, 8 - 3 * day))
        check_in(journey, 4, 2, 9)  # leg pain back: alerts
        reminder = db.session.scalars(
            sa.select(Reminder).where(
                Reminder.journey_id == journey.id, Reminder.audience == "patient"
            )
        ).first()
        reminder.status, reminder.sent_at = "sent", at(-2)
        reminder.subject, reminder.body = "Your surgery", "See you on Thursday."
        db.session.commit()
        return journey

    return make


MEDICINE = {"name": "Paracetamol", "dose": "1 g", "frequency": "every 6 hours", "until": "5 days"}


ODI_60 = [3] * 10
ODI_28_ONE_SKIPPED = [2, 1, 2, 1, 2, None, 2, 1, 1, 1]  # 13 / 45 -> 28.9


@pytest.fixture
def proms(operated, coordinator):
    """An operated journey with a baseline and a 6-week set of questionnaires typed in."""

    def answer(journey, instrument, answers, when, timepoint):
        [response], _ = record_submissions(
            journey,
            [Submission(instrument, answers, when, timepoint)],
            source="paper",
            actor=coordinator,
            now=max(when, NOW),
        )
        db.session.commit()
        return response

    def make():
        journey = operated()
        made = {
            "baseline": answer(journey, "odi", ODI_60, at(-5), "baseline"),
            "back": answer(journey, "back_pain", [6], at(-5), "baseline"),
            "6w": answer(journey, "odi", ODI_28_ONE_SKIPPED, at(42), "6w"),
            "change": answer(journey, "global_change", [2], at(42), "6w"),
        }
        return journey, made

    return make
