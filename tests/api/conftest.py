"""Fixtures for the JSON API tests."""

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.journeys.models import Appointment, Journey, Note, StageTransition, Task
from tracker.patients.models import Patient

COUNTED = {
    "patients": Patient,
    "journeys": Journey,
    "tasks": Task,
    "appointments": Appointment,
    "transitions": StageTransition,
    "notes": Note,
    "audit_events": AuditEvent,
}


@pytest.fixture
def auth(api_headers) -> dict:
    """Bearer headers of the coordinator."""
    return api_headers()


@pytest.fixture
def row_counts(app) -> Callable[[], dict[str, int]]:
    """How many rows each clinical table holds, to show a refused request wrote nothing."""

    def counts() -> dict[str, int]:
        db.session.expire_all()
        return {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for name, model in COUNTED.items()
        }

    return counts


@pytest.fixture
def patient_body() -> Callable[..., dict]:
    """A valid JSON body to create a patient."""

    def body(**overrides) -> dict:
        values = {
            "mrn": "RM-0042",
            "given_name": "Siti",
            "family_name": "Rahayu",
            "birth_date": "1968-04-02",
            "sex": "female",
            "phone": "+62 812-3456-7890",
            "email": "siti@example.com",
            "language": "id",
            "timezone": "Asia/Jakarta",
            "consent_email": True,
            "consent_sms": True,
        }
        values.update(overrides)
        return values

    return body


@pytest.fixture
def journey_body(surgeon) -> Callable[..., dict]:
    """A valid JSON body to start a TELD journey."""

    def body(**overrides) -> dict:
        values = {
            "template": "teld",
            "condition": "herniated_disc",
            "levels": "l4/l5",
            "side": "left",
            "anesthesia": "local_sedation",
            "consultation_date": "2026-11-20",
            "surgery_at": "2026-12-10T08:30",
            "surgeon_id": surgeon.id,
        }
        values.update(overrides)
        return values

    return body
