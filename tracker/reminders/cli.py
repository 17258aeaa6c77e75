"""``flask reminders dispatch`` sends what is due once; ``flask scheduler`` keeps sending."""

import contextlib
import os
import signal

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from tracker.clock import utcnow
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.scheduler import make_scheduler

reminders = AppGroup("reminders", help="Scheduled reminders.")


@reminders.command("dispatch")
@click.option("--limit", type=click.IntRange(min=1), help="Take at most this many reminders.")
@click.option(
    "--crash-after-claim",
    is_flag=True,
    hidden=True,
    help="Exit right after claiming, as a crashed dispatcher would (tests).",
)
def dispatch(limit: int | None, crash_after_claim: bool) -> None:
    """Send the reminders that are due, once, and exit."""
    result = dispatch_due(limit=limit, stop_after_claim=crash_after_claim)
    if crash_after_claim:
        os._exit(9)  # die like a killed process: no cleanup, claims left behind
    click.echo(f"{utcnow():%Y-%m-%d %H:%M:%S} UTC: {result.summary()}")


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the reminder clock in the foreground (one per deployment or more: claims are safe)."""
    app = current_app._get_current_object()
    clock = make_scheduler(app, blocking=True)

    def stop(signum, frame):
        clock.shutdown(wait=True)  # let a running dispatch finish its batch

    signal.signal(signal.SIGTERM, stop)
    seconds = app.config.get("DISPATCH_INTERVAL_SECONDS", 10)
    click.echo(f"Reminder scheduler: dispatching every {seconds} s. Ctrl+C stops.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        clock.start()


reminders.add_command(scheduler)
