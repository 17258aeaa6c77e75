"""Portal invitations, check-ins, milestones and what the portal pages show."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from tracker.journeys.models import Appointment, Journey
from tracker.journeys.services import tick_task
from tracker.portal import alerts, sessions
from tracker.portal.models import RED_FLAGS, Alert, CheckIn, MilestoneRecord, PortalInvitation

TOKEN_BYTES = 32  # 256 bits
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
NOTE_MAX = 1000


# ---- invitations ----------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_key(invitation: PortalInvitation) -> str:
    """The secret in the calendar feed's URL: derived, so it can be shown again at any time."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"feed:{invitation.token_hash}".encode(), "sha256").hexdigest()


def invitation_link(token: str) -> str:
    base = current_app.config.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/portal/i/{token}"


def active_invitation(journey: Journey, *, now: datetime) -> PortalInvitation | None:
    return db.session.scalar(
        sa.select(PortalInvitation)
        .where(
            PortalInvitation.journey_id == journey.id,
            PortalInvitation.revoked_at.is_(None),
            PortalInvitation.expires_at > now,
        )
        .order_by(PortalInvitation.created_at.desc(), PortalInvitation.id.desc())
        .limit(1)
    )


def latest_invitation(journey: Journey) -> PortalInvitation | None:
    return db.session.scalar(
        sa.select(PortalInvitation)
        .where(PortalInvitation.journey_id == journey.id)
        .order_by(PortalInvitation.created_at.desc(), PortalInvitation.id.desc())
        .limit(1)
    )


def _revoke_all(patient_id: int, *, actor: StaffUser | None, now: datetime) -> int:
    rows = db.session.scalars(
        sa.select(PortalInvitation).where(
            PortalInvitation.patient_id == patient_id, PortalInvitation.revoked_at.is_(None)
        )
    ).all()
    for invitation in rows:
        invitation.revoked_at = now
        invitation.revoked_by_id = getattr(actor, "id", None)
    return len(rows)


def issue_invitation(
    journey: Journey, *, actor: StaffUser, now: datetime
) -> tuple[PortalInvitation, str]:
    """A new personal link for the journey's patient; any earlier link stops working.

    Returns the invitation and the token: the token is not stored, so this is the only time
    the link can be shown.
    """
    if not journey.is_active:
        raise Conflict("Only a running journey can have a portal invitation.")
    replaced = _revoke_all(journey.patient_id, actor=actor, now=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    days = int(current_app.config.get("PORTAL_INVITATION_DAYS", 120))
    invitation = PortalInvitation(
        patient_id=journey.patient_id,
        journey_id=journey.id,
        token_hash=hash_token(token),
        created_at=now,
        created_by_id=actor.id,
        expires_at=now + timedelta(days=days),
    )
    invitation.feed_key_hash = hash_token(feed_key(invitation))
    db.session.add(invitation)
    record(
        "portal.invite",
        invitation,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={
            "journey_id": journey.id,
            "expires_at": invitation.expires_at,
            "replaced": replaced,
        },
    )
    tick_task(journey, "portal_invited", actor=actor, now=now)
    return invitation, token


def revoke_invitations(journey: Journey, *, actor: StaffUser, now: datetime) -> int:
    count = _revoke_all(journey.patient_id, actor=actor, now=now)
    if not count:
        raise Conflict("The patient has no portal link to withdraw.")
    devices = sessions.end_for_patient(journey.patient_id, reason="withdrawn", actor=actor, now=now)
    record(
        "portal.revoke",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"revoked": count, "devices_signed_out": devices},
    )
    return count


def find_invitation(token: str, *, now: datetime) -> PortalInvitation | None:
    """The valid invitation of a link's token; None for unknown, expired or revoked alike."""
    if not token or len(token) > 200:
        return None
    invitation = db.session.scalar(
        sa.select(PortalInvitation).where(PortalInvitation.token_hash == hash_token(token))
    )
    if invitation is None or not invitation.is_valid(now):
        return None
    return invitation


def exchange(token: str, *, now: datetime) -> PortalInvitation:
    """The patient continued from the link: the invitation that the portal session stands on."""
    invitation = find_invitation(token, now=now)
    if invitation is None:
        raise NotFound("This link is not valid.")
    invitation.last_used_at = now
    record("portal.sign_in", invitation, patient_id=invitation.patient_id, now=now)
    return invitation


def invitation_for_feed(key: str, *, now: datetime) -> PortalInvitation | None:
    if not key or len(key) > 200:
        return None
    invitation = db.session.scalar(
        sa.select(PortalInvitation).where(PortalInvitation.feed_key_hash == hash_token(key))
    )
    return invitation if invitation is not None and invitation.is_valid(now) else None


# ---- check-ins --------------------------------------------------------------------------------


@dataclass
class CheckInValues:
    back_pain: object
    leg_pain: object
    took_pain_medicine: object
    idempotency_key: str
    note: str | None = None
    flags: set[str] = field(default_factory=set)


def patient_today(journey: Journey, now: datetime) -> date:
    return now.astimezone(alerts.patient_tz(journey)).date()


def _score(value, name: str, errors: FieldErrors) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        errors.add(name, _("Choose a whole number from 0 to 10."))
        return None
    return value


def record_check_in(
    journey: Journey,
    values: CheckInValues,
    *,
    now: datetime,
    staff: StaffUser | None = None,
) -> tuple[CheckIn, bool]:
    """Record a check-in and run the alert rules; a repeated idempotency key records nothing.

    Returns the check-in and whether it is new.
    """
    key = values.idempotency_key or ""
    if not _IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(_("The form was not complete. Please open it again."))
    existing = _by_key(key)
    if existing is not None:
        return _same_journey(existing, journey), False
    if not journey.is_active:
        raise Conflict(_("This journey has ended; check-ins are closed."))
    errors = FieldErrors()
    back = _score(values.back_pain, "back_pain", errors)
    leg = _score(values.leg_pain, "leg_pain", errors)
    if not isinstance(values.took_pain_medicine, bool):
        errors.add("took_pain_medicine", _("Choose yes or no."))
    note = (values.note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        errors.add("note", _("Keep the note under %(n)d characters.", n=NOTE_MAX))
    unknown = set(values.flags) - set(RED_FLAGS)
    if unknown:
        errors.add("flags", _("Unknown warning sign."))
    errors.raise_if_any(_("Some answers are missing or not valid."))
    check_in = CheckIn(
        journey=journey,
        patient_id=journey.patient_id,
        day=patient_today(journey, now),
        recorded_at=now,
        back_pain=back,
        leg_pain=leg,
        took_pain_medicine=values.took_pain_medicine,
        note=note,
        entered_by="staff" if staff else "patient",
        entered_by_id=staff.id if staff else None,
        idempotency_key=key,
        **{flag: flag in values.flags for flag in RED_FLAGS},
    )
    try:
        with db.session.begin_nested():
            db.session.add(check_in)
    except sa.exc.IntegrityError:
        # The same form landed twice at the same moment: the other request recorded it.
        existing = _by_key(key)
        if existing is None:
            raise
        return _same_journey(existing, journey), False
    record(
        "portal.check_in",
        check_in,
        actor=staff,
        patient_id=journey.patient_id,
        now=now,
        details={
            "back_pain": back,
            "leg_pain": leg,
            "red_flags": check_in.red_flags,
            "entered_by": check_in.entered_by,
        },
    )
    alerts.evaluate_check_in(check_in, now=now)
    return check_in, True


def _by_key(key: str) -> CheckIn | None:
    return db.session.scalar(sa.select(CheckIn).where(CheckIn.idempotency_key == key))


def _same_journey(check_in: CheckIn, journey: Journey) -> CheckIn:
    if check_in.journey_id != journey.id:
        raise ValidationFailed(_("The form was not complete. Please open it again."))
    return check_in


def check_ins(journey: Journey, limit: int | None = None) -> list[CheckIn]:
    """Newest first."""
    query = (
        sa.select(CheckIn)
        .where(CheckIn.journey_id == journey.id)
        .order_by(CheckIn.day.desc(), CheckIn.recorded_at.desc(), CheckIn.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def checked_in_today(journey: Journey, now: datetime) -> CheckIn | None:
    return db.session.scalar(
        sa.select(CheckIn)
        .where(CheckIn.journey_id == journey.id, CheckIn.day == patient_today(journey, now))
        .order_by(CheckIn.recorded_at.desc())
        .limit(1)
    )


# ---- milestones ------------------------------------------------------------------------------


@dataclass
class Milestone:
    key: str
    titles: dict
    anchor: str
    from_day: int
    to_day: int
    expected_from: date | None
    expected_to: date | None
    reached_on: date | None

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("en") or self.key

    @property
    def anchor_on(self) -> date | None:
        """The date the window counts from (the operation, for every milestone today)."""
        if self.expected_from is None:
            return None
        return self.expected_from - timedelta(days=self.from_day)

    @property
    def day(self) -> int | None:
        """Days after the anchor it was reached."""
        if self.reached_on is None or self.expected_from is None:
            return None
        return (self.reached_on - self.expected_from).days + self.from_day

    def status(self, today: date) -> str:
        """early, on_time, late (reached); waiting, due, overdue (not yet); unknown."""
        if self.expected_from is None:
            return "unknown"
        if self.reached_on is not None:
            if self.reached_on < self.expected_from:
                return "early"
            return "late" if self.reached_on > self.expected_to else "on_time"
        if today < self.expected_from:
            return "waiting"
        return "overdue" if today > self.expected_to else "due"


def template_milestones(journey: Journey) -> list[dict]:
    return [
        ms for stage in journey.template.definition["stages"] for ms in stage.get("milestones", [])
    ]


def milestones(journey: Journey) -> list[Milestone]:
    tz = alerts.patient_tz(journey)
    reached = {
        r.key: r.reached_on
        for r in db.session.scalars(
            sa.select(MilestoneRecord).where(MilestoneRecord.journey_id == journey.id)
        )
    }
    out = []
    for ms in template_milestones(journey):
        anchor = journey.anchor_date(ms["anchor"], tz)
        out.append(
            Milestone(
                key=ms["key"],
                titles=ms["title"],
                anchor=ms["anchor"],
                from_day=ms["from_day"],
                to_day=ms["to_day"],
                expected_from=anchor + timedelta(days=ms["from_day"]) if anchor else None,
                expected_to=anchor + timedelta(days=ms["to_day"]) if anchor else None,
                reached_on=reached.get(ms["key"]),
            )
        )
    return out


def mark_milestone(
    journey: Journey,
    key: str,
    reached_on: date | None,
    *,
    now: datetime,
    staff: StaffUser | None = None,
) -> MilestoneRecord:
    """Record (or correct) the day a milestone was reached."""
    if not journey.is_active:
        raise Conflict(_("This journey has ended."))
    if key not in {ms["key"] for ms in template_milestones(journey)}:
        raise NotFound(_("No such milestone."))
    if not isinstance(reached_on, date):
        raise ValidationFailed.on("reached_on", _("Choose the day."))
    operated = alerts.surgery_day(journey)
    if operated is None or operated > patient_today(journey, now):
        raise ValidationFailed.on("reached_on", _("These milestones start after your operation."))
    if reached_on > patient_today(journey, now):
        raise ValidationFailed.on("reached_on", _("The day cannot be in the future."))
    if reached_on < operated:
        raise ValidationFailed.on("reached_on", _("The day cannot be before your operation."))
    row = db.session.scalar(
        sa.select(MilestoneRecord).where(
            MilestoneRecord.journey_id == journey.id, MilestoneRecord.key == key
        )
    )
    before = row.reached_on if row else None
    if row is None:
        row = MilestoneRecord(journey_id=journey.id, key=key)
        db.session.add(row)
    row.reached_on = reached_on
    row.recorded_at = now
    row.entered_by = "staff" if staff else "patient"
    row.entered_by_id = staff.id if staff else None
    record(
        "portal.milestone",
        row,
        actor=staff,
        patient_id=journey.patient_id,
        now=now,
        details={"key": key, "reached_on": [before, reached_on]},
    )
    return row


# ---- what the portal home shows ------------------------------------------------------------


def upcoming_appointments(journey: Journey, *, now: datetime) -> list[Appointment]:
    return [a for a in journey.appointments if a.status == "scheduled" and a.ends_at > now]


def journey_appointment(journey: Journey, appointment_id: int) -> Appointment:
    """One of the journey's own appointments, or NotFound (never another patient's)."""
    appt = db.session.get(Appointment, appointment_id)
    if appt is None or appt.journey_id != journey.id:
        raise NotFound(_("No such appointment."))
    return appt


def appointment_title(appt: Appointment, language: str) -> str:
    for stage in appt.journey.template.definition["stages"]:
        for spec in stage.get("appointments", []):
            if spec["key"] == appt.key:
                return spec["title"].get(language) or appt.title
    return appt.title


def open_alerts(journey: Journey) -> list[Alert]:
    return [a for a in alerts.journey_alerts(journey, limit=50) if a.status != "resolved"]
