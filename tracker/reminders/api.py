"""A journey's reminders over JSON (read-only: staff act on reminders in the outbox)."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from tracker.api_support import Instant, authenticate, clinical, get_or_404, json_errors
from tracker.audit.services import record_read
from tracker.journeys.models import Journey
from tracker.reminders import queries

blp = Blueprint("reminders_api", __name__, description="Scheduled reminders of a journey.")
blp.before_request(authenticate)
json_errors(blp)


class ReminderSchema(Schema):
    id = fields.Integer()
    rule = fields.String(attribute="rule_key", metadata={"description": "template rule, or alert"})
    occurrence = fields.Integer()
    message = fields.String(attribute="message_key")
    channel = fields.String(metadata={"description": "email or sms"})
    audience = fields.String(metadata={"description": "patient or coordinator"})
    status = fields.String(
        metadata={
            "description": "pending (due), sending, sent, failed, needs_check, cancelled, "
            "skipped or expired"
        }
    )
    status_reason = fields.String(allow_none=True)
    due_at = Instant(metadata={"description": "when it leaves (UTC), after quiet hours"})
    local_due = fields.Method("_local_due", metadata={"description": "due, patient's local time"})
    event_at = Instant(allow_none=True)
    expires_at = Instant(allow_none=True)
    appointment_id = fields.Integer(allow_none=True)
    attempts = fields.Integer()
    sent_at = Instant(allow_none=True)
    transport = fields.String(allow_none=True)
    recipient = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)

    def _local_due(self, reminder) -> str:
        return queries.local_iso(reminder.due_at, reminder.patient.timezone)


class ReminderListSchema(Schema):
    items = fields.List(fields.Nested(ReminderSchema))


@blp.route("/journeys/<int:journey_id>/reminders", methods=["GET"])
@clinical
@blp.response(200, ReminderListSchema)
def list_reminders(journey_id: int):
    """A journey's reminders in due order, with their state."""
    journey = get_or_404(Journey, journey_id)
    record_read(
        "reminder.list",
        journey,
        actor=g.api_user,
        patient_id=journey.patient_id,
        details={"via": "api"},
    )
    return {"items": queries.journey_reminders(journey)}
