"""What a claimed reminder is checked against just before it leaves: whether it must not go
after all (expired, cancelled journey, consent withdrawn, task done, check-in not needed, alert
handled) and whom it goes to; with what a batch's checks and rendering load once for all rows."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from tracker.db import db
from tracker.portal.alerts import latest_check_ins, settled_window
from tracker.portal.links import active_invitations
from tracker.portal.models import Alert
from tracker.portal.services import check_in_reminder_not_needed
from tracker.reminders.messages import NOTICE_RULE
from tracker.reminders.models import Reminder
from tracker.reminders.notices import caregiver_contact
from tracker.reminders.planning import consents, rule_channels, rule_task, template_rules


def recipient_of(row: Reminder) -> str | None:
    if row.audience == "coordinator":
        return current_app.config.get("ON_DUTY_EMAIL") or None
    if row.audience == "on_duty":
        return row.recipient  # each on-duty message names its own phone or address
    if row.caregiver_id is not None:
        return caregiver_contact(row.caregiver, row.channel)
    return row.patient.email if row.channel == "email" else row.patient.phone


@dataclass
class Batch:
    """What a batch's checks and rendering need, loaded once for all its rows."""

    now: datetime
    #: journey id -> its latest check-ins (enough to tell "checked in today" and "settled")
    check_ins: dict = field(default_factory=dict)
    #: journey id -> active portal invitation, kept up to date as links are made
    invitations: dict = field(default_factory=dict)
    #: on-duty messages' patient alerts by id
    alerts: dict = field(default_factory=dict)

    @classmethod
    def load(cls, rows: list[Reminder], now: datetime) -> "Batch":
        batch = cls(now)
        patient_rows = [r for r in rows if not r.is_alert and r.audience == "patient"]
        journeys = list({r.journey_id: r.journey for r in patient_rows}.values())
        if journeys:
            window = max(settled_window(j) for j in journeys)
            batch.check_ins = latest_check_ins(journeys, window)
            # Every patient journey's, not only those whose message needs a link: working
            # that out reads the texts, which is for rows that pass their checks.
            batch.invitations = active_invitations(journeys, now=now)
        alert_ids = {r.patient_alert_id for r in rows if r.patient_alert_id is not None}
        if alert_ids:
            found = db.session.scalars(sa.select(Alert).where(Alert.id.in_(alert_ids)))
            batch.alerts = {a.id: a for a in found}
        return batch


def precheck(row: Reminder, now: datetime, batch: Batch) -> tuple[str, str] | None:
    """Whether a claimed row must not be sent after all: (status, reason) or None."""
    if row.audience == "on_duty" and row.patient_alert_id is not None:
        alert = batch.alerts.get(row.patient_alert_id)
        if alert is not None and alert.status != "open":
            return "skipped", f"The alert was {alert.status} before this could be sent."
    if row.is_alert:
        return None
    if row.expires_at is not None and now >= row.expires_at:
        return "expired", "Its event had already started when it could be sent."
    # A notice that the surgery is cancelled is sent although (because) the journey is.
    if row.journey.status == "cancelled" and row.rule_key != NOTICE_RULE:
        return "cancelled", f"Journey cancelled: {row.journey.cancel_reason or ''}".strip()
    if row.caregiver_id is not None:
        if not row.caregiver.is_active:
            return "cancelled", "The caregiver's access was withdrawn."
    elif row.audience == "patient" and not consents(row.patient, row.channel):
        return "cancelled", f"The patient withdrew consent for {row.channel}."
    task = rule_task(row.journey, row.rule_key)
    if task is not None and task.status != "open":
        return "skipped", f"The task {task.key} is already {task.status}."
    rule = next((r for r in template_rules(row.journey) if r["key"] == row.rule_key), None)
    if rule is not None and row.audience == "patient":
        chosen = rule_channels(row.patient, rule)
        if chosen and chosen != [row.channel]:
            return "cancelled", f"Goes by {chosen[0]} instead: one channel per message."
        latest = batch.check_ins.get(row.journey_id)
        reason = check_in_reminder_not_needed(row.journey, rule, now=now, latest=latest)
        if reason:
            return "skipped", reason
    return None
