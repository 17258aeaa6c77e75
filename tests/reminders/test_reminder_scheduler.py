"""The clock: where the embedded scheduler may start, and that it sends when a test asks."""

import time

import click
import pytest
import sqlalchemy as sa

from tracker import create_app
from tracker.db import db
from tracker.reminders.models import Reminder
from tracker.reminders.scheduler import JOB_ID, make_scheduler, should_embed, start_embedded


@pytest.fixture
def embedded(app):
    app.config.update(SCHEDULER_EMBEDDED=True, TESTING=False)
    yield app
    app.config.update(SCHEDULER_EMBEDDED=False, TESTING=True)


def run_context(**params):
    ctx = click.Context(click.Command("run"), info_name="run")
    ctx.params = params
    return ctx


def test_creating_the_app_starts_no_scheduler(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SCHEDULER_EMBEDDED": True})
    assert "reminders_scheduler" not in app.extensions


@pytest.mark.parametrize(
    ("params", "environ", "expected"),
    [
        ({"reload": True}, {}, False),  # the reloader's watching parent
        ({"reload": True}, {"WERKZEUG_RUN_MAIN": "true"}, True),  # the child that serves
        ({"reload": False}, {}, True),  # flask run --no-reload
    ],
)
def test_flask_run_starts_it_exactly_once(embedded, params, environ, expected):
    with run_context(**params):
        assert should_embed(embedded, environ) is expected


def test_not_outside_flask_run_nor_when_off_nor_in_tests(app, embedded):
    assert should_embed(embedded, {"WERKZEUG_RUN_MAIN": "true"}) is False  # gunicorn, shell
    with click.Context(click.Command("dispatch"), info_name="dispatch"):
        assert should_embed(embedded, {}) is False
    with run_context(reload=False):
        embedded.config["SCHEDULER_EMBEDDED"] = False
        assert should_embed(embedded, {}) is False
        embedded.config.update(SCHEDULER_EMBEDDED=True, TESTING=True)
        assert should_embed(embedded, {}) is False


def test_the_clock_job_runs_alone_and_catches_up_once(app):
    scheduler = make_scheduler(app)
    job = scheduler.get_job(JOB_ID)
    assert job.max_instances == 1 and job.coalesce is True
    assert job.trigger.interval.total_seconds() == app.config["DISPATCH_INTERVAL_SECONDS"]


def test_an_embedded_scheduler_sends_due_reminders_when_a_test_asks(clock, app, make_journey):
    journey = make_journey()  # planned at NOW, the clock's time: its booking confirmation is due
    app.config["DISPATCH_INTERVAL_SECONDS"] = 1
    scheduler = start_embedded(app)
    try:
        assert start_embedded(app) is scheduler  # asking twice starts one
        deadline = time.monotonic() + 15
        sent = []
        while time.monotonic() < deadline and len(sent) < 1:
            time.sleep(0.2)
            db.session.rollback()
            sent = db.session.scalars(
                sa.select(Reminder.id).where(
                    Reminder.journey_id == journey.id, Reminder.status == "sent"
                )
            ).all()
        assert len(sent) == 1  # one message, by the patient's preferred channel
    finally:
        scheduler.shutdown(wait=True)
        app.extensions.pop("reminders_scheduler")
