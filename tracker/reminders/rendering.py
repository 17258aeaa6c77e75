"""Render a reminder: its subject, plain text and HTML in the reader's language and time zone.

**The personal link contract.** A patient message whose text (subject or body, in the patient's
language) holds ``{portal_link}`` gets a fresh personal portal link, made by the dispatcher at
the moment it sends the message (:func:`tracker.portal.links.link_for_message`), whatever the
message is: a pathway reminder, a questionnaire, a clinic notice. The token exists in clear only
in the message in transit; the outbox row keeps the text with :data:`LINK_PLACEHOLDER` in its
place, and the database only the token's hash. Rendered without a link (a preview, the stored
copy) the placeholder stands in.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask import current_app

from tracker.journeys.models import Journey
from tracker.journeys.wording import appointment_location, appointment_title
from tracker.reminders.messages import system_text
from tracker.reminders.models import Reminder
from tracker.reminders.planning import patient_tz, rule_task

PORTAL_LINK = "{portal_link}"
#: what a stored or previewed message shows where the sent one had the personal link
LINK_PLACEHOLDER = "[personal link]"


def _messages(journey: Journey) -> dict:
    return journey.template.definition.get("messages", {})


def message_texts(reminder: Reminder) -> dict[str, str]:
    """Subject and body templates of a patient or staff rule message in its reader's language.

    The pathway template's own text wins; the clinic's shared messages fill in the rest.
    """
    lang = reader(reminder)[1]
    texts = _messages(reminder.journey).get(reminder.message_key)
    if texts is not None:
        return texts.get(lang) or texts["en"]
    shared = system_text(reminder.message_key, lang)
    if shared is None:
        raise KeyError(f"no message {reminder.message_key!r} in {reminder.journey.template}")
    return shared


def needs_portal_link(reminder: Reminder) -> bool:
    """Whether the message asks for a personal link (``{portal_link}`` in its text)."""
    if reminder.is_alert or reminder.audience != "patient":
        return False
    texts = message_texts(reminder)
    return PORTAL_LINK in texts["subject"] or PORTAL_LINK in texts["body"]


def reader(reminder: Reminder) -> tuple[ZoneInfo, str]:
    """Time zone and language of who reads it: the patient, or the clinic's staff."""
    if reminder.audience == "patient":
        if reminder.caregiver_id is not None:
            return patient_tz(reminder.patient), reminder.caregiver.reads
        return patient_tz(reminder.patient), reminder.patient.language
    config = current_app.config
    return ZoneInfo(config["CLINIC_TIMEZONE"]), config.get("STAFF_MESSAGE_LANGUAGE", "en")


def message_values(reminder: Reminder, portal_link: str | None = None) -> dict[str, str]:
    """The placeholder values of a reminder, in its reader's language and time zone."""
    config = current_app.config
    patient, journey = reminder.patient, reminder.journey
    tz, lang = reader(reminder)
    values = {
        "clinic": config["CLINIC_NAME"],
        "phone": config["CLINIC_PHONE"],
        "name": patient.full_name,
        "mrn": patient.mrn,
        "portal_link": portal_link or LINK_PLACEHOLDER,
        "surgery": "",
        "surgery_date": "",
        "surgery_time": "",
        "arrival_time": "",
        "appointment": "",
        "appointment_time": "",
        "appointment_date": "",
        "location": "",
        "task": "",
        "caregiver": reminder.caregiver.name if reminder.caregiver_id is not None else "",
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
        values["appointment"] = appointment_title(appt, lang)
        values["appointment_time"] = format_time(appt.starts_at, "HH:mm", tzinfo=tz, locale=lang)
        values["appointment_date"] = format_date(
            appt.starts_at.astimezone(tz).date(), "EEEE d MMMM y", locale=lang
        )
        values["location"] = appointment_location(appt, lang)
    task = rule_task(journey, reminder.rule_key)
    if task is not None:
        values["task"] = task.title_in(lang)
    return values


def render(reminder: Reminder, portal_link: str | None = None) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a reminder, as it would be sent now.

    ``portal_link`` is the personal link made for this sending; without one the placeholder
    stands in (the copy the outbox keeps, and previews).
    """
    if reminder.is_alert:
        subject, text = reminder.subject or "", reminder.body or ""
        lang = "en"
    else:
        lang = reader(reminder)[1]
        text_set = message_texts(reminder)
        values = message_values(reminder, portal_link)
        subject = text_set["subject"].format_map(values)
        text = text_set["body"].format_map(values)
    # The bare template, without the request context processors: a dispatcher renders
    # thousands, and the email needs only these values.
    template = current_app.jinja_env.get_template("reminders/email.html")
    html = template.render(
        subject=subject, text=text, language=lang, reminder=reminder, config=current_app.config
    )
    return subject, text, html
