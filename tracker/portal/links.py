"""Personal portal links that reach the patient: by SMS or email, in person, or asked for again.

**Contract for every patient message.** Any patient message whose text (subject or body, in the
patient's language) holds ``{portal_link}`` gets a fresh, working personal link made at the
moment the dispatcher sends it: :func:`link_for_message`, called from
``tracker.reminders.dispatch``. It is generic: pathway reminders (the daily check-in, an
outcome check, a questionnaire), the clinic's notices and the portal messages below all use it;
nothing is keyed to a list of messages. The token is in clear only in the message in transit;
the database keeps its hash (``portal_links``), the outbox row the text with a placeholder, and
neither the audit trail, the logs nor a staff session ever hold it.

The link is made under the journey's portal access (:class:`PortalInvitation`). A message that
needs one while there is no valid access gets new access, unless staff withdrew it: then
:func:`link_for_message` gives None and the dispatcher skips a reminder that asks for a portal
action, or sends a notice with the portal's front page instead of a personal link.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import FieldErrors
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.patients.models import Patient
from tracker.portal.models import Caregiver, PortalInvitation
from tracker.portal.services import (
    access_withdrawn,
    active_invitation,
    create_invitation,
    invitation_link,
    mint_link,
)
from tracker.reminders.messages import PORTAL_LINK_RULE
from tracker.reminders.models import Reminder
from tracker.reminders.notices import queue_patient_message

SEND_BY = ("sms", "email")
INVITATION_MESSAGE = "portal_invitation"
REQUEST_MESSAGE = "portal_link_request"
CAREGIVER_REQUEST_MESSAGE = "caregiver_link_request"
#: a typed phone number matches the one on file when their last digits agree, this many at least
PHONE_DIGITS_MIN = 8


@dataclass
class Invited:
    invitation: PortalInvitation
    #: the messages queued, one per channel asked for
    messages: list[Reminder] = field(default_factory=list)
    #: the token of a link to show now (hand over in person); never stored
    token: str | None = None

    @property
    def queued(self) -> list[str]:
        return [m.channel for m in self.messages]


def channel_problem(patient: Patient, channel: str) -> str | None:
    """Why a link cannot go to the patient by ``channel`` (staff words); None when it can."""
    if channel == "sms":
        if not patient.phone:
            return "The patient has no mobile phone number on file."
        if not patient.consent_sms:
            return "The patient has not agreed to SMS messages."
    elif channel == "email":
        if not patient.email:
            return "The patient has no email address on file."
        if not patient.consent_email:
            return "The patient has not agreed to email messages."
    else:
        return f"Unknown channel {channel!r}: use sms or email."
    return None


def invite(
    journey: Journey,
    *,
    send_by: Sequence[str],
    show_link: bool,
    actor: StaffUser,
    now: datetime,
) -> Invited:
    """New portal access for the journey's patient, sent by the chosen channels and/or shown.

    Any earlier link, and every portal session made from it, stops working. A link that goes by
    SMS or email is made when the dispatcher sends it; ``show_link`` makes one now.
    """
    channels = list(dict.fromkeys(send_by or ()))
    errors = FieldErrors()
    for channel in channels:
        problem = channel_problem(journey.patient, channel)
        if problem:
            errors.add("send_by", problem)
    if not channels and not show_link:
        errors.add(
            "send_by",
            _(
                "Choose how the link reaches the patient: by SMS, by email, or shown now to hand "
                "over in person."
            ),
        )
    errors.raise_if_any("The link cannot reach the patient that way.")
    invitation = create_invitation(
        journey, actor=actor, now=now, details={"send_by": channels, "shown": show_link}
    )
    db.session.flush()
    invited = Invited(invitation)
    for channel in channels:
        row = queue_patient_message(
            journey,
            INVITATION_MESSAGE,
            rule_key=PORTAL_LINK_RULE,
            key=f"j{journey.id}:{PORTAL_LINK_RULE}:i{invitation.id}:{channel}#1",
            channel=channel,
            now=now,
        )
        if row is not None:  # checked above; a race with a consent change drops it
            invited.messages.append(row)
    if show_link:
        invited.token = mint_link(invitation, via="in_person", now=now)
    return invited


def link_for_message(
    reminder: Reminder, *, now: datetime, invitations: dict | None = None
) -> str | None:
    """A fresh personal link for a patient message that asks for one (see the module docstring).

    None when the patient's portal access was withdrawn or the journey has ended.
    ``invitations``: journey id -> active invitation (:func:`active_invitations`), kept up to
    date here, when a dispatcher loaded them for its batch.
    """
    journey, caregiver = reminder.journey, reminder.caregiver
    # The batch's map holds each journey's own (the patient's) access; a caregiver's is looked up.
    batch = invitations if caregiver is None else None
    if batch is not None and batch.get(journey.id) is not None:
        invitation = batch[journey.id]
    else:
        invitation = active_invitation(journey, now=now, caregiver=caregiver)
    if invitation is None:
        if caregiver is not None and not caregiver.is_active:
            return None
        if not journey.is_active or (caregiver is None and access_withdrawn(journey.patient_id)):
            return None
        invitation = create_invitation(
            journey,
            actor=None,
            now=now,
            details={"reason": "a message needed a personal link", "message": reminder.id},
            caregiver=caregiver,
        )
    if batch is not None:
        batch[journey.id] = invitation
    token = mint_link(invitation, via=reminder.channel, now=now, reminder_id=reminder.id)
    return invitation_link(token)


def active_invitations(journeys: list[Journey], *, now: datetime) -> dict[int, PortalInvitation]:
    """Each journey's active invitation (as :func:`active_invitation`), in one statement."""
    rows = db.session.scalars(
        sa.select(PortalInvitation)
        .where(
            PortalInvitation.journey_id.in_({j.id for j in journeys}),
            PortalInvitation.caregiver_id.is_(None),
            PortalInvitation.revoked_at.is_(None),
            PortalInvitation.expires_at > now,
        )
        .order_by(PortalInvitation.created_at.desc(), PortalInvitation.id.desc())
    ).all()
    found: dict[int, PortalInvitation] = {}
    for invitation in rows:
        found.setdefault(invitation.journey_id, invitation)
    return found


# ---- "send me my link" -------------------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def contact_matches(person: Patient | Caregiver, contact: str) -> str | None:
    """The channel by which ``contact`` (as a patient or caregiver typed it) is on file, or None.

    An email address matches ignoring case; a phone number by its last digits, so that
    0812 3456 7890 finds +62 812 3456 7890.
    """
    typed = (contact or "").strip()
    if "@" in typed:
        if person.email and person.email.strip().lower() == typed.lower():
            return "email"
        return None
    digits = _digits(typed).lstrip("0")
    on_file = _digits(person.phone or "")
    if len(digits) >= PHONE_DIGITS_MIN and on_file.endswith(digits):
        return "sms"
    return None


def _requests_today(patient_id: int, now: datetime, caregiver_id: int | None = None) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Reminder)
        .where(
            Reminder.patient_id == patient_id,
            Reminder.message_key.in_((REQUEST_MESSAGE, CAREGIVER_REQUEST_MESSAGE)),
            Reminder.caregiver_id.is_(None)
            if caregiver_id is None
            else Reminder.caregiver_id == caregiver_id,
            Reminder.created_at > now - timedelta(days=1),
        )
    )


def request_link(birth_date: date, contact: str, *, now: datetime) -> int:
    """A patient (or caregiver) who lost their link asks for a new one: send it to the contact
    on file.

    Nothing tells the asker whether anything matched (the caller answers alike); a match with
    an active journey, portal access not withdrawn, consent for that channel and fewer than
    ``PORTAL_LINK_REQUESTS_PER_DAY`` requests in a day queues the message at once (quiet hours
    do not hold back what the patient just asked for). Returns how many were queued.
    """
    limit = int(current_app.config.get("PORTAL_LINK_REQUESTS_PER_DAY", 3))
    candidates = db.session.scalars(
        sa.select(Patient).where(Patient.birth_date == birth_date).order_by(Patient.id)
    ).all()
    queued = 0
    for patient in candidates:
        channel = contact_matches(patient, contact)
        if channel is None:
            continue
        journey = db.session.scalar(
            sa.select(Journey).where(Journey.patient_id == patient.id, Journey.status == "active")
        )
        if journey is None or access_withdrawn(patient.id):
            continue
        if channel_problem(patient, channel) is not None:
            continue
        count = _requests_today(patient.id, now)
        if count >= limit:
            record(
                "portal.link_request_refused",
                patient,
                patient_id=patient.id,
                now=now,
                details={"channel": channel, "reason": f"more than {limit} a day"},
            )
            continue
        stamp = f"{now:%Y%m%dT%H%M%S}.{now.microsecond:06d}"
        queue_patient_message(
            journey,
            REQUEST_MESSAGE,
            rule_key=PORTAL_LINK_RULE,
            key=f"j{journey.id}:{PORTAL_LINK_RULE}:r{stamp}:{channel}#1",
            channel=channel,
            now=now,
            quiet_hours=False,
        )
        record(
            "portal.link_request",
            journey,
            patient_id=patient.id,
            now=now,
            details={"channel": channel},
        )
        queued += 1
    return queued + _caregiver_requests(birth_date, contact, limit, now=now)


def _caregiver_requests(birth_date: date, contact: str, limit: int, *, now: datetime) -> int:
    """A caregiver who lost their link gives the patient's birth date and their own contact."""
    found = db.session.scalars(
        sa.select(Caregiver)
        .join(Patient, Caregiver.patient_id == Patient.id)
        .where(Patient.birth_date == birth_date, Caregiver.revoked_at.is_(None))
        .order_by(Caregiver.id)
    ).all()
    queued = 0
    for caregiver in found:
        channel = contact_matches(caregiver, contact)
        journey = caregiver.journey
        if channel is None or not journey.is_active:
            continue
        details = {"channel": channel, "caregiver": caregiver.name}
        if _requests_today(caregiver.patient_id, now, caregiver.id) >= limit:
            details["reason"] = f"more than {limit} a day"
            record(
                "portal.link_request_refused",
                caregiver,
                patient_id=caregiver.patient_id,
                now=now,
                details=details,
            )
            continue
        stamp = f"{now:%Y%m%dT%H%M%S}.{now.microsecond:06d}"
        queue_patient_message(
            journey,
            CAREGIVER_REQUEST_MESSAGE,
            rule_key=PORTAL_LINK_RULE,
            key=f"j{journey.id}:{PORTAL_LINK_RULE}:c{caregiver.id}:r{stamp}:{channel}#1",
            channel=channel,
            now=now,
            quiet_hours=False,
            caregiver=caregiver,
        )
        record(
            "portal.link_request", journey, patient_id=journey.patient_id, now=now, details=details
        )
        queued += 1
    return queued
