"""Turning UTC instants into local wall-clock time and back."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app


def is_valid_timezone(name: str) -> bool:
    if not name or name not in _zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def localize(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in ``tz``.

    PEP 495's ``fold=0`` already gives what a clinic expects: a time in a spring-forward gap
    is read with the offset before the change, so it lands as far past the gap (02:30 becomes
    03:30), and an ambiguous autumn time takes its first occurrence.
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of ``clock`` on ``day`` in ``tz``."""
    return localize(datetime.combine(day, clock), tz)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def parse_local_or_aware(value: datetime, tz: ZoneInfo) -> datetime:
    """An aware datetime as UTC; a naive one read as wall-clock time in ``tz``."""
    if value.tzinfo is None:
        return localize(value, tz)
    return value.astimezone(UTC)


def shift_days(day: date, days: int) -> date:
    return day + timedelta(days=days)
