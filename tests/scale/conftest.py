"""A generated clinic on the test database (SQLite, or PostgreSQL with its bulk COPY path)."""

import re
from collections.abc import Callable

import pytest

from tests.conftest import _PASSWORD_HASH, NOW, PASSWORD
from tracker.db import db
from tracker.demo import STEPS, Demo
from tracker.scale import Summary, build_clinic


@pytest.fixture
def demo_staff(app, monkeypatch):
    """The demo's pathway templates and staff, which the generator builds on."""
    monkeypatch.setattr("tracker.auth.services.hash_password", lambda _: _PASSWORD_HASH)
    context = Demo(now=NOW)
    for step in STEPS[:2]:
        for _ in step.run(context):
            pass
    db.session.commit()


@pytest.fixture
def generate(app, demo_staff) -> Callable[..., Summary]:
    """``generate(patients, years=…, seed=…)``: a committed generated clinic at ``NOW``."""

    def make(patients: int, *, years: float = 0.5, seed: int = 7, workers: int = 0) -> Summary:
        summary = build_clinic(patients, seed=seed, years=years, now=NOW, workers=workers)
        db.session.commit()
        return summary

    return make


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def coordinator_client(app):
    """A test client signed in as the demo's coordinator, through the sign-in form."""
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post(
        "/sign-in",
        data={
            "email": "coordinator@demo.clinic",
            "password": PASSWORD,
            "csrf_token": TOKEN.search(page).group(1),
        },
    )
    assert response.status_code == 302
    return client
