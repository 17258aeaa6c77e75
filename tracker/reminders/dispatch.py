"""Dispatch: claim due reminders, send them through their channel, record each outcome.

Before sending, each run escalates urgent patient alerts nobody acknowledged in time
(:func:`tracker.on_duty.services.escalate_due`), so the escalation leaves in the same run. A
patient message asking for a personal portal link gets a fresh one as it leaves
(:func:`tracker.portal.links.link_for_message`); the row keeps the text without it.

:func:`dispatch_due` is the transaction boundary of a dispatcher (the CLI command, the
scheduler's job): it commits its claims and each send on its own, so that every reminder leaves
exactly once even when several dispatchers run or one dies mid-batch.
"""

import os
import socket
import time as monotonic_time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from tracker.clock import utcnow
from tracker.db import db
from tracker.on_duty.services import escalate_due
from tracker.portal.links import link_for_message
from tracker.portal.models import Alert
from tracker.portal.services import check_in_reminder_not_needed, portal_home_url
from tracker.reminders.channels import (
    OutboxChannel,
    OutcomeUnknown,
    Outgoing,
    Permanent,
    Transient,
    channels_from_config,
)
from tracker.reminders.messages import NOTICE_RULE
from tracker.reminders.models import Reminder
from tracker.reminders.notices import caregiver_contact
from tracker.reminders.planning import (
    consents,
    rule_channels,
    rule_task,
    split_key,
    template_rules,
)
from tracker.reminders.rendering import LINK_PLACEHOLDER, needs_portal_link, reader, render

#: messages due at the same moment: urgent first, then in their template's order
SEND_ORDER = (
    Reminder.next_attempt_at,
    Reminder.urgent.desc(),
    Reminder.rule_order,
    Reminder.id,
)


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    needs_check: int = 0
    expired: int = 0
    cancelled: int = 0
    skipped: int = 0
    released: int = 0
    ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{name.replace('_', ' ')} {value}"
            for name, value in vars(self).items()
            if name != "ids" and value
        ]
        return ", ".join(parts) or "nothing due"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due_clause(now: datetime):
    return sa.or_(
        sa.and_(Reminder.status == "pending", Reminder.next_attempt_at <= now),
        # A dispatcher died after claiming but before sending: its lease ran out, nothing left.
        sa.and_(
            Reminder.status == "sending",
            Reminder.claimed_until < now,
            Reminder.send_started_at.is_(None),
        ),
    )


def claim(*, now: datetime, limit: int, lease_seconds: int, worker: str) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due reminders for one batch and commit the claim.

    On PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP LOCKED`` so concurrent
    dispatchers take different rows without waiting; the UPDATE repeats the due condition, which
    keeps SQLite (which has no row locks) correct with one writer at a time.
    """
    token = f"{worker}:{uuid.uuid4().hex[:8]}"
    ids = db.session.scalars(
        sa.select(Reminder.id)
        .where(_due_clause(now))
        .order_by(*SEND_ORDER)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        db.session.commit()
        return token, []
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.id.in_(ids), _due_clause(now))
        .values(
            status="sending",
            claimed_by=token,
            claimed_until=now + timedelta(seconds=lease_seconds),
            attempts=Reminder.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    claimed = db.session.scalars(
        sa.select(Reminder.id)
        .where(Reminder.claimed_by == token, Reminder.status == "sending")
        .order_by(*SEND_ORDER)
    ).all()
    db.session.commit()
    return token, list(claimed)


class _Outcomes:
    """Writes claimed rows' outcomes, each only while the claim is still ours.

    A successful send is staged and written together with the next row's hand-over mark, so a
    reminder costs one commit; if the process dies in between, that row is left "maybe sent"
    (needs a check), never resent.
    """

    def __init__(self, token: str):
        self.token = token
        self.staged: list[tuple[int, dict]] = []

    def stage(self, rid: int, **values) -> None:
        self.staged.append((rid, values))

    def commit(self, rid: int | None = None, **values) -> bool:
        """Write what is staged (and ``rid``'s ``values``); commit; whether ``rid``'s applied."""
        if rid is not None:
            self.stage(rid, **values)
        table = Reminder.__table__
        done = True
        for staged_id, staged_values in self.staged:
            result = db.session.execute(
                table.update()
                .where(
                    table.c.id == staged_id,
                    table.c.claimed_by == self.token,
                    table.c.status == "sending",
                )
                .values(**staged_values)
            )
            done = result.rowcount == 1
        self.staged.clear()
        db.session.commit()
        return done


def _alert(about: Reminder, kind: str, text: str, *, now: datetime) -> Reminder | None:
    """Tell the coordinator on duty about a reminder that went wrong (a staff-audience row)."""
    if about.is_alert:
        return None  # never alert about an alert
    group = split_key(about.idempotency_key)[0].rsplit(":", 1)[0]
    if kind == "expired":
        key = f"alert:{kind}:{group}"
        if db.session.scalar(sa.select(Reminder.id).where(Reminder.idempotency_key == key)):
            return None  # one alert for all channels of the same reminder
    else:
        count = db.session.scalar(
            sa.select(sa.func.count()).where(
                Reminder.about_id == about.id, Reminder.rule_key == "alert"
            )
        )
        key = f"alert:{kind}:{about.id}:{count + 1}"
    patient = about.patient
    clinic_tz = ZoneInfo(current_app.config["CLINIC_TIMEZONE"])
    due = about.due_at.astimezone(clinic_tz)
    titles = {
        "failed": "Reminder failed",
        "needs_check": "Reminder needs a check",
        "expired": "Reminder expired unsent",
    }
    alert = Reminder(
        idempotency_key=key,
        journey_id=about.journey_id,
        patient_id=about.patient_id,
        appointment_id=about.appointment_id,
        about_id=about.id,
        rule_key="alert",
        occurrence=0,
        message_key=kind,
        channel="email",
        audience="coordinator",
        urgent=True,
        rule_at=now,
        due_at=now,
        next_attempt_at=now,
        status="pending",
        attempts=0,
        subject=f"{titles[kind]}: {patient.full_name} ({patient.mrn}), {about.rule_key}",
        body=(
            f"{titles[kind]} for {patient.full_name} ({patient.mrn}): "
            f"{about.rule_key} by {about.channel}, due {due:%Y-%m-%d %H:%M} ({clinic_tz.key}).\n\n"
            f"{text}\n\nOpen the clinic outbox to resend or cancel it."
        ),
        created_at=now,
        updated_at=now,
    )
    db.session.add(alert)
    return alert


def _retry_delay(attempts: int) -> timedelta:
    delays = current_app.config.get("REMINDER_RETRY_MINUTES") or (1, 5, 30, 120)
    return timedelta(minutes=delays[min(attempts, len(delays)) - 1])


def _sweep_lost(now: datetime) -> int:
    """Claims that ran out after the send began: the outcome is unknown; ask a person."""
    rows = db.session.scalars(
        sa.select(Reminder)
        .where(
            Reminder.status == "sending",
            Reminder.claimed_until < now,
            Reminder.send_started_at.is_not(None),
        )
        .with_for_update(skip_locked=True)
    ).all()
    message = (
        "The dispatcher stopped while handing this reminder to the provider; it may or may not "
        "have gone out. Check with the patient, then resend or cancel it."
    )
    for row in rows:
        row.status, row.last_error, row.updated_at = "needs_check", message, now
        row.claimed_by = row.claimed_until = None
        _alert(row, "needs_check", message, now=now)
    db.session.commit()
    return len(rows)


def _recipient(row: Reminder) -> str | None:
    if row.audience == "coordinator":
        return current_app.config.get("ON_DUTY_EMAIL") or None
    if row.audience == "on_duty":
        return row.recipient  # each on-duty message names its own phone or address
    if row.caregiver_id is not None:
        return caregiver_contact(row.caregiver, row.channel)
    return row.patient.email if row.channel == "email" else row.patient.phone


def _precheck(row: Reminder, now: datetime) -> tuple[str, str] | None:
    """Whether a claimed row must not be sent after all: (status, reason) or None."""
    if row.audience == "on_duty" and row.patient_alert_id is not None:
        alert = db.session.get(Alert, row.patient_alert_id)
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
        reason = check_in_reminder_not_needed(row.journey, rule, now=now)
        if reason:
            return "skipped", reason
    return None


def _redact(text: str, link: str | None) -> str:
    """The text without the personal link (what the outbox row, logs and errors may keep)."""
    return text.replace(link, LINK_PLACEHOLDER) if link and text else text


def dispatch_due(
    *,
    now: datetime | None = None,
    channels: dict | None = None,
    worker: str | None = None,
    limit: int | None = None,
    stop_after_claim: bool = False,
) -> DispatchResult:
    """Send what is due, batch by batch, until nothing is due (or ``limit`` rows were taken).

    ``now`` fixes the clock (tests); by default each step reads the real clock.
    ``stop_after_claim`` makes the dispatcher exit right after its first claim, leaving rows
    claimed: what a crash looks like (used by the tests).
    """
    config = current_app.config
    clock = (lambda: now) if now is not None else utcnow
    channels = channels or channels_from_config(config)
    outbox = channels.setdefault("outbox", OutboxChannel())
    staff_channel = channels["email"] if config.get("ON_DUTY_EMAIL") else outbox
    worker = worker or worker_name()
    lease = int(config.get("REMINDER_LEASE_SECONDS", 120))
    batch = int(config.get("DISPATCH_BATCH_SIZE", 20))
    margin = float(config.get("SMTP_TIMEOUT_SECONDS", 20)) + 5
    max_attempts = len(config.get("REMINDER_RETRY_MINUTES") or (1, 5, 30, 120)) + 1
    result = DispatchResult()
    # Each send commits; reloading every row, patient and template after each commit would
    # cost more than the send. Outcomes are written with UPDATE statements, not through these.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    _sweep_lost(clock())
    # Urgent alerts nobody acknowledged in time: their escalation messages go out in this run.
    escalate_due(now=clock())
    db.session.commit()
    try:
        while limit is None or len(result.ids) < limit:
            take = batch if limit is None else min(batch, limit - len(result.ids))
            started = monotonic_time.monotonic()
            token, ids = claim(now=clock(), limit=take, lease_seconds=lease, worker=worker)
            if not ids:
                break
            result.ids.extend(ids)
            if stop_after_claim:
                return result
            rows = db.session.scalars(
                sa.select(Reminder)
                .where(Reminder.id.in_(ids))
                .options(
                    selectinload(Reminder.patient),
                    selectinload(Reminder.journey),
                    selectinload(Reminder.appointment),
                )
                .order_by(Reminder.id)
                .execution_options(populate_existing=True)
            ).all()
            outcomes = _Outcomes(token)
            for row in rows:
                if monotonic_time.monotonic() - started > lease - margin:
                    # Too close to the end of the lease to start a send safely: give it back.
                    result.released += outcomes.commit(
                        row.id, status="pending", claimed_by=None, claimed_until=None
                    )
                    continue
                _send_one(row, outcomes, channels, staff_channel, clock, max_attempts, result)
            outcomes.commit()
    finally:
        session.expire_on_commit = expire_on_commit
        for channel in {id(c): c for c in channels.values()}.values():
            channel.close()
    return result


def _send_one(row, outcomes, channels, staff_channel, clock, max_attempts, result) -> None:
    rid, now = row.id, clock()
    stop = _precheck(row, now)
    if stop is not None:
        status, reason = stop
        code = {"cancelled": "journey" if "Journey" in reason else "consent"}.get(status)
        values = {"status": status, "status_reason": reason, "cancel_code": code}
        if outcomes.commit(rid, updated_at=now, **values):
            setattr(result, status, getattr(result, status) + 1)
            if status == "expired":
                _alert(row, "expired", f"Not sent: {reason}", now=now)
                db.session.commit()
        return
    recipient = _recipient(row)
    staff = row.audience == "coordinator"
    channel = staff_channel if staff else channels[row.channel]
    if staff and recipient is None:
        channel, recipient = channels["outbox"], "clinic outbox"
    if recipient is None:
        outcomes.commit(rid, status="failed", last_error="No address to send to.", updated_at=now)
        result.failed += 1
        return
    link = secret = None
    if needs_portal_link(row):
        # Made now, committed with the hand-over mark below, and kept only as its hash.
        link = secret = link_for_message(row, now=now)
        if link is None:
            if row.rule_key != NOTICE_RULE:
                reason = "The patient's portal access was withdrawn: no link to send."
                if outcomes.commit(rid, status="skipped", status_reason=reason, updated_at=now):
                    result.skipped += 1
                return
            link = portal_home_url()
    subject, text, html = render(row, portal_link=link)
    attempt = row.attempts
    # From here on a lost claim means "maybe sent": the hand-over mark is committed first.
    if not outcomes.commit(rid, send_started_at=now):
        return
    language = "en" if row.is_alert else reader(row)[1]
    out = Outgoing(rid, row.idempotency_key, attempt, recipient, subject, text, html, language)
    common = {
        "transport": channel.name,
        "recipient": recipient,
        "subject": _redact(subject, secret),
        "body": _redact(text, secret),
    }
    try:
        provider_id = channel.send(out)
    except Transient as exc:
        now = clock()
        if attempt < max_attempts:
            outcomes.commit(
                rid,
                status="pending",
                next_attempt_at=now + _retry_delay(attempt),
                last_error=_redact(str(exc), secret),
                claimed_by=None,
                claimed_until=None,
                send_started_at=None,
                updated_at=now,
                **common,
            )
            result.retried += 1
            return
        error = _redact(f"Gave up after {attempt} attempts: {exc}", secret)
        _fail(row, outcomes, error, now, common, result)
        return
    except Permanent as exc:
        _fail(row, outcomes, _redact(str(exc), secret), clock(), common, result)
        return
    except OutcomeUnknown as exc:
        now = clock()
        error = _redact(str(exc), secret)
        unclear = {"status": "needs_check", "last_error": error, "updated_at": now}
        if outcomes.commit(rid, **unclear, **common):
            _alert(row, "needs_check", error, now=now)
            db.session.commit()
        result.needs_check += 1
        return
    now = clock()
    outcomes.stage(
        rid,
        status="sent",
        sent_at=now,
        provider_id=provider_id,
        last_error=None,
        claimed_until=None,
        updated_at=now,
        **common,
    )
    result.sent += 1


def _fail(row, outcomes, error, now, common, result) -> None:
    if outcomes.commit(row.id, status="failed", last_error=error, updated_at=now, **common):
        _alert(row, "failed", error, now=now)
        db.session.commit()
    result.failed += 1
