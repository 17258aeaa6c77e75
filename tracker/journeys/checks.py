"""The checks the journey services share: a journey that may still change, a surgery time
not before the consultation, a date within the bookable window, spinal levels as written."""

import re
from datetime import date, datetime, timedelta

from tracker.errors import Conflict, FieldErrors
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.timeutil import clinic_tz

LEVEL = re.compile(r"^(C[1-7]|T([1-9]|1[0-2])|L[1-5]|S1)-(C[2-7]|T([1-9]|1[0-2])|L[1-5]|S1)$")


def normalize_levels(levels: str) -> str:
    parts = [
        p.strip().upper().replace("/", "-") for p in re.split(r"[,;]", levels or "") if p.strip()
    ]
    return ", ".join(parts)


#: how far from today an appointment or a surgery may be booked: further is a typo (a wrong
#: year), not a plan; follow-ups reach about two years after surgery, and past visits are
#: recorded afterwards
BOOKABLE_PAST = timedelta(days=2 * 365)
BOOKABLE_FUTURE = timedelta(days=3 * 365)


def check_bookable(field: str, when: datetime, now: datetime | None, errors: FieldErrors) -> None:
    """Refuse a date far in the past or future, saying what the window is."""
    if now is None or when.tzinfo is None:
        return
    if when < now - BOOKABLE_PAST:
        errors.add(field, _("That is more than two years ago; check the year."))
    elif when > now + BOOKABLE_FUTURE:
        errors.add(field, _("That is more than three years ahead; check the year."))


def check_surgery_time(surgery_at: datetime, consultation_date: date, errors: FieldErrors) -> None:
    if surgery_at.tzinfo is None:
        errors.add("surgery_at", _("Give the surgery time with its time zone."))
    elif surgery_at.astimezone(clinic_tz()).date() < consultation_date:
        errors.add("surgery_at", _("Surgery cannot be before the consultation."))


def require_active(journey: Journey) -> None:
    if journey.status != "active":
        raise Conflict(
            _("This journey is %(status)s; it cannot change any more.", status=journey.status)
        )
