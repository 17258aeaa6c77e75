from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import UTCDateTime, db
from tracker.journeys.models import Appointment, Journey
from tracker.patients.models import Patient
from tracker.vocabulary import REMINDER_STATUSES

CHANNELS = ("email", "sms")
#: patient; coordinator (reminder problems, the template's staff rules); on_duty (the contacts
#: told about an urgent patient alert, each row to its own phone or address)
AUDIENCES = ("patient", "coordinator", "on_duty")
#: pending: waiting for its time; sending: claimed by a dispatcher; needs_check: the provider may
#: or may not have taken it, a person decides; the rest are final
STATUSES = (
    "pending",
    "sending",
    "sent",
    "failed",
    "needs_check",
    "cancelled",
    "skipped",
    "expired",
)
OPEN_STATUSES = ("pending", "sending")
PROBLEM_STATUSES = ("failed", "needs_check")
#: why a reminder was cancelled, so planning knows which ones may come back
CANCEL_CODES = ("staff", "journey", "appointment", "consent", "obsolete")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Reminder(db.Model):
    """One message to one recipient on one channel: a row of the outbox."""

    __tablename__ = "reminders"
    __table_args__ = (
        sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
        sa.CheckConstraint(_in("audience", AUDIENCES), name="audience"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        # What the dispatchers poll: due rows by time.
        sa.Index("ix_reminders_status_next_attempt_at", "status", "next_attempt_at"),
        # The outbox filtered by status, newest first: read off the index in its order, id too
        # (without it PostgreSQL walked the due-time index from the newest planned reminders,
        # skipping every pending one to find the latest sent or skipped ones).
        sa.Index("ix_reminders_status_due_at_id", "status", "due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: deterministic: journey, rule, appointment, occurrence and channel; planning twice is a no-op
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    #: the appointment a reminder is about (rules anchored on an appointment)
    appointment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appointments.id"))
    #: the staff alert's subject reminder (failed, expired or unclear sends)
    about_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reminders.id"))
    #: the patient alert an on-duty message is about
    patient_alert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("portal_alerts.id"), index=True
    )
    #: a patient message that goes to the patient's caregiver (their portal link, a reply)
    caregiver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portal_caregivers.id"))
    #: the template's reminder rule key, or ``alert`` for a staff alert
    rule_key: Mapped[str] = mapped_column(sa.String(60))
    #: which repeat of a repeating rule (0 for the first)
    occurrence: Mapped[int] = mapped_column(default=0)
    #: messages due at the same moment leave in this order: the rule's place in its template
    #: (a booking confirmation before the instructions that follow it); clinic notices first
    rule_order: Mapped[int] = mapped_column(default=0, server_default="0")
    message_key: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10))
    audience: Mapped[str] = mapped_column(sa.String(12), default="patient")
    #: urgent reminders ignore quiet hours
    urgent: Mapped[bool] = mapped_column(default=False)
    #: the instant the rule gives (anchor + offset at its local time), before any adjustment
    rule_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when it should leave: the rule's local time, pushed past quiet hours
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: when a dispatcher may next try it (``due_at``, later after a failed attempt)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the instant it is about (surgery, appointment, end of the day); none once passed
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: after this it is pointless (a fasting reminder once surgery started): expired, not sent
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    #: why it was cancelled, skipped or expired, in words a person reads
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: one of CANCEL_CODES when cancelled
    cancel_code: Mapped[str | None] = mapped_column(sa.String(12))
    attempts: Mapped[int] = mapped_column(default=0)
    #: the dispatcher holding the claim, and until when
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set just before handing it to the provider: a lost claim after this means "maybe sent"
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: smtp, sms_gateway or outbox
    transport: Mapped[str | None] = mapped_column(sa.String(20))
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    #: the provider's id (SMTP Message-ID, gateway message id)
    provider_id: Mapped[str | None] = mapped_column(sa.String(200))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: the text as sent (or as prepared, for staff alerts); a personal portal link in it is
    #: replaced by a placeholder before it is stored (the link leaves only in the message)
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    journey: Mapped[Journey] = relationship()
    patient: Mapped[Patient] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    about: Mapped["Reminder | None"] = relationship(remote_side=[id])
    caregiver: Mapped["Caregiver | None"] = relationship()  # noqa: F821  (tracker.portal.models)

    @property
    def status_label(self) -> str:
        label = REMINDER_STATUSES.get(self.status)
        return str(label) if label is not None else self.status.replace("_", " ")

    @property
    def is_alert(self) -> bool:
        return self.rule_key == "alert"

    def __str__(self) -> str:
        return f"reminder {self.id} {self.rule_key}/{self.channel}"
