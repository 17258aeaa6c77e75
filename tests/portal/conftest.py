"""Portal fixtures: a journey whose surgery was a few days ago, invitations, portal clients."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import g, request_started

from tests.reminders.conftest import sms_gateway, smtp_server  # noqa: F401  (fixtures)
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import services

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture(autouse=True)
def fresh_g_per_request(app):
    """Every request gets an empty ``g``, as on a real server (the test app context is shared)."""

    def clear(sender, **extra):
        for name in list(vars(g)):
            delattr(g, name)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def recovering(make_journey, make_patient):
    """``recovering(**patient)``: a journey whose surgery was ``days_ago`` days ago (real clock)."""

    def make(days_ago: int = 5, **patient_values):
        surgery = utcnow().replace(microsecond=0) - timedelta(days=days_ago)
        consult = (surgery - timedelta(days=20)).date()
        return make_journey(
            make_patient(**patient_values), surgery_at=surgery, consultation_date=consult
        )

    return make


@pytest.fixture
def invite(coordinator):
    def make(journey, now: datetime | None = None) -> str:
        _invitation, token = services.issue_invitation(
            journey, actor=coordinator, now=now or utcnow()
        )
        db.session.commit()
        return token

    return make


class Portal:
    """A phone: a test client of its own, with the portal session after ``open``."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def page(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def post(self, url, data=None, *, page: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_from(self.page(page or url)))
        return self.client.post(url, data=data, **kwargs)

    def open(self, token: str):
        response = self.post(f"/portal/i/{token}")
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def check_in(self, **answers):
        html = self.page("/portal/check-in")
        data = {"back_pain": "3", "leg_pain": "2", "took_pain_medicine": "no"}
        data.update(answers)
        data.setdefault("idempotency_key", KEY.search(html).group(1))
        data.setdefault("csrf_token", csrf_from(html))
        return self.client.post("/portal/check-in", data=data)


@pytest.fixture
def phone(app):
    """``phone()``: a new patient phone (its own cookies)."""
    return lambda: Portal(app)


def at(day: date, hour: int = 3) -> datetime:
    """An instant on a Jakarta day (03:00 UTC is 10:00 there)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
