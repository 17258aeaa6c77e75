"""Messages the clinic sends when something happens, not on a plan: changes to the schedule,
portal links. Each is one outbox row on one channel, sent by the dispatcher like any reminder.

The patient's preferred channel is used when they agreed to it, else the other one; quiet hours
hold a notice back unless the appointment it is about comes before they end. A newer notice
about the same surgery or appointment replaces one still waiting (the text is filled in when it
is sent, so it always tells the latest date).
"""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from tracker.db import db
from tracker.journeys.models import Appointment, Journey
from tracker.patients.models import Patient
from tracker.portal.models import Caregiver
from tracker.reminders.messages import NOTICE_RULE
from tracker.reminders.models import Reminder
from tracker.reminders.planning import consents, patient_tz, push_past_quiet_hours, quiet_window

CHANNELS = ("sms", "email")


def patient_channel(patient: Patient, allowed: tuple[str, ...] = CHANNELS) -> str | None:
    """The one channel a patient message goes by: the preferred one, else the other, else none."""
    ordered = sorted(allowed, key=lambda channel: channel != patient.preferred_channel)
    return next((channel for channel in ordered if consents(patient, channel)), None)


def caregiver_contact(caregiver: Caregiver, channel: str | None) -> str | None:
    """The caregiver's phone (sms) or address (email), when they gave one."""
    return {"sms": caregiver.phone, "email": caregiver.email}.get(channel or "") or None


def queue_patient_message(
    journey: Journey,
    message_key: str,
    *,
    rule_key: str,
    key: str,
    now: datetime,
    channel: str | None = None,
    appointment: Appointment | None = None,
    event_at: datetime | None = None,
    quiet_hours: bool = True,
    caregiver: Caregiver | None = None,
) -> Reminder | None:
    """Add one patient message to the outbox; None when the patient can be reached by no channel.

    ``event_at`` is the instant the message is about: quiet hours never hold it back past that.
    ``quiet_hours=False`` sends at once what the patient has just asked for. With
    ``caregiver`` it goes to the caregiver instead, by ``channel`` (their phone or address).
    """
    patient = journey.patient
    if caregiver is not None:
        if not caregiver_contact(caregiver, channel):
            return None
    else:
        channel = channel or patient_channel(patient)
        if channel is None or not consents(patient, channel):
            return None
    window = quiet_window(current_app.config.get("QUIET_HOURS")) if quiet_hours else None
    due = push_past_quiet_hours(now, patient_tz(patient), window)
    if event_at is not None and due >= event_at:
        due = now
    row = Reminder(
        idempotency_key=key,
        journey=journey,
        patient=patient,
        caregiver=caregiver,
        appointment=appointment,
        rule_key=rule_key,
        occurrence=0,
        message_key=message_key,
        channel=channel,
        audience="patient",
        urgent=False,
        rule_at=now,
        due_at=due,
        next_attempt_at=due,
        status="pending",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    return row


def _supersede(journey: Journey, subject: str, *, now: datetime) -> int:
    """Cancel waiting notices about ``subject``; return how many notices it had before."""
    prefix = f"j{journey.id}:{NOTICE_RULE}:{subject}:"
    rows = db.session.scalars(
        sa.select(Reminder).where(
            Reminder.journey_id == journey.id,
            Reminder.rule_key == NOTICE_RULE,
            Reminder.idempotency_key.startswith(prefix, autoescape=True),
        )
    ).all()
    for row in rows:
        if row.status == "pending":
            row.status, row.cancel_code = "cancelled", "obsolete"
            row.status_reason = "A newer change replaced this message."
            row.updated_at = now
    return len(rows)


def _notice(
    journey: Journey,
    subject: str,
    message_key: str,
    *,
    now: datetime,
    appointment: Appointment | None = None,
    event_at: datetime | None = None,
) -> Reminder | None:
    db.session.flush()
    count = _supersede(journey, subject, now=now)
    return queue_patient_message(
        journey,
        message_key,
        rule_key=NOTICE_RULE,
        key=f"j{journey.id}:{NOTICE_RULE}:{subject}:n{count + 1}#1",
        now=now,
        appointment=appointment,
        event_at=event_at,
    )


def surgery_moved(journey: Journey, *, now: datetime) -> Reminder | None:
    """Tell the patient the new date and time of their surgery (still ahead)."""
    if journey.surgery_at is None or journey.surgery_at <= now:
        return None
    return _notice(journey, "surgery", "surgery_moved", now=now, event_at=journey.surgery_at)


def surgery_cancelled(journey: Journey, *, now: datetime) -> Reminder | None:
    """Tell the patient their surgery will not take place (the journey was cancelled before it)."""
    if journey.surgery_at is None or journey.surgery_at <= now:
        return None
    return _notice(journey, "surgery", "surgery_cancelled", now=now, event_at=journey.surgery_at)


def appointment_moved(appt: Appointment, *, now: datetime) -> Reminder | None:
    if appt.status != "scheduled" or appt.starts_at <= now:
        return None
    return _notice(
        appt.journey,
        f"a{appt.id}",
        "appointment_moved",
        now=now,
        appointment=appt,
        event_at=appt.starts_at,
    )


def appointment_cancelled(appt: Appointment, *, now: datetime) -> Reminder | None:
    if appt.starts_at <= now:
        return None
    return _notice(
        appt.journey,
        f"a{appt.id}",
        "appointment_cancelled",
        now=now,
        appointment=appt,
        event_at=appt.starts_at,
    )


def new_message(
    journey: Journey, *, now: datetime, caregiver: Caregiver | None = None
) -> Reminder | None:
    """Tell the patient (or their caregiver) that the care team wrote: a link, never the text.

    One waiting notice is enough: a newer one replaces it.
    """
    if caregiver is None:
        return _notice(journey, "messages", "new_message", now=now)
    db.session.flush()
    subject = f"messages-c{caregiver.id}"
    count = _supersede(journey, subject, now=now)
    channel = "sms" if caregiver.phone else "email"
    return queue_patient_message(
        journey,
        "new_message",
        rule_key=NOTICE_RULE,
        key=f"j{journey.id}:{NOTICE_RULE}:{subject}:n{count + 1}#1",
        now=now,
        channel=channel,
        caregiver=caregiver,
    )
