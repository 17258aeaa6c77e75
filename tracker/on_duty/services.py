"""Who hears about an urgent patient alert, and when: the on-duty contacts at once, the
escalation contacts when nobody acknowledged it within ``ALERT_ESCALATE_MINUTES``.

Contacts are set by an admin on the on-duty page; while a list there is empty, the comma-separated
``ON_DUTY_CONTACTS`` / ``ESCALATION_CONTACTS`` (email addresses and phone numbers) stand in. Each
contact gets its own outbox row (audience ``on_duty``), sent by the reminders' dispatcher by SMS
or email. The message carries the patient's MRN, the kind of alert and a link to the journey,
never the symptoms. With no contact at all the message goes to the clinic outbox (and
``ON_DUTY_EMAIL``), so the alert is never silent.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from tracker.audit.services import record
from tracker.auth.models import LANGUAGES, StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors
from tracker.i18n import gettext as _
from tracker.on_duty.models import TIERS, OnDutyContact
from tracker.portal.models import Alert
from tracker.reminders.messages import ALERT_RULE
from tracker.reminders.models import Reminder
from tracker.vocabulary import ALERT_KINDS, label

CONFIG_KEYS = {"on_duty": "ON_DUTY_CONTACTS", "escalation": "ESCALATION_CONTACTS"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+[1-9]\d{7,14}$")


@dataclass(frozen=True)
class Contact:
    tier: str
    name: str
    channel: str
    address: str
    #: "page" (set by an admin) or "config" (the default from the environment)
    source: str
    #: the language of its messages
    language: str = "en"


def staff_message_language() -> str:
    """The language of staff messages addressed to no one person (``STAFF_MESSAGE_LANGUAGE``)."""
    language = current_app.config.get("STAFF_MESSAGE_LANGUAGE", "en")
    return language if language in LANGUAGES else "en"


def clean_address(value: str) -> tuple[str | None, str | None]:
    """(channel, address) of an email address or an international phone number, else Nones."""
    text = (value or "").strip()
    if EMAIL.match(text):
        return "email", text.lower()
    phone = re.sub(r"[\s().-]", "", text)
    if PHONE.match(phone):
        return "sms", phone
    return None, None


def parse_contacts(spec: str, tier: str) -> tuple[list[Contact], list[str]]:
    """The contacts of a comma-separated list, and the entries that are neither."""
    contacts, problems = [], []
    for entry in (spec or "").split(","):
        if not entry.strip():
            continue
        channel, address = clean_address(entry)
        if channel is None:
            problems.append(entry.strip())
            continue
        contacts.append(Contact(tier, address, channel, address, "config", "en"))
    return contacts, problems


def page_contacts(tier: str | None = None) -> list[OnDutyContact]:
    query = sa.select(OnDutyContact).where(OnDutyContact.active.is_(True))
    if tier:
        query = query.where(OnDutyContact.tier == tier)
    return list(db.session.scalars(query.order_by(OnDutyContact.tier, OnDutyContact.id)))


def contacts(tier: str) -> list[Contact]:
    """Who a tier reaches now: the page's list, or the environment's default while it is empty."""
    rows = page_contacts(tier)
    if rows:
        return [Contact(tier, r.name, r.channel, r.address, "page", r.language) for r in rows]
    language = staff_message_language()
    listed = parse_contacts(current_app.config.get(CONFIG_KEYS[tier], ""), tier)[0]
    return [Contact(c.tier, c.name, c.channel, c.address, c.source, language) for c in listed]


def add_contact(
    tier: str, name: str, address: str, *, actor: StaffUser, now: datetime, language: str = "en"
):
    errors = FieldErrors()
    if language not in LANGUAGES:
        errors.add("language", _("Choose English or Indonesian."))
    if tier not in TIERS:
        errors.add("tier", _("Choose on duty or escalation."))
    name = (name or "").strip()
    if not name:
        errors.add("name", _("Say who this reaches, e.g. “Surgeon on call”."))
    elif len(name) > 120:
        errors.add("name", _("Keep the name under 120 characters."))
    channel, clean = clean_address(address)
    if channel is None:
        errors.add(
            "address",
            _(
                "Enter an email address or a mobile number in international form, "
                "e.g. +6281234567890."
            ),
        )
    errors.raise_if_any("The contact was not added.")
    duplicate = db.session.scalar(
        sa.select(OnDutyContact.id).where(
            OnDutyContact.active.is_(True),
            OnDutyContact.tier == tier,
            OnDutyContact.address == clean,
        )
    )
    if duplicate:
        raise Conflict.on("address", _("This address is already on that list."))
    contact = OnDutyContact(
        tier=tier,
        name=name,
        channel=channel,
        address=clean,
        language=language,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(contact)
    record(
        "on_duty.add",
        contact,
        actor=actor,
        now=now,
        details={
            "tier": tier,
            "name": name,
            "channel": channel,
            "address": clean,
            "language": language,
        },
    )
    return contact


def remove_contact(contact: OnDutyContact, *, actor: StaffUser, now: datetime) -> OnDutyContact:
    if not contact.active:
        raise Conflict(_("This contact is already off the list."))
    contact.active = False
    contact.removed_at = now
    contact.removed_by_id = actor.id
    record(
        "on_duty.remove",
        contact,
        actor=actor,
        now=now,
        details={"tier": contact.tier, "name": contact.name, "address": contact.address},
    )
    return contact


def _message(alert: Alert, tier: str, language: str) -> tuple[str, str]:
    """Subject and text for staff: MRN, kind and link; no symptoms (SMS is not private)."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    link = f"{base}/journeys/{alert.journey_id}"
    with force_locale(language):
        mrn, kind = alert.patient.mrn, label(alert.kind, ALERT_KINDS)
        if tier == "escalation":
            minutes = int(current_app.config.get("ALERT_ESCALATE_MINUTES", 15))
            subject = _("ESCALATED urgent alert: %(mrn)s, %(kind)s", mrn=mrn, kind=kind)
            text = _(
                "ESCALATED: urgent alert for patient %(mrn)s (%(kind)s) not acknowledged after "
                "%(minutes)s min. Open it now: %(link)s",
                mrn=mrn,
                kind=kind,
                minutes=minutes,
                link=link,
            )
        else:
            subject = _("URGENT patient alert: %(mrn)s, %(kind)s", mrn=mrn, kind=kind)
            text = _(
                "URGENT: patient %(mrn)s, %(kind)s. Call the patient, then acknowledge: %(link)s",
                mrn=mrn,
                kind=kind,
                link=link,
            )
    return subject, text


def notify(alert: Alert, *, tier: str, now: datetime) -> list[Reminder]:
    """Queue the alert's message to every contact of ``tier`` (at once, quiet hours or not)."""
    reached = contacts(tier)
    if not reached and tier == "escalation":
        reached = contacts("on_duty")  # nobody to escalate to: tell the on-duty staff again
    rows = []
    targets = [(c.channel, c.address, c.language) for c in reached]
    targets = targets or [("email", None, staff_message_language())]
    for channel, address, language in targets:
        subject, text = _message(alert, tier, language)
        suffix = f"{channel}:{address}" if address else "outbox"
        row = Reminder(
            idempotency_key=f"{ALERT_RULE}:patient:{alert.id}:{tier}:{suffix}",
            journey_id=alert.journey_id,
            patient_id=alert.patient_id,
            patient_alert_id=alert.id,
            rule_key=ALERT_RULE,
            occurrence=0,
            message_key=f"patient_alert_{tier}",
            channel=channel,
            # Nobody is listed: the clinic's staff address (ON_DUTY_EMAIL) or its outbox.
            audience="on_duty" if address else "coordinator",
            recipient=address,
            urgent=True,
            rule_at=now,
            due_at=now,
            next_attempt_at=now,
            status="pending",
            attempts=0,
            subject=subject,
            body=text,
            created_at=now,
            updated_at=now,
        )
        db.session.add(row)
        rows.append(row)
    return rows


def escalate_due(*, now: datetime) -> list[Alert]:
    """Send urgent alerts nobody acknowledged in time to the escalation contacts (once each).

    Run by every dispatcher before it sends; rows are claimed with SKIP LOCKED so two
    dispatchers never escalate the same alert. Flushes; the caller commits.
    """
    minutes = int(current_app.config.get("ALERT_ESCALATE_MINUTES", 15))
    due = db.session.scalars(
        sa.select(Alert)
        .where(
            Alert.severity == "urgent",
            Alert.status == "open",
            Alert.escalated_at.is_(None),
            Alert.created_at <= now - timedelta(minutes=minutes),
        )
        .order_by(Alert.created_at, Alert.id)
        .with_for_update(skip_locked=True)
    ).all()
    for alert in due:
        alert.escalated_at = now
        rows = notify(alert, tier="escalation", now=now)
        record(
            "alert.escalate",
            alert,
            patient_id=alert.patient_id,
            now=now,
            details={"after_minutes": minutes, "told": [r.recipient or "outbox" for r in rows]},
        )
    return due


def told(alert_ids: list[int]) -> dict[int, list[Reminder]]:
    """Who was told about each alert, and when (their outbox rows, oldest first)."""
    if not alert_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.patient_alert_id.in_(alert_ids))
        .order_by(Reminder.created_at, Reminder.id)
    ).all()
    out: dict[int, list[Reminder]] = {}
    for row in rows:
        out.setdefault(row.patient_alert_id, []).append(row)
    return out


def channel_label(channel: str) -> str:
    return label(channel)
