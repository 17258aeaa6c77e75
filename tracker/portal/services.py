"""Portal invitations, check-ins, milestones and what the portal pages show."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, make_transient_to_detached

from tracker.audit.services import insert_for as audit_insert_for
from tracker.audit.services import params_for, record
from tracker.auth.models import StaffUser
from tracker.db import db, dialect_name, insert_or_skip
from tracker.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.models import Appointment, Journey
from tracker.journeys.tasks import tick_task
from tracker.portal import alerts, sessions
from tracker.portal.models import (
    EMERGENCY_FLAGS,
    RED_FLAGS,
    Alert,
    Caregiver,
    CheckIn,
    PortalInvitation,
    PortalLink,
)
from tracker.reminders.messages import PORTAL_LINK_RULE
from tracker.reminders.models import Reminder

TOKEN_BYTES = 32  # 256 bits
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
NOTE_MAX = 1000


# ---- invitations ----------------------------------------------------------------------------
#
# An invitation is the patient's access to the portal: it expires after PORTAL_INVITATION_DAYS
# and staff may withdraw it. Personal links are made under it, one per message that carries one
# (tracker.portal.links) or shown to staff to hand over; each stores only its token's hash. A
# portal session stands on the invitation, so withdrawing it ends every link and every session.


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_key(invitation: PortalInvitation) -> str:
    """The secret in the calendar feed's URL: derived, so it can be shown again at any time."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"feed:{invitation.feed_nonce}".encode(), "sha256").hexdigest()


def portal_base() -> str:
    return current_app.config["PORTAL_BASE_URL"].rstrip("/")


def invitation_link(token: str) -> str:
    return f"{portal_base()}/portal/i/{token}"


def portal_home_url() -> str:
    """The portal's front page: where a patient without a link asks for one."""
    return f"{portal_base()}/portal/"


def _whose(caregiver: Caregiver | None):
    """The invitations of the patient's own access, or of one caregiver's."""
    if caregiver is None:
        return PortalInvitation.caregiver_id.is_(None)
    return PortalInvitation.caregiver_id == caregiver.id


def active_invitation(
    journey: Journey, *, now: datetime, caregiver: Caregiver | None = None
) -> PortalInvitation | None:
    return db.session.scalar(
        sa.select(PortalInvitation)
        .where(
            PortalInvitation.journey_id == journey.id,
            _whose(caregiver),
            PortalInvitation.revoked_at.is_(None),
            PortalInvitation.expires_at > now,
        )
        .order_by(PortalInvitation.created_at.desc(), PortalInvitation.id.desc())
        .limit(1)
    )


def latest_invitation(journey: Journey) -> PortalInvitation | None:
    return db.session.scalar(
        sa.select(PortalInvitation)
        .where(PortalInvitation.journey_id == journey.id, _whose(None))
        .order_by(PortalInvitation.created_at.desc(), PortalInvitation.id.desc())
        .limit(1)
    )


def access_withdrawn(patient_id: int) -> bool:
    """Whether staff withdrew the patient's portal access (and have not invited them since)."""
    latest = db.session.scalar(
        sa.select(PortalInvitation)
        .where(PortalInvitation.patient_id == patient_id, _whose(None))
        .order_by(PortalInvitation.created_at.desc(), PortalInvitation.id.desc())
        .limit(1)
    )
    return latest is not None and latest.revoked_at is not None


def revoke_all(
    patient_id: int,
    *,
    actor: StaffUser | None,
    now: datetime,
    caregiver: Caregiver | None = None,
) -> int:
    """Withdraw the patient's own access (or one caregiver's): the other's stays."""
    rows = db.session.scalars(
        sa.select(PortalInvitation).where(
            PortalInvitation.patient_id == patient_id,
            _whose(caregiver),
            PortalInvitation.revoked_at.is_(None),
        )
    ).all()
    for invitation in rows:
        invitation.revoked_at = now
        invitation.revoked_by_id = getattr(actor, "id", None)
    # A link still waiting in the outbox would be made under the access that replaced it.
    waiting = db.session.scalars(
        sa.select(Reminder).where(
            Reminder.patient_id == patient_id,
            Reminder.rule_key == PORTAL_LINK_RULE,
            Reminder.status == "pending",
            Reminder.caregiver_id.is_(None)
            if caregiver is None
            else Reminder.caregiver_id == caregiver.id,
        )
    ).all()
    for row in waiting:
        row.status, row.cancel_code = "cancelled", "obsolete"
        row.status_reason = "The portal link was replaced or withdrawn before this was sent."
        row.updated_at = now
    return len(rows)


def create_invitation(
    journey: Journey,
    *,
    actor: StaffUser | None,
    now: datetime,
    details: dict | None = None,
    caregiver: Caregiver | None = None,
) -> PortalInvitation:
    """New portal access for the journey's patient (or their ``caregiver``); every earlier link
    and session of the same person stops."""
    if not journey.is_active:
        raise Conflict(_("Only a running journey can have a portal invitation."))
    if caregiver is not None and not caregiver.is_active:
        raise Conflict(_("This caregiver's access was withdrawn."))
    replaced = revoke_all(journey.patient_id, actor=actor, now=now, caregiver=caregiver)
    days = int(current_app.config.get("PORTAL_INVITATION_DAYS", 120))
    invitation = PortalInvitation(
        patient_id=journey.patient_id,
        journey_id=journey.id,
        feed_nonce=secrets.token_hex(32),
        created_at=now,
        created_by_id=getattr(actor, "id", None),
        expires_at=now + timedelta(days=days),
        caregiver=caregiver,
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
            "caregiver": getattr(caregiver, "id", None),
            **(details or {}),
        },
    )
    if caregiver is None:
        tick_task(journey, "portal_invited", actor=actor, now=now)
    return invitation


def mint_link(
    invitation: PortalInvitation, *, via: str, now: datetime, reminder_id: int | None = None
) -> str:
    """A new personal link under ``invitation``: returns the token, stores only its hash."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        PortalLink(
            invitation=invitation,
            token_hash=hash_token(token),
            via=via,
            reminder_id=reminder_id,
            created_at=now,
        )
    )
    return token


def issue_invitation(
    journey: Journey, *, actor: StaffUser, now: datetime
) -> tuple[PortalInvitation, str]:
    """New portal access with a link to hand over in person; any earlier link stops working.

    Returns the invitation and the token: the token is not stored, so this is the only time
    the link can be shown.
    """
    invitation = create_invitation(journey, actor=actor, now=now, details={"shown": True})
    return invitation, mint_link(invitation, via="in_person", now=now)


def revoke_invitations(journey: Journey, *, actor: StaffUser, now: datetime) -> int:
    count = revoke_all(journey.patient_id, actor=actor, now=now)
    if not count:
        raise Conflict(_("The patient has no portal link to withdraw."))
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


def _find_link(token: str, *, now: datetime) -> PortalLink | None:
    if not token or len(token) > 200:
        return None
    link = db.session.scalar(
        sa.select(PortalLink).where(PortalLink.token_hash == hash_token(token))
    )
    if link is None or not link.invitation.is_valid(now):
        return None
    return link


def find_invitation(token: str, *, now: datetime) -> PortalInvitation | None:
    """The valid invitation of a link's token; None for unknown, expired or revoked alike."""
    link = _find_link(token, now=now)
    return link.invitation if link is not None else None


def exchange(token: str, *, now: datetime) -> PortalInvitation:
    """The patient continued from the link: the invitation that the portal session stands on."""
    link = _find_link(token, now=now)
    if link is None:
        raise NotFound(_("This link is not valid."))
    link.last_used_at = link.invitation.last_used_at = now
    invitation = link.invitation
    record(
        "portal.sign_in",
        invitation,
        patient_id=invitation.patient_id,
        now=now,
        details={"link": link.id, "via": link.via},
    )
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
    caregiver: Caregiver | None = None,
) -> tuple[CheckIn, bool]:
    """Record a check-in and run the alert rules; a repeated idempotency key records nothing.

    Returns the check-in and whether it is new. One INSERT that does nothing when the key is
    taken (a double tap, or the same form landing twice at once), no lookup first: a check-in
    costs a handful of statements.
    """
    key = values.idempotency_key or ""
    if not _IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(_("The form was not complete. Please open it again."))
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
    if errors.errors or not journey.is_active:
        existing = _by_key(key)  # a form already recorded is answered as before
        if existing is not None:
            return _same_journey(existing, journey), False
        if not journey.is_active:
            raise Conflict(_("This journey has ended; check-ins are closed."))
        errors.raise_if_any(_("Some answers are missing or not valid."))
    row = {
        "journey_id": journey.id,
        "patient_id": journey.patient_id,
        "day": patient_today(journey, now),
        "recorded_at": now,
        "back_pain": back,
        "leg_pain": leg,
        "took_pain_medicine": values.took_pain_medicine,
        "note": note,
        "entered_by": "staff" if staff else "patient",
        "entered_by_id": staff.id if staff else None,
        "idempotency_key": key,
        "caregiver_id": getattr(caregiver, "id", None),
        **{flag: flag in values.flags for flag in RED_FLAGS},
    }
    params = {f"v_{name}": value for name, value in row.items()}
    actor = staff or caregiver_actor(caregiver)
    audit_details = {
        "back_pain": back,
        "leg_pain": leg,
        "red_flags": [flag for flag in RED_FLAGS if row[flag]],
        "entered_by": row["entered_by"],
        "caregiver": row["caregiver_id"],
    }
    dialect = dialect_name()
    if dialect == "postgresql":
        # One round trip: the row, its audit row (in the same statement) and, back with it, the
        # alert rules' facts (subqueries that read the table as it was before this INSERT).
        limits, operated = alerts.thresholds(journey), alerts.surgery_day(journey)
        params |= alerts.facts_params(journey.id, row["day"], now, limits, operated)
        params |= params_for(
            "portal.check_in",
            CheckIn.__name__,
            actor=actor,
            patient_id=journey.patient_id,
            now=now,
            details=audit_details,
        )
        returned = db.session.execute(_check_in_insert(dialect, operated is not None), params)
        returned = returned.one_or_none()
        if returned is None:
            return _same_journey(_by_key(key), journey), False
        check_in = _persistent({**row, "id": returned[0]})
        facts = alerts.read_facts(returned[1:])
    else:
        returned = db.session.execute(_check_in_insert(dialect, False), params).one_or_none()
        if returned is None:
            return _same_journey(_by_key(key), journey), False
        check_in = _persistent(returned._asdict())
        record(
            "portal.check_in",
            check_in,
            actor=actor,
            patient_id=journey.patient_id,
            now=now,
            details=audit_details,
        )
        facts = None
    alerts.evaluate_check_in(check_in, now=now, facts=facts)
    return check_in, True


def caregiver_actor(caregiver: Caregiver | None) -> str | None:
    """How the audit trail names a caregiver who acted in the portal."""
    return None if caregiver is None else f"{caregiver.name} (caregiver)"


_CHECK_IN_COLUMNS = (
    "journey_id",
    "patient_id",
    "day",
    "recorded_at",
    "back_pain",
    "leg_pain",
    "took_pain_medicine",
    "note",
    "entered_by",
    "entered_by_id",
    "idempotency_key",
    "caregiver_id",
    *RED_FLAGS,
)


@cache
def _check_in_insert(dialect: str, operated: bool):
    """The check-in's INSERT (skipped when its key is taken) over bound parameters ``v_<column>``.

    On PostgreSQL it also writes the check-in's audit row (parameters ``a_<column>``) and
    returns the new id with the alert rules' facts; elsewhere it returns the stored row. Built
    once per shape: a check-in compiles no SQL, and the statement's cache key is worked out once.
    """
    table = CheckIn.__table__
    values = {
        name: sa.bindparam(f"v_{name}", type_=table.c[name].type) for name in _CHECK_IN_COLUMNS
    }
    insert = insert_or_skip(table, "idempotency_key", dialect=dialect).values(values)
    if dialect != "postgresql":
        return insert.returning(*table.c)
    stored = insert.returning(table.c.id).cte("stored")
    return sa.select(stored.c.id, *alerts.facts_columns(operated=operated)).add_cte(
        audit_insert_for(stored).cte("audited")
    )


def _persistent(stored: dict) -> CheckIn:
    """The session's ``CheckIn`` of the row the INSERT stored, as if loaded by a query (the
    Core INSERT skips the ORM's per-statement bookkeeping; ``stored`` is what was stored)."""
    check_in = CheckIn(**stored)
    make_transient_to_detached(check_in)
    db.session.add(check_in)
    return check_in


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
        .options(joinedload(CheckIn.entered_by_user), joinedload(CheckIn.caregiver))
        .order_by(CheckIn.day.desc(), CheckIn.recorded_at.desc(), CheckIn.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def advice_level(check_in: CheckIn) -> str | None:
    """What a check-in's warning signs call for, most urgent first: ``emergency`` (possible
    cauda equina: go to the emergency department now), ``call_now`` (new weakness in a leg),
    ``call_today`` (fever, the wound); None without a warning sign."""
    flags = set(check_in.red_flags)
    if flags & set(EMERGENCY_FLAGS):
        return "emergency"
    if "flag_weakness" in flags:
        return "call_now"
    return "call_today" if flags else None


def check_in_reminder_not_needed(
    journey: Journey, rule: dict, *, now: datetime, latest: list[CheckIn] | None = None
) -> str | None:
    """Why a check-in reminder need not go now (the rule's ``skip_if_checked_in`` and
    ``stop_when_settled``), in words for the outbox; None when it should.

    ``latest``: the journey's latest check-ins when the caller loaded them for a batch
    (:func:`tracker.portal.alerts.latest_check_ins`); else each check is a query.
    """
    if rule.get("skip_if_checked_in"):
        if latest is not None:
            today = patient_today(journey, now)
            done = any(c.day == today for c in latest)
        else:
            done = checked_in_today(journey, now) is not None
        if done:
            return "The patient already checked in today."
    if rule.get("stop_when_settled") and alerts.settled(journey, latest):
        return "The patient's pain has settled: daily check-ins are no longer asked for."
    return None


def checked_in_today(journey: Journey, now: datetime) -> CheckIn | None:
    return db.session.scalar(
        sa.select(CheckIn)
        .where(CheckIn.journey_id == journey.id, CheckIn.day == patient_today(journey, now))
        .order_by(CheckIn.recorded_at.desc())
        .limit(1)
    )


# ---- what the portal home shows ------------------------------------------------------------


def upcoming_appointments(journey: Journey, *, now: datetime) -> list[Appointment]:
    return [a for a in journey.appointments if a.status == "scheduled" and a.ends_at > now]


def journey_appointment(journey: Journey, appointment_id: int) -> Appointment:
    """One of the journey's own appointments, or NotFound (never another patient's)."""
    appt = db.session.get(Appointment, appointment_id)
    if appt is None or appt.journey_id != journey.id:
        raise NotFound(_("No such appointment."))
    return appt


def open_alerts(journey: Journey) -> list[Alert]:
    """The journey's unresolved alerts: urgent, then high, then normal; newest first in each."""
    unresolved = [a for a in alerts.journey_alerts(journey, limit=50) if a.status != "resolved"]
    return sorted(unresolved, key=lambda a: alerts.SEVERITY_ORDER.index(a.severity))
