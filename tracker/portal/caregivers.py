"""A caregiver's portal access: invited by a coordinator for a journey, withdrawn on its own.

A caregiver's access is portal access like the patient's (:class:`PortalInvitation` with
``caregiver_id``): the same personal links, sent the same way (``tracker.portal.links``), the
same server-side sessions. The caregiver sees the patient's portal and acts on their behalf;
what they enter carries their name. Withdrawing the patient's access leaves the caregiver's,
and the other way round.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from tracker.audit.services import record
from tracker.auth.models import LANGUAGES, StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors, NotFound
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.patients.services import E164
from tracker.portal import sessions
from tracker.portal.links import SEND_BY, Invited
from tracker.portal.models import Caregiver
from tracker.portal.services import create_invitation, mint_link, revoke_all
from tracker.reminders.messages import PORTAL_LINK_RULE
from tracker.reminders.notices import queue_patient_message

CAREGIVER_INVITATION = "caregiver_invitation"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX, RELATIONSHIP_MAX = 120, 60


@dataclass
class CaregiverDetails:
    name: str
    relationship: str
    phone: str | None = None
    email: str | None = None
    #: the language of their messages and pages; None: the patient's
    language: str | None = None


def _cleaned(details: CaregiverDetails) -> CaregiverDetails:
    """The phone number without its spaces and dashes (as SMS gateways want it), trimmed."""
    phone = re.sub(r"[\s()\-.]", "", details.phone or "") or None
    email = (details.email or "").strip() or None
    return replace(details, phone=phone, email=email)


def _check(details: CaregiverDetails, send_by: Sequence[str], show_link: bool) -> None:
    errors = FieldErrors()
    if not (details.name or "").strip():
        errors.add("name", _("Give the caregiver's name."))
    elif len(details.name) > NAME_MAX:
        errors.add("name", _("Keep the name to %(n)d characters.", n=NAME_MAX))
    if not (details.relationship or "").strip():
        errors.add("relationship", _("Say who the caregiver is to the patient (e.g. daughter)."))
    elif len(details.relationship) > RELATIONSHIP_MAX:
        errors.add("relationship", _("Keep it to %(n)d characters.", n=RELATIONSHIP_MAX))
    if details.language not in (None, *LANGUAGES):
        errors.add("language", _("Choose English or Indonesian."))
    if not (details.phone or details.email):
        errors.add("phone", _("Give the caregiver's mobile phone number or email address."))
    if details.phone and not E164.match(details.phone):
        errors.add("phone", _("Enter the number in international form, e.g. +6281234567890."))
    if details.email and not EMAIL.match(details.email):
        errors.add("email", _("Enter an email address such as name@example.com."))
    for channel in send_by:
        if channel not in SEND_BY:
            errors.add("send_by", _("Unknown channel %(c)r: use sms or email.", c=channel))
        elif not {"sms": details.phone, "email": details.email}[channel]:
            errors.add(
                "send_by",
                _("No caregiver phone number to send the link to by SMS.")
                if channel == "sms"
                else _("No caregiver email address to send the link to by email."),
            )
    if not send_by and not show_link:
        errors.add("send_by", _("Choose how the link reaches the caregiver."))
    errors.raise_if_any(_("The caregiver cannot be invited that way."))


def invite_caregiver(
    journey: Journey,
    details: CaregiverDetails,
    *,
    send_by: Sequence[str],
    show_link: bool = False,
    actor: StaffUser,
    now: datetime,
) -> tuple[Caregiver, Invited]:
    """A named caregiver with portal access of their own, their link sent or shown."""
    channels = list(dict.fromkeys(send_by or ()))
    details = _cleaned(details)
    _check(details, channels, show_link)
    if not journey.is_active:
        raise Conflict(_("Only a running journey can have a portal invitation."))
    caregiver = Caregiver(
        journey=journey,
        patient_id=journey.patient_id,
        name=details.name.strip(),
        relation=details.relationship.strip(),
        phone=details.phone,
        email=details.email,
        language=details.language or None,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(caregiver)
    db.session.flush()
    record(
        "portal.caregiver_add",
        caregiver,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"relationship": caregiver.relation, "send_by": channels},
    )
    invitation = create_invitation(
        journey, actor=actor, now=now, caregiver=caregiver, details={"send_by": channels}
    )
    db.session.flush()
    invited = Invited(invitation)
    for channel in channels:
        row = queue_patient_message(
            journey,
            CAREGIVER_INVITATION,
            rule_key=PORTAL_LINK_RULE,
            key=f"j{journey.id}:{PORTAL_LINK_RULE}:c{caregiver.id}:i{invitation.id}:{channel}#1",
            channel=channel,
            now=now,
            caregiver=caregiver,
        )
        if row is not None:
            invited.messages.append(row)
    if show_link:
        invited.token = mint_link(invitation, via="in_person", now=now)
    return caregiver, invited


def journey_caregiver(journey: Journey, caregiver_id: int) -> Caregiver:
    caregiver = db.session.get(Caregiver, caregiver_id)
    if caregiver is None or caregiver.journey_id != journey.id:
        raise NotFound("There is no such caregiver.")
    return caregiver


def withdraw(caregiver: Caregiver, *, actor: StaffUser, now: datetime) -> None:
    """End the caregiver's access: their links and sessions stop; the patient's stay."""
    if caregiver.revoked_at is not None:
        raise Conflict(_("This caregiver's access was already withdrawn."))
    caregiver.revoked_at, caregiver.revoked_by_id = now, actor.id
    revoke_all(caregiver.patient_id, actor=actor, now=now, caregiver=caregiver)
    devices = sessions.end_for_patient(
        caregiver.patient_id, reason="withdrawn", now=now, actor=actor, caregiver_id=caregiver.id
    )
    record(
        "portal.caregiver_withdraw",
        caregiver,
        actor=actor,
        patient_id=caregiver.patient_id,
        now=now,
        details={"devices_signed_out": devices},
    )


def caregivers(journey: Journey, *, active_only: bool = False) -> list[Caregiver]:
    query = sa.select(Caregiver).where(Caregiver.journey_id == journey.id)
    if active_only:
        query = query.where(Caregiver.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(Caregiver.created_at, Caregiver.id)))
