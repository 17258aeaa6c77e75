"""APScheduler as a clock: one job that runs the dispatcher every few seconds.

The embedded scheduler runs inside ``flask run`` only when ``SCHEDULER_EMBEDDED`` is set, and
then exactly once: in the reloader's child process, or in the only process when not reloading.
Web workers (gunicorn) and the test suite never start one; ``flask scheduler`` runs it as its
own process in production. Nothing starts at import.
"""

import atexit
import logging
import os
from datetime import UTC

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from flask.helpers import get_debug_flag

from tracker.clock import utcnow
from tracker.db import db
from tracker.portal.alerts import run_daily_checks
from tracker.reminders.dispatch import dispatch_due

log = logging.getLogger(__name__)
JOB_ID = "reminders.dispatch"
DAILY_JOB_ID = "portal.daily_checks"


def tick(app: Flask) -> None:
    """One run of the clock: send what is due (the job is its own transaction boundary)."""
    with app.app_context():
        try:
            result = dispatch_due()
            if result.ids:
                log.info("reminders: %s", result.summary())
        except Exception:  # keep the clock running; the next tick tries again
            db.session.rollback()
            log.exception("reminders: dispatch failed")
        finally:
            db.session.remove()


def make_scheduler(app: Flask, *, blocking: bool = False) -> BaseScheduler:
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone=UTC)
    scheduler.add_job(
        tick,
        "interval",
        args=[app],
        id=JOB_ID,
        seconds=int(app.config.get("DISPATCH_INTERVAL_SECONDS", 10)),
        next_run_time=utcnow(),
        max_instances=1,  # a slow run is never overlapped by the next
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        daily_checks,
        "cron",
        args=[app],
        id=DAILY_JOB_ID,
        hour=10,
        minute=0,
        timezone=app.config["CLINIC_TIMEZONE"],
        max_instances=1,
        coalesce=True,
    )
    # Other domains' periodic jobs, registered by their init_app (e.g. the FHIR export worker).
    for job_id, func, trigger, options in app.extensions.get("scheduler_jobs", ()):
        scheduler.add_job(func, trigger, args=[app], id=job_id, **options)
    return scheduler


def daily_checks(app: Flask) -> None:
    """Once a day (10:00 clinic time): alerts for patients who stopped checking in."""
    with app.app_context():
        try:
            run_daily_checks(now=utcnow())
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("portal: daily checks failed")
        finally:
            db.session.remove()


def should_embed(app: Flask, environ=os.environ) -> bool:
    """Whether this process is the one ``flask run`` serves from, with the scheduler asked for."""
    if not app.config.get("SCHEDULER_EMBEDDED") or app.config.get("TESTING"):
        return False
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name != "run":
        return False  # gunicorn, the shell, other commands
    if environ.get("WERKZEUG_RUN_MAIN") == "true":
        return True  # the reloader's child: the process that serves
    reload = ctx.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload  # with the reloader, the watching parent must not start one


def start_embedded(app: Flask) -> BackgroundScheduler:
    """Start the clock in a background thread of this process (stopped at exit)."""
    if "reminders_scheduler" in app.extensions:
        return app.extensions["reminders_scheduler"]
    scheduler = make_scheduler(app)
    scheduler.start()
    app.extensions["reminders_scheduler"] = scheduler
    atexit.register(lambda: scheduler.shutdown(wait=False) if scheduler.running else None)
    log.info("reminders: embedded scheduler started")
    return scheduler
