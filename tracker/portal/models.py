from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import UTCDateTime, db
from tracker.journeys.models import Journey
from tracker.patients.models import Patient

ENTERED_BY = ("patient", "staff")
RED_FLAGS = ("flag_weakness", "flag_both_legs", "flag_saddle", "flag_fever", "flag_wound")
#: possible cauda equina: the patient is told to go to the emergency department now
EMERGENCY_FLAGS = ("flag_saddle", "flag_both_legs")
ALERT_KINDS = ("red_flag", "pain_high", "pain_rise", "leg_pain_return", "missed_checkins")
#: urgent: red flags; high: possible re-herniation, pain of 8 or more; normal: the rest
ALERT_SEVERITIES = ("urgent", "high", "normal")
#: how a personal link reached the patient
LINK_VIAS = ("sms", "email", "in_person")
ALERT_STATUSES = ("open", "acknowledged", "resolved")
#: still to deal with (as a list, an index range each: "not resolved" would read every resolved one)
UNRESOLVED = ("open", "acknowledged")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Caregiver(db.Model):
    """A person the patient wants to follow along (a son, a daughter): invited by a coordinator,
    with portal access of their own (invitations with ``caregiver_id``), withdrawn on its own."""

    __tablename__ = "portal_caregivers"
    __table_args__ = (
        sa.CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="contact"),
        sa.CheckConstraint("language IS NULL OR language IN ('en', 'id')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: to the patient, in the coordinator's words ("daughter")
    relation: Mapped[str] = mapped_column(sa.String(60))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: the language of their messages and pages; empty: the patient's
    language: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: access withdrawn: every link and session of this caregiver ends (the patient's stay)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

    journey: Mapped[Journey] = relationship()
    patient: Mapped[Patient] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def reads(self) -> str:
        """The language the caregiver reads: their own, else the patient's."""
        return self.language or self.patient.language


class PortalInvitation(db.Model):
    """A patient's (or, with ``caregiver_id``, a caregiver's) access to the portal: the personal
    links made under it, and every portal session made from them, work while it is neither
    expired nor withdrawn."""

    __tablename__ = "portal_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    #: random; with the secret key it gives the calendar feed key (useless without that key)
    feed_nonce: Mapped[str] = mapped_column(sa.String(64))
    #: sha256 (hex) of the calendar feed key
    feed_key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: the link (and every portal session made from it) stops working then
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: the last time the patient continued from one of its links
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a caregiver's access (None: the patient's own)
    caregiver_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("portal_caregivers.id"), index=True
    )

    patient: Mapped[Patient] = relationship()
    journey: Mapped[Journey] = relationship()
    caregiver: Mapped[Caregiver | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[StaffUser | None] = relationship(foreign_keys=[revoked_by_id])

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class PortalLink(db.Model):
    """One personal link, made when the message that carries it is sent (or shown to hand over).

    Only the token's hash is stored. A link works while its invitation does.
    """

    __tablename__ = "portal_links"
    __table_args__ = (sa.CheckConstraint(_in("via", LINK_VIAS), name="via"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("portal_invitations.id"), index=True)
    #: sha256 (hex) of the link's random token (256 bits)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    via: Mapped[str] = mapped_column(sa.String(12))
    #: the outbox message that carried it (none when shown to staff to hand over)
    reminder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reminders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the last time the patient continued from it
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invitation: Mapped[PortalInvitation] = relationship()


SESSION_END_REASONS = ("signed_out", "withdrawn", "staff", "replaced", "idle", "expired")


class PortalSession(db.Model):
    """A patient signed in to the portal on one device.

    The device's cookie holds only a random id; the hash of it is stored, so a copy of this
    table signs no one in. A session ends on sign-out, when staff sign the device out or
    withdraw the patient's access, after ``PORTAL_IDLE_DAYS`` without a visit, at
    ``expires_at``, and with its invitation. Ended sessions stay as the record of who was
    signed in when.
    """

    __tablename__ = "portal_sessions"
    __table_args__ = (
        sa.CheckConstraint(_in("end_reason", SESSION_END_REASONS), name="end_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("portal_invitations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    #: sha256 (hex) of the random id in the device's cookie
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the last visit, noted at most every few minutes
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the absolute end, however often the patient visits
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(20))
    #: the staff user who signed the device out or withdrew access
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: the browser's own description (shortened), so staff can tell devices apart
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    #: the address the patient signed in from
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))

    invitation: Mapped[PortalInvitation] = relationship()


class CheckIn(db.Model):
    """One pain check-in: by the patient in the portal, or taken by staff over the phone."""

    __tablename__ = "portal_check_ins"
    __table_args__ = (
        sa.CheckConstraint("back_pain BETWEEN 0 AND 10", name="back_pain"),
        sa.CheckConstraint("leg_pain BETWEEN 0 AND 10", name="leg_pain"),
        sa.CheckConstraint(_in("entered_by", ENTERED_BY), name="entered_by"),
        sa.CheckConstraint(
            "(entered_by = 'staff') = (entered_by_id IS NOT NULL)", name="entered_by_staff"
        ),
        sa.Index("ix_portal_check_ins_journey_id_day", "journey_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    #: the patient's local date it is about
    day: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: numeric rating scale 0-10 (LOINC 72514-3), back and leg separately
    back_pain: Mapped[int]
    leg_pain: Mapped[int]
    took_pain_medicine: Mapped[bool]
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: new or worse leg weakness or numbness
    flag_weakness: Mapped[bool] = mapped_column(default=False)
    #: new weakness or numbness in both legs (possible cauda equina)
    flag_both_legs: Mapped[bool] = mapped_column(default=False)
    #: numbness in the groin or saddle area, or new bladder or bowel problems
    flag_saddle: Mapped[bool] = mapped_column(default=False)
    flag_fever: Mapped[bool] = mapped_column(default=False)
    #: wound redness, swelling or discharge
    flag_wound: Mapped[bool] = mapped_column(default=False)
    entered_by: Mapped[str] = mapped_column(sa.String(10), default="patient")
    #: the staff user who took it by phone
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: sent with the form, so a double-tapped submit records one check-in
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: entered in the portal by the patient's caregiver, on the patient's behalf
    caregiver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portal_caregivers.id"))

    journey: Mapped[Journey] = relationship()
    entered_by_user: Mapped[StaffUser | None] = relationship()
    caregiver: Mapped[Caregiver | None] = relationship()

    @property
    def red_flags(self) -> list[str]:
        return [flag for flag in RED_FLAGS if getattr(self, flag)]


class MilestoneRecord(db.Model):
    """The day a patient reached one of the pathway's recovery milestones."""

    __tablename__ = "portal_milestones"
    __table_args__ = (
        sa.UniqueConstraint("journey_id", "key", name="uq_portal_milestones_journey_id_key"),
        sa.CheckConstraint(_in("entered_by", ENTERED_BY), name="entered_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    #: the template's milestone key
    key: Mapped[str] = mapped_column(sa.String(60))
    reached_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by: Mapped[str] = mapped_column(sa.String(10), default="patient")
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: marked in the portal by the patient's caregiver
    caregiver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portal_caregivers.id"))

    caregiver: Mapped[Caregiver | None] = relationship()


class Alert(db.Model):
    """Something the clinic should look at, raised by the check-in rules."""

    __tablename__ = "portal_alerts"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ALERT_KINDS), name="kind"),
        sa.CheckConstraint(_in("severity", ALERT_SEVERITIES), name="severity"),
        sa.CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        sa.Index("ix_portal_alerts_status_created_at", "status", "created_at"),
        # The queue: urgent ones first, each part newest first.
        sa.Index("ix_portal_alerts_status_severity_created_at", "status", "severity", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    #: the check-in that raised it (none for a missed check-in)
    check_in_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portal_check_ins.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    severity: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(15), default="open")
    #: one line for the queue, in the clinic's language
    summary: Mapped[str] = mapped_column(sa.String(300))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: the rule's own key (e.g. one missed-check-in alert per gap), so a rerun adds nothing
    dedup_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when an urgent alert nobody acknowledged went to the escalation contacts
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)

    journey: Mapped[Journey] = relationship()
    patient: Mapped[Patient] = relationship()
    check_in: Mapped[CheckIn | None] = relationship()
    acknowledged_by: Mapped[StaffUser | None] = relationship(foreign_keys=[acknowledged_by_id])
    resolved_by: Mapped[StaffUser | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_urgent(self) -> bool:
        return self.severity == "urgent"

    @property
    def red_flags(self) -> list[str]:
        return list((self.details or {}).get("flags") or [])
