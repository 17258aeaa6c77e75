"""Portal sessions: one server-side record per signed-in device, so signing out really ends it.

The device keeps a random id (256 bits) in its own cookie; only its sha256 is stored. Every
portal request looks the record up: a session is good while it is not ended, was used within
``PORTAL_IDLE_DAYS``, is before its absolute end (``PORTAL_SESSION_DAYS`` after sign-in, and
never past its invitation) and its invitation is still valid. A replayed cookie of an ended
session opens nothing.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import NotFound
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.pathways import memory
from tracker.pathways.models import PathwayTemplate
from tracker.portal.models import PortalInvitation, PortalSession

TOKEN_BYTES = 32
#: how often a visit is written down (idle ends are counted in days, so this is plenty)
SEEN_EVERY = timedelta(minutes=5)
USER_AGENT_MAX = 300


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(days=int(current_app.config.get("PORTAL_IDLE_DAYS", 14)))


def start(
    invitation: PortalInvitation, *, now: datetime, user_agent: str = "", ip: str | None = None
) -> tuple[PortalSession, str]:
    """Sign a device in from ``invitation``; returns the session and the id for its cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    days = int(current_app.config.get("PORTAL_SESSION_DAYS", 30))
    portal_session = PortalSession(
        invitation=invitation,
        patient_id=invitation.patient_id,
        token_hash=_hash(token),
        created_at=now,
        last_seen_at=now,
        expires_at=min(now + timedelta(days=days), invitation.expires_at),
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
        ip_address=ip,
    )
    db.session.add(portal_session)
    return portal_session, token


def _lapsed(portal_session: PortalSession, now: datetime) -> str | None:
    """Why an unended session is no longer good ("idle", "expired"), or None."""
    if now >= portal_session.expires_at or not portal_session.invitation.is_valid(now):
        return "expired"
    if now - portal_session.last_seen_at > idle_limit():
        return "idle"
    return None


@cache
def _by_token() -> sa.Select:
    """One statement for everything a portal page stands on: session, access, journey, patient
    and the journey's template (alert thresholds, messages). Built once: every portal request
    runs it."""
    return (
        sa.select(PortalSession)
        .where(PortalSession.token_hash == sa.bindparam("token_hash"))
        .options(
            joinedload(PortalSession.invitation).options(
                joinedload(PortalInvitation.patient),
                joinedload(PortalInvitation.journey)
                .joinedload(Journey.template)
                .defer(PathwayTemplate.definition),  # the process's parsed copy: fill()
            )
        )
    )


def find(token: str | None, *, now: datetime) -> PortalSession | None:
    """The good session of a cookie's id, noting the visit; None for anything else.

    A session found idle or past its end is closed on the spot, with the reason.
    """
    if not token or len(token) > 200:
        return None
    portal_session = db.session.scalar(_by_token(), {"token_hash": _hash(token)})
    if portal_session is None or portal_session.ended_at is not None:
        return None
    memory.fill(portal_session.invitation.journey.template)
    lapsed = _lapsed(portal_session, now)
    if lapsed:
        portal_session.ended_at = now
        portal_session.end_reason = lapsed
        return None
    if now - portal_session.last_seen_at >= SEEN_EVERY:
        portal_session.last_seen_at = now
    return portal_session


def end(
    portal_session: PortalSession,
    *,
    reason: str,
    now: datetime,
    actor: StaffUser | None = None,
) -> None:
    if portal_session.ended_at is not None:
        return
    portal_session.ended_at = now
    portal_session.end_reason = reason
    portal_session.ended_by_id = getattr(actor, "id", None)
    action = "portal.sign_out" if actor is None else "portal.device_sign_out"
    record(
        action,
        portal_session,
        actor=actor or "patient portal",
        patient_id=portal_session.patient_id,
        details={"reason": reason},
        now=now,
    )


def end_for_patient(
    patient_id: int,
    *,
    reason: str,
    now: datetime,
    actor: StaffUser | None = None,
    caregiver_id: int | None = None,
    everyone: bool = False,
) -> int:
    """End the open sessions of a patient's own access (of the caregiver ``caregiver_id``'s;
    of everyone's with ``everyone``); returns how many."""
    query = sa.select(PortalSession).where(
        PortalSession.patient_id == patient_id, PortalSession.ended_at.is_(None)
    )
    if not everyone:
        whose = (
            PortalInvitation.caregiver_id.is_(None)
            if caregiver_id is None
            else PortalInvitation.caregiver_id == caregiver_id
        )
        query = query.where(
            PortalSession.invitation_id.in_(sa.select(PortalInvitation.id).where(whose))
        )
    rows = db.session.scalars(query).all()
    for portal_session in rows:
        portal_session.ended_at = now
        portal_session.end_reason = reason
        portal_session.ended_by_id = getattr(actor, "id", None)
    return len(rows)


def open_sessions(patient_id: int, *, now: datetime) -> list[PortalSession]:
    """A patient's signed-in devices, most recently used first."""
    rows = db.session.scalars(
        sa.select(PortalSession)
        .join(PortalSession.invitation)
        .where(
            PortalSession.patient_id == patient_id,
            PortalSession.ended_at.is_(None),
            PortalSession.expires_at > now,
            PortalSession.last_seen_at >= now - idle_limit(),
            PortalInvitation.revoked_at.is_(None),
            PortalInvitation.expires_at > now,
        )
        .order_by(PortalSession.last_seen_at.desc(), PortalSession.id.desc())
    )
    return list(rows)


def patient_session(patient_id: int, session_id: int) -> PortalSession:
    portal_session = db.session.get(PortalSession, session_id)
    if portal_session is None or portal_session.patient_id != patient_id:
        raise NotFound(_("There is no such signed-in device."))
    return portal_session


def sign_out_devices(patient_id: int, *, actor: StaffUser, now: datetime) -> int:
    """Staff sign every device of a patient out (the invitation link keeps working)."""
    count = end_for_patient(patient_id, reason="staff", now=now, actor=actor, everyone=True)
    record(
        "portal.device_sign_out",
        actor,
        actor=actor,
        patient_id=patient_id,
        details={"devices": count},
        now=now,
    )
    return count


_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Opera", r"OPR/|Opera"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
)
_SYSTEMS = (
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("Mac", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux"),
)


def device_label(user_agent: str) -> str:
    """ "Chrome on Android": enough for staff and patient to recognise a device."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
