"""Dispatch: claim due reminders, send them through their channel, record each outcome.

Before sending, each run escalates urgent patient alerts nobody acknowledged in time
(:func:`tracker.on_duty.services.escalate_due`), so the escalation leaves in the same run. A
patient message asking for a personal portal link gets a fresh one as it leaves
(:func:`tracker.portal.links.link_for_message`); the row keeps the text without it.

:func:`dispatch_due` is the transaction boundary of a dispatcher (the CLI command, the
scheduler's job). It works batch by batch: it commits the claim, then the hand-over mark of every
row it is about to send, then, after sending them over one kept connection, their outcomes; so
that every reminder leaves exactly once even when several dispatchers run or one dies mid-batch
(a batch marked but not recorded is left for a person to check, never resent). The claim and
the outcomes written under it are in :mod:`tracker.reminders.claims`, the checks a row passes
before it leaves in :mod:`tracker.reminders.prechecks`.
"""

import time as monotonic_time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import selectinload

from tracker.clock import utcnow
from tracker.db import db
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.on_duty.services import escalate_due, staff_message_language
from tracker.portal.links import link_for_message
from tracker.portal.services import portal_home_url
from tracker.reminders.channels import (
    OutboxChannel,
    OutcomeUnknown,
    Outgoing,
    Permanent,
    Transient,
    channels_from_config,
)
from tracker.reminders.claims import SEND_ORDER, Outcomes, claim, worker_name
from tracker.reminders.messages import NOTICE_RULE
from tracker.reminders.models import Reminder
from tracker.reminders.planning import split_key
from tracker.reminders.prechecks import Batch, precheck, recipient_of
from tracker.reminders.rendering import LINK_PLACEHOLDER, needs_portal_link, reader, render
from tracker.vocabulary import REMINDER_PROBLEMS, reminder_error


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
    with force_locale(staff_message_language()):
        problem, name = str(REMINDER_PROBLEMS[kind]), f"{patient.full_name} ({patient.mrn})"
        subject = f"{problem}: {name}, {about.rule_key}"
        body = "\n\n".join(
            (
                _(
                    "%(problem)s for %(patient)s: %(rule)s by %(channel)s, due %(due)s (%(zone)s).",
                    problem=problem,
                    patient=name,
                    rule=about.rule_key,
                    channel=about.channel,
                    due=f"{due:%Y-%m-%d %H:%M}",
                    zone=clinic_tz.key,
                ),
                reminder_error(text),
                _("Open the clinic outbox to resend or cancel it."),
            )
        )
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
        subject=subject,
        body=body,
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
    batch_size = int(config.get("DISPATCH_BATCH_SIZE", 20))
    margin = float(config.get("SMTP_TIMEOUT_SECONDS", 20)) + 5
    max_attempts = len(config.get("REMINDER_RETRY_MINUTES") or (1, 5, 30, 120)) + 1
    result = DispatchResult()
    # Outcomes are written with UPDATE statements, not through the loaded rows: reloading every
    # row, patient and template after each commit would cost more than the sends.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    _sweep_lost(clock())
    # Urgent alerts nobody acknowledged in time: their escalation messages go out in this run.
    escalate_due(now=clock())
    db.session.commit()
    try:
        while limit is None or len(result.ids) < limit:
            take = batch_size if limit is None else min(batch_size, limit - len(result.ids))
            deadline = monotonic_time.monotonic() + lease - margin
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
                    selectinload(Reminder.journey).options(
                        selectinload(Journey.template),
                        selectinload(Journey.tasks),
                        selectinload(Journey.patient),
                    ),
                    selectinload(Reminder.appointment),
                )
                .order_by(*SEND_ORDER)
                .execution_options(populate_existing=True)
            ).all()
            sender = _Sender(Outcomes(token), channels, staff_channel, clock, max_attempts, result)
            sender.run(rows, deadline)
    finally:
        session.expire_on_commit = expire_on_commit
        for channel in {id(c): c for c in channels.values()}.values():
            channel.close()
    return result


@dataclass
class _Ready:
    """A row checked, addressed and rendered: what is handed to its channel."""

    row: Reminder
    channel: object
    out: Outgoing
    #: what the outbox row keeps of it (the text without the personal link)
    common: dict
    #: the personal link in the text, kept out of anything stored
    secret: str | None = None


class _Sender:
    """One batch: check and render every row, mark them, send them, record the outcomes."""

    def __init__(self, outcomes, channels, staff_channel, clock, max_attempts, result):
        self.outcomes, self.channels, self.staff_channel = outcomes, channels, staff_channel
        self.clock, self.max_attempts, self.result = clock, max_attempts, result

    def run(self, rows: list[Reminder], deadline: float) -> None:
        now = self.clock()
        batch = Batch.load(rows, now)
        ready = [r for r in (self._prepare(row, batch, now) for row in rows) if r is not None]
        # From here on a lost claim means "maybe sent": the hand-over mark is committed first.
        marked = self.outcomes.mark_sending([r.row.id for r in ready], now)
        for item in ready:
            if item.row.id not in marked:
                continue
            if monotonic_time.monotonic() > deadline:
                # Too close to the end of the lease to start a send safely: give it back.
                self.result.released += self.outcomes.write(
                    item.row.id,
                    status="pending",
                    claimed_by=None,
                    claimed_until=None,
                    send_started_at=None,
                )
                continue
            self._send(item)
        self.outcomes.commit()

    def _prepare(self, row: Reminder, batch: Batch, now: datetime) -> _Ready | None:
        outcomes, result, rid = self.outcomes, self.result, row.id
        stop = precheck(row, now, batch)
        if stop is not None:
            status, reason = stop
            code = {"cancelled": "journey" if "Journey" in reason else "consent"}.get(status)
            values = {"status": status, "status_reason": reason, "cancel_code": code}
            if outcomes.write(rid, updated_at=now, **values):
                setattr(result, status, getattr(result, status) + 1)
                if status == "expired":
                    _alert(row, "expired", f"Not sent: {reason}", now=now)
            return None
        recipient = recipient_of(row)
        staff = row.audience == "coordinator"
        channel = self.staff_channel if staff else self.channels[row.channel]
        if staff and recipient is None:
            channel, recipient = self.channels["outbox"], "clinic outbox"
        if recipient is None:
            outcomes.write(
                rid, status="failed", last_error="No address to send to.", updated_at=now
            )
            result.failed += 1
            return None
        link = secret = None
        if needs_portal_link(row):
            # Made now, committed with the hand-over mark, and kept only as its hash.
            link = secret = link_for_message(row, now=now, invitations=batch.invitations)
            if link is None:
                if row.rule_key != NOTICE_RULE:
                    reason = "The patient's portal access was withdrawn: no link to send."
                    if outcomes.write(rid, status="skipped", status_reason=reason, updated_at=now):
                        result.skipped += 1
                    return None
                link = portal_home_url()
        subject, text, html = render(row, portal_link=link)
        language = "en" if row.is_alert else reader(row)[1]
        out = Outgoing(
            rid, row.idempotency_key, row.attempts, recipient, subject, text, html, language
        )
        common = {
            "transport": channel.name,
            "recipient": recipient,
            "subject": _redact(subject, secret),
            "body": _redact(text, secret),
        }
        return _Ready(row, channel, out, common, secret)

    def _send(self, item: _Ready) -> None:
        row, outcomes, result, common = item.row, self.outcomes, self.result, item.common
        rid, attempt = row.id, item.out.attempt
        try:
            provider_id = item.channel.send(item.out)
        except Transient as exc:
            now = self.clock()
            error = _redact(str(exc), item.secret)
            if attempt < self.max_attempts:
                outcomes.write(
                    rid,
                    status="pending",
                    next_attempt_at=now + _retry_delay(attempt),
                    last_error=error,
                    claimed_by=None,
                    claimed_until=None,
                    send_started_at=None,
                    updated_at=now,
                    **common,
                )
                result.retried += 1
                return
            self._fail(row, f"Gave up after {attempt} attempts: {error}", now, common)
            return
        except Permanent as exc:
            self._fail(row, _redact(str(exc), item.secret), self.clock(), common)
            return
        except OutcomeUnknown as exc:
            now = self.clock()
            error = _redact(str(exc), item.secret)
            unclear = {"status": "needs_check", "last_error": error, "updated_at": now}
            if outcomes.write(rid, **unclear, **common):
                _alert(row, "needs_check", error, now=now)
            result.needs_check += 1
            return
        now = self.clock()
        outcomes.stage_sent(
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

    def _fail(self, row, error, now, common) -> None:
        if self.outcomes.write(row.id, status="failed", last_error=error, updated_at=now, **common):
            _alert(row, "failed", error, now=now)
        self.result.failed += 1
