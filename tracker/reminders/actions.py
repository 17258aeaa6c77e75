"""What staff do to one reminder from the outbox: resend it, or cancel it with a reason."""

from datetime import datetime

from tracker.audit.services import record
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n import gettext as _
from tracker.reminders.models import OPEN_STATUSES, PROBLEM_STATUSES, Reminder
from tracker.reminders.planning import consents


def resend(reminder: Reminder, *, actor, now: datetime) -> Reminder:
    """Queue a reminder again at once (a person decided it should go)."""
    if reminder.status in OPEN_STATUSES:
        raise Conflict(_("This reminder is already waiting to be sent."))
    if reminder.audience == "patient" and not consents(reminder.patient, reminder.channel):
        raise Conflict(
            _("The patient has not consented to %(channel)s messages.", channel=reminder.channel)
        )
    old = reminder.status
    reminder.status = "pending"
    reminder.due_at = reminder.next_attempt_at = now
    reminder.expires_at = None  # a person decided it is still worth sending
    reminder.attempts = 0
    reminder.claimed_by = reminder.claimed_until = reminder.send_started_at = None
    reminder.status_reason = reminder.cancel_code = reminder.last_error = None
    reminder.updated_at = now
    record(
        "reminder.resend",
        reminder,
        actor=actor,
        patient_id=reminder.patient_id,
        now=now,
        details={"status": [old, "pending"], "rule": reminder.rule_key},
    )
    return reminder


def cancel_reminder(reminder: Reminder, *, reason: str, actor, now: datetime) -> Reminder:
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why this reminder is cancelled."))
    if reminder.status == "sending":
        raise Conflict(_("This reminder is being sent right now; try again in a minute."))
    if reminder.status not in ("pending", *PROBLEM_STATUSES):
        raise Conflict(
            _("This reminder is already %(status_label)s.", status_label=reminder.status_label)
        )
    old = reminder.status
    reminder.status, reminder.cancel_code = "cancelled", "staff"
    reminder.status_reason = reason.strip()
    reminder.updated_at = now
    record(
        "reminder.cancel",
        reminder,
        actor=actor,
        patient_id=reminder.patient_id,
        now=now,
        details={"status": [old, "cancelled"], "reason": reason.strip()},
    )
    return reminder
