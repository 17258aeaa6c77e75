"""The current instant, read in one place.

Views, CLI commands and scheduled jobs ask ``utcnow()`` for the time (services take ``now`` as an
argument instead), so "what day is it for the clinic" has one answer everywhere: ``clinic_today()``.
Nothing else in the package calls ``datetime.now``; a test in ``tests/test_clock.py`` keeps it so.

Tests set this clock with time-machine (``time_machine.travel`` or the ``time_machine``
fixture), which moves it together with everything else that reads the system clock: Flask's
session expiry, APScheduler's triggers, the signed-cookie timestamps.
"""

from datetime import UTC, date, datetime

from tracker.timeutil import clinic_tz


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def clinic_today(now: datetime | None = None) -> date:
    """The date on the clinic's wall calendar (``CLINIC_TIMEZONE``) now, or at ``now``."""
    return (now or utcnow()).astimezone(clinic_tz()).date()
