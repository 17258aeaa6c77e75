"""iCalendar (RFC 5545) files: one per appointment, and a feed per patient to subscribe to.

A changed appointment keeps its UID and carries its raised SEQUENCE, so calendar apps update the
event instead of adding a second one; a cancelled one is sent as cancelled.
"""

from datetime import datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from tracker.journeys.models import Appointment, Journey
from tracker.journeys.wording import appointment_location, appointment_title

PRODID = "-//Tracker//Endoscopic spine clinic//EN"


def appointment_uid(appt: Appointment) -> str:
    """Stable for the appointment's whole life: its id and the moment it was first booked."""
    return f"appointment-{appt.id}-{appt.created_at:%Y%m%dT%H%M%SZ}@tracker"


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _organizer() -> vCalAddress:
    config = current_app.config
    _, address = parseaddr(config.get("MAIL_FROM", ""))
    organizer = vCalAddress(f"mailto:{address or 'clinic@invalid'}")
    organizer.params["cn"] = vText(config["CLINIC_NAME"])
    return organizer


def _event(appt: Appointment, language: str, *, now: datetime) -> Event:
    config = current_app.config
    tz = ZoneInfo(config["CLINIC_TIMEZONE"])
    event = Event()
    event.add("uid", appointment_uid(appt))
    event.add("dtstamp", now)
    event.add("sequence", appt.sequence)
    event.add("summary", f"{appointment_title(appt, language)} · {config['CLINIC_NAME']}")
    event.add("dtstart", appt.starts_at.astimezone(tz))
    event.add("dtend", appt.ends_at.astimezone(tz))
    location = appointment_location(appt, language)
    if location:
        event.add("location", location)
    event.add("description", f"{config['CLINIC_NAME']} · {config['CLINIC_PHONE']}")
    event.add("organizer", _organizer())
    event.add("created", appt.created_at)
    event.add("last-modified", appt.updated_at)
    event.add("status", "CANCELLED" if appt.status == "cancelled" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def appointment_ics(appt: Appointment, language: str, *, now: datetime) -> bytes:
    """One appointment to add to a calendar; METHOD:CANCEL once it is cancelled."""
    cancelled = appt.status == "cancelled"
    cal = _calendar("CANCEL" if cancelled else "PUBLISH")
    cal.add_component(_event(appt, language, now=now))
    cal.add_missing_timezones()
    return cal.to_ical()


def journey_feed(journey: Journey, language: str, *, now: datetime) -> bytes:
    """Every appointment of the journey; cancelled ones stay in as cancelled so apps drop them."""
    cal = _calendar("PUBLISH", name=current_app.config["CLINIC_NAME"])
    cal.add("refresh-interval;value=duration", "PT12H")
    for appt in journey.appointments:
        cal.add_component(_event(appt, language, now=now))
    cal.add_missing_timezones()
    return cal.to_ical()
