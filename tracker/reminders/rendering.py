"""Render a reminder: its subject, plain text and HTML in the reader's language and time zone."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask import current_app, render_template

from tracker.journeys.models import Appointment, Journey
from tracker.reminders.models import Reminder
from tracker.reminders.planning import patient_tz, rule_task


def _messages(journey: Journey) -> dict:
    return journey.template.definition.get("messages", {})


def _appointment_title(appt: Appointment, language: str) -> str:
    for stage in appt.journey.template.definition["stages"]:
        for spec in stage.get("appointments", []):
            if spec["key"] == appt.key:
                return spec["title"].get(language) or appt.title
    return appt.title


def reader(reminder: Reminder) -> tuple[ZoneInfo, str]:
    """Time zone and language of who reads it: the patient, or the clinic's staff."""
    if reminder.audience == "patient":
        return patient_tz(reminder.patient), reminder.patient.language
    config = current_app.config
    return ZoneInfo(config["CLINIC_TIMEZONE"]), config.get("BABEL_DEFAULT_LOCALE", "en")


def message_values(reminder: Reminder) -> dict[str, str]:
    """The placeholder values of a reminder, in its reader's language and time zone."""
    config = current_app.config
    patient, journey = reminder.patient, reminder.journey
    tz, lang = reader(reminder)
    portal_link = config.get("PORTAL_URL") or (
        config.get("PORTAL_BASE_URL", "").rstrip("/") + "/portal/"
        if config.get("PORTAL_BASE_URL")
        else {"en": "the patient portal", "id": "portal pasien"}.get(lang, "the patient portal")
    )
    values = {
        "clinic": config["CLINIC_NAME"],
        "phone": config["CLINIC_PHONE"],
        "name": patient.full_name,
        "mrn": patient.mrn,
        "portal_link": portal_link,
        "surgery": "",
        "surgery_date": "",
        "surgery_time": "",
        "arrival_time": "",
        "appointment": "",
        "appointment_time": "",
        "appointment_date": "",
        "location": "",
        "task": "",
    }
    if journey.surgery_at is not None:
        at = journey.surgery_at
        before = int(journey.template.definition.get("arrival_minutes_before", 0))
        arrival = at - timedelta(minutes=before)
        values["surgery"] = format_datetime(at, "EEEE d MMMM y, HH:mm", tzinfo=tz, locale=lang)
        values["surgery_date"] = format_date(at.astimezone(tz).date(), "EEEE d MMMM y", locale=lang)
        values["surgery_time"] = format_time(at, "HH:mm", tzinfo=tz, locale=lang)
        values["arrival_time"] = format_time(arrival, "HH:mm", tzinfo=tz, locale=lang)
    appt = reminder.appointment
    if appt is not None:
        values["appointment"] = _appointment_title(appt, lang)
        values["appointment_time"] = format_time(appt.starts_at, "HH:mm", tzinfo=tz, locale=lang)
        values["appointment_date"] = format_date(
            appt.starts_at.astimezone(tz).date(), "EEEE d MMMM y", locale=lang
        )
        values["location"] = appt.location
    task = rule_task(journey, reminder.rule_key)
    if task is not None:
        values["task"] = task.title_in(lang)
    return values


def render(reminder: Reminder) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a reminder, as it would be sent now."""
    if reminder.is_alert:
        subject, text = reminder.subject or "", reminder.body or ""
        lang = "en"
    else:
        lang = reader(reminder)[1]
        texts = _messages(reminder.journey)[reminder.message_key]
        text_set = texts.get(lang) or texts["en"]
        values = message_values(reminder)
        subject = text_set["subject"].format_map(values)
        text = text_set["body"].format_map(values)
    html = render_template(
        "reminders/email.html", subject=subject, text=text, language=lang, reminder=reminder
    )
    return subject, text, html
