"""A journey's appointments: book one, change it (its time, place, status) and cancel it;
the reminders are planned again and the patient told when one moves or is cancelled."""

from datetime import datetime

from tracker.audit.services import diff, record
from tracker.db import db
from tracker.errors import Conflict, FieldErrors, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.checks import check_bookable, require_active
from tracker.journeys.models import APPOINTMENT_KINDS, Appointment, Journey
from tracker.reminders import notices
from tracker.reminders.planning import plan_journey


def _check_appointment(values: dict, errors: FieldErrors, now: datetime) -> None:
    if "kind" in values and values["kind"] not in APPOINTMENT_KINDS:
        errors.add("kind", _("Choose one of: %(join)s.", join=", ".join(APPOINTMENT_KINDS)))
    if "title" in values and not (values["title"] or "").strip():
        errors.add("title", _("Give the appointment a title."))
    elif len((values.get("title") or "").strip()) > 200:
        errors.add("title", _("Keep the title under 200 characters."))
    if len((values.get("location") or "").strip()) > 200:
        errors.add("location", _("Keep the location under 200 characters."))
    if "starts_at" in values and (
        values["starts_at"] is None or values["starts_at"].tzinfo is None
    ):
        errors.add("starts_at", _("Give the start with its time zone."))
    elif values.get("starts_at") is not None:
        check_bookable("starts_at", values["starts_at"], now, errors)
    duration = values.get("duration_minutes", 30)
    if not isinstance(duration, int) or not 1 <= duration <= 1440:
        errors.add("duration_minutes", _("The duration must be between 1 and 1440 minutes."))


def create_appointment(journey: Journey, values: dict, *, actor, now: datetime) -> Appointment:
    require_active(journey)
    errors = FieldErrors()
    for field in ("kind", "title", "starts_at"):
        if values.get(field) in (None, ""):
            errors.add(field, _("This field is required."))
    _check_appointment(values, errors, now)
    errors.raise_if_any()
    appt = Appointment(
        journey=journey,
        kind=values["kind"],
        title=values["title"].strip(),
        starts_at=values["starts_at"],
        duration_minutes=values.get("duration_minutes", 30),
        location=(values.get("location") or "").strip(),
        created_at=now,
        updated_at=now,
    )
    db.session.add(appt)
    db.session.flush()
    record(
        "appointment.create",
        appt,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"title": appt.title, "starts_at": appt.starts_at},
    )
    plan_journey(journey, now=now)
    return appt


EDITABLE = ("kind", "title", "starts_at", "duration_minutes", "location", "status")


def update_appointment(appt: Appointment, values: dict, *, actor, now: datetime) -> Appointment:
    require_active(appt.journey)
    if appt.status == "cancelled":
        raise Conflict(_("This appointment is cancelled; book a new one instead."))
    errors = FieldErrors()
    for field in set(values) - set(EDITABLE):
        errors.add(field, _("Unknown field."))
    # An unchanged start is not judged again (an old appointment stays editable).
    changing = {k: v for k, v in values.items() if k != "starts_at" or v != appt.starts_at}
    _check_appointment(changing, errors, now)
    if values.get("status") not in (None, "scheduled", "completed", "no_show"):
        errors.add("status", _("Use scheduled, completed or no_show (cancel to cancel)."))
    errors.raise_if_any()
    if "title" in values:
        values = {**values, "title": values["title"].strip()}
    if appt.key == "surgery" and values.get("starts_at", appt.starts_at) != appt.starts_at:
        raise Conflict.on("starts_at", _("Move the surgery with 'reschedule surgery'."))
    changed = diff(appt, values)
    if changed:
        appt.sequence += 1
        appt.updated_at = now
        record(
            "appointment.update",
            appt,
            actor=actor,
            patient_id=appt.journey.patient_id,
            now=now,
            details=changed,
        )
    if changed.keys() & {"starts_at", "status", "kind"}:
        plan_journey(appt.journey, now=now, reason="The appointment changed.")
    if "starts_at" in changed:
        notices.appointment_moved(appt, now=now)
    return appt


def mark_cancelled(appt: Appointment, reason: str, now: datetime) -> None:
    appt.status = "cancelled"
    appt.cancel_reason = reason
    appt.sequence += 1
    appt.updated_at = now


def cancel_appointment(appt: Appointment, *, reason: str, actor, now: datetime) -> Appointment:
    require_active(appt.journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why the appointment is cancelled."))
    if appt.status == "cancelled":
        raise Conflict(_("This appointment is already cancelled."))
    if appt.key == "surgery":
        raise Conflict(_("Cancel the journey, or reschedule the surgery, instead."))
    mark_cancelled(appt, reason.strip(), now)
    record(
        "appointment.cancel",
        appt,
        actor=actor,
        patient_id=appt.journey.patient_id,
        now=now,
        details={"reason": reason.strip()},
    )
    plan_journey(appt.journey, now=now)
    notices.appointment_cancelled(appt, now=now)
    return appt
