"""Fixtures for discharge sheets: journeys at a given stage, signed-in clients, PDF text."""

import re
from datetime import date, datetime, time, timedelta

import pytest

from tests.conftest import PASSWORD, finish_two_factor
from tracker.clock import utcnow
from tracker.db import db
from tracker.journeys.services import advance
from tracker.pathways.models import STAGES
from tracker.timeutil import at_local, clinic_tz

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def surgery_today(now: datetime) -> datetime:
    """08:30 clinic time on ``now``'s clinic-local day."""
    return at_local(now.astimezone(clinic_tz()).date(), time(8, 30), clinic_tz())


@pytest.fixture
def journey_at(make_journey, make_patient, coordinator):
    """A journey moved (with an override reason) to ``stage``; surgery today unless given."""

    def make(stage: str = "discharge", *, now: datetime | None = None, patient=None, **overrides):
        now = now or utcnow()
        surgery_at = overrides.pop("surgery_at", surgery_today(now))
        if surgery_at is not None:
            overrides.setdefault("consultation_date", surgery_at.date() - timedelta(days=14))
        journey = make_journey(patient or make_patient(), surgery_at=surgery_at, **overrides)
        while journey.stage_index < STAGES.index(stage):
            advance(journey, actor=coordinator, now=now, override_reason="set up by the test")
        db.session.commit()
        return journey

    return make


@pytest.fixture
def siti(make_patient):
    return make_patient(
        given_name="Siti",
        family_name="Rahayu",
        mrn="RM-204551",
        birth_date=date(1961, 3, 7),
        language="id",
    )


class Staff:
    """A signed-in test client that sends the CSRF token a page gave it."""

    def __init__(self, client, user):
        self.client, self.user = client, user
        page = client.get("/sign-in").get_data(as_text=True)
        response = client.post(
            "/sign-in",
            data={"email": user.email, "password": PASSWORD, "csrf_token": self.token(page)},
        )
        response = finish_two_factor(client, user, response)
        assert response.status_code == 302, response.get_data(as_text=True)

    @staticmethod
    def token(html: str) -> str:
        match = TOKEN.search(html)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data, *, page: str | None = None):
        html = self.client.get(page or url).get_data(as_text=True)
        return self.client.post(url, data={"csrf_token": self.token(html), **data})


@pytest.fixture
def sign_in(app):
    def make(user) -> Staff:
        return Staff(app.test_client(), user)

    return make
