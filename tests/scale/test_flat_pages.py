"""Every list page runs the same SQL statements when the clinic grows tenfold (no N+1).

Speed itself is measured by ``bench/pages.py``, never here; the number of statements is what a
test can hold steady: a page whose statements grow with its rows gets slow with the clinic.
"""

import pytest
import sqlalchemy as sa

from tests.conftest import _PASSWORD_HASH, NOW, PASSWORD
from tests.scale.conftest import coordinator_client
from tracker.db import db
from tracker.demo import STEPS, Demo
from tracker.journeys.models import Journey
from tracker.portal.models import CheckIn
from tracker.scale import build_clinic

PAGES = (
    "/",
    "/patients",
    "/patients?q=an",
    "/patients?q=SC-00001",
    "/patients?sort=surgery",
    "/patients?sort=stage",
    "/patients?stage=follow_up",
    "/patients?page=2",
    "/patients/board",
    "/alerts",
    "/alerts?status=resolved",
    "/messages",
    "/messages?status=closed",
    "/outbox/",
    "/outbox/?status=sent",
    "/outbox/?channel=sms&q=a",
    "/discharge/today",
    "/journeys/{journey}",
    "/patients/{patient}",
)


def _clinic(patients: int) -> dict:
    """Empty the database, then the demo staff and a generated clinic of ``patients``."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    demo = Demo(now=NOW)
    for step in STEPS[:2]:
        for _ in step.run(demo):
            pass
    build_clinic(patients, seed=7, years=0.12, now=NOW, workers=0)
    db.session.commit()
    journey = db.session.scalar(
        sa.select(Journey)
        .where(Journey.stage == "follow_up", Journey.id.in_(sa.select(CheckIn.journey_id)))
        .order_by(Journey.id)
        .limit(1)
    )
    return {"journey": journey.id, "patient": journey.patient_id}


def _statements(app, count_queries) -> tuple[dict[str, int], dict[str, str]]:
    client = coordinator_client(app)
    counts, pages = {}, {}
    for path in PAGES:
        url = path.format(**app.config["_sample"])
        client.get(url)  # once to warm up (templates, the session's user)
        db.session.remove()  # each request starts with an empty session, as on a server
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[path], pages[path] = len(statements), response.get_data(as_text=True)
    return counts, pages


@pytest.fixture
def demo_password(monkeypatch):
    """The demo accounts sign in with the suite's password, hashed once (argon2 is slow)."""
    monkeypatch.setattr("tracker.demo.steps.DEMO_PASSWORD", PASSWORD)
    monkeypatch.setattr("tracker.scale.DEMO_PASSWORD", PASSWORD)
    monkeypatch.setattr("tracker.auth.services.hash_password", lambda _: _PASSWORD_HASH)


def test_list_pages_run_the_same_statements_when_the_clinic_grows_tenfold(
    app, clock, count_queries, demo_password
):
    app.config["_sample"] = _clinic(60)
    small, small_pages = _statements(app, count_queries)
    # Each list has rows already, so a statement per row would show.
    for path, marker in {
        "/": 'class="table table-compact"',
        "/patients/board": 'class="board-card"',
        "/outbox/": 'id="reminder-',
        "/discharge/today": 'class="mrn"',
        "/alerts": 'class="table alert-queue"',
        "/messages?status=closed": 'class="table message-inbox"',
    }.items():
        assert marker in small_pages[path], path

    app.config["_sample"] = _clinic(600)
    large, _ = _statements(app, count_queries)
    assert large == small
