"""Several dispatcher processes against one PostgreSQL database: each reminder leaves once.

These run ``flask reminders dispatch`` as real processes against the test database and a real
SMTP server on loopback. SQLite has no row locks to share work with, so they run on PostgreSQL
only (``TRACKER_TEST_DATABASE_URL``).
"""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from tracker.clock import utcnow
from tracker.db import db
from tracker.reminders.models import Reminder

ROOT = Path(__file__).resolve().parents[2]


def real_now() -> datetime:
    """The clock the dispatcher processes read: the real one. A run with ``TRACKER_TEST_CLOCK``
    moves only this process's clock (time-machine), never theirs."""
    if time_machine.escape_hatch.is_travelling():
        return datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)
    return utcnow()


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several dispatchers need PostgreSQL (set TRACKER_TEST_DATABASE_URL)")


def due_reminders(journey, count: int) -> list[int]:
    """``count`` reminders due a minute ago (real clock: the processes read it)."""
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.journey_id == journey.id)
        .values(status="cancelled", cancel_code="staff", status_reason="not part of the test")
    )
    at = real_now() - timedelta(minutes=1)
    db.session.execute(
        sa.insert(Reminder),
        [
            {
                "idempotency_key": f"load:{journey.id}:{n}#1",
                "journey_id": journey.id,
                "patient_id": journey.patient_id,
                "rule_key": "pain_checkin",
                "occurrence": n,
                "message_key": "pain_checkin",
                "channel": "email",
                "audience": "patient",
                "urgent": False,
                "rule_at": at,
                "due_at": at,
                "next_attempt_at": at,
                "status": "pending",
                "attempts": 0,
                "created_at": at,
                "updated_at": at,
            }
            for n in range(count)
        ],
    )
    db.session.commit()
    return sorted(
        db.session.scalars(
            sa.select(Reminder.id).where(Reminder.idempotency_key.like(f"load:{journey.id}:%"))
        )
    )


def dispatcher(app, smtp_server, *args: str, **env: str) -> subprocess.Popen:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMTP_", "SMS_", "SCHEDULER_", "REMINDER_", "DISPATCH_"))
    }
    environ.update(
        TRACKER_CONFIG="development",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=str(smtp_server.port),
        SMTP_STARTTLS="0",
        DISPATCH_BATCH_SIZE="50",
        **env,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tracker", "reminders", "dispatch", *args],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, expected_code: int = 0) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == expected_code, err[-2000:]
    return out


def statuses(ids: list[int]) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Reminder.status, sa.func.count())
        .where(Reminder.id.in_(ids))
        .group_by(Reminder.status)
    )
    return dict(rows.all())


def by_email(make_journey, make_patient):
    """A journey whose patient is reached by email (these reminders go by email, one channel)."""
    return make_journey(make_patient(preferred_channel="email"))


def test_four_dispatchers_deliver_two_thousand_reminders_exactly_once(
    app, postgres, smtp_server, make_journey, make_patient
):
    expected = due_reminders(by_email(make_journey, make_patient), 2000)
    processes = [dispatcher(app, smtp_server) for _ in range(4)]
    outputs = [finish(p) for p in processes]

    received = sorted(m.reminder_id for m in smtp_server.messages)
    assert received == expected  # every id once: none lost, none twice
    assert statuses(expected) == {"sent": 2000}
    # The work was shared (each process reports what it sent).
    assert sum("sent" in out for out in outputs) >= 2


def test_a_dispatcher_killed_after_claiming_loses_nothing(
    app, postgres, smtp_server, make_journey, make_patient
):
    expected = due_reminders(by_email(make_journey, make_patient), 200)
    crashed = dispatcher(app, smtp_server, "--crash-after-claim")
    finish(crashed, expected_code=9)
    assert statuses(expected) == {"pending": 150, "sending": 50}  # one batch claimed, then died

    # While the lease holds, other dispatchers leave the orphaned rows alone ...
    finish(dispatcher(app, smtp_server))
    assert statuses(expected) == {"sent": 150, "sending": 50}
    # ... and once it has run out (moved back here rather than waited for), the next takes them.
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.id.in_(expected), Reminder.status == "sending")
        .values(claimed_until=real_now() - timedelta(seconds=1))
    )
    db.session.commit()
    finish(dispatcher(app, smtp_server))
    assert statuses(expected) == {"sent": 200}
    assert sorted(m.reminder_id for m in smtp_server.messages) == expected
