"""Plan, move, cancel, claim and send reminders.

Reminders are rows (an outbox), not scheduler jobs. Planning turns a journey's template rules into
rows with a deterministic idempotency key, so planning twice changes nothing; every change to the
journey (reschedule, appointment booked or moved or cancelled, consent, cancellation) replans.
Planning flushes and never commits. :func:`dispatch_due` is the exception: it is the transaction
boundary of a dispatcher, and commits its claims and each send on its own.
"""

import os
import socket
import time as monotonic_time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_datetime, format_time
from flask import current_app, render_template
from sqlalchemy.orm import selectinload

from tracker.audit.services import record
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.journeys.models import Appointment, Journey
from tracker.patients.models import Patient
from tracker.reminders.channels import (
    OutboxChannel,
    OutcomeUnknown,
    Outgoing,
    Permanent,
    Transient,
    channels_from_config,
)
from tracker.reminders.models import OPEN_STATUSES, PROBLEM_STATUSES, Reminder
from tracker.timeutil import at_local

#: patient fields whose change replans the patient's reminders
REPLAN_FIELDS = frozenset({"consent_email", "consent_sms", "email", "phone", "timezone"})
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "BERHENTI"})
# Final states planning never touches: what was sent (or tried) stays as history.
_FINAL = ("sent", "failed", "needs_check", "expired")
# Cancelled for a reason that can go away: the row comes back when it applies again.
_REVIVABLE = ("consent", "obsolete")


# ---- time -------------------------------------------------------------------------------------


def quiet_window(spec: str | None) -> tuple[time, time] | None:
    """Parse ``"21:00-08:00"``; None (or equal ends) means no quiet hours."""
    if not spec or not spec.strip():
        return None
    start, _, end = spec.partition("-")
    window = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    return None if window[0] == window[1] else window


def push_past_quiet_hours(instant: datetime, tz: ZoneInfo, window: tuple[time, time] | None):
    """The first allowed instant at or after ``instant`` (patient-local quiet hours)."""
    if window is None:
        return instant
    start, end = window
    local = instant.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start > end:  # spans midnight, e.g. 21:00-08:00
        if clock >= start:
            return at_local(local.date() + timedelta(days=1), end, tz)
        if clock < end:
            return at_local(local.date(), end, tz)
        return instant
    if start <= clock < end:
        return at_local(local.date(), end, tz)
    return instant


def _tz(patient: Patient) -> ZoneInfo:
    return ZoneInfo(patient.timezone)


# ---- planning ---------------------------------------------------------------------------------


@dataclass
class Spec:
    """A reminder the journey's rules ask for right now."""

    base_key: str
    rule: dict
    channel: str
    occurrence: int
    rule_at: datetime
    event_at: datetime | None
    appointment: Appointment | None = None


@dataclass
class PlanResult:
    created: int = 0
    moved: int = 0
    cancelled: int = 0
    skipped: int = 0
    revived: int = 0

    @property
    def changed(self) -> bool:
        return any((self.created, self.moved, self.cancelled, self.skipped, self.revived))


def _rules(journey: Journey) -> list[dict]:
    return [
        rule
        for stage in journey.template.definition["stages"]
        for rule in stage.get("reminders", [])
    ]


def _consents(patient: Patient, channel: str) -> bool:
    if channel == "email":
        return bool(patient.consent_email and patient.email)
    return bool(patient.consent_sms and patient.phone)


def _event_kind(rule: dict) -> str:
    return rule.get("event") or ("appointment" if rule["anchor"] == "appointment" else "day")


def desired(journey: Journey) -> list[Spec]:
    """Every reminder the template's rules give for the journey as it stands."""
    if journey.status != "active":
        return []
    patient = journey.patient
    tz = _tz(patient)
    specs: list[Spec] = []
    for rule in _rules(journey):
        clock = time.fromisoformat(rule["time"])
        event = _event_kind(rule)
        targets: list[tuple[Appointment | None, date, datetime | None]] = []
        if rule["anchor"] == "appointment":
            for appt in journey.appointments:
                if appt.status != "scheduled" or appt.kind != rule.get("appointment_kind"):
                    continue
                if rule.get("appointment_key") and appt.key != rule["appointment_key"]:
                    continue
                targets.append((appt, appt.starts_at.astimezone(tz).date(), appt.starts_at))
        else:
            day = journey.anchor_date(rule["anchor"], tz)
            if day is None or (event == "surgery" and journey.surgery_at is None):
                continue
            targets.append((None, day, journey.surgery_at if event == "surgery" else None))
        for appt, anchor_day, event_at in targets:
            for occurrence in range(int(rule.get("repeat_days") or 1)):
                day = anchor_day + timedelta(days=rule["offset_days"] + occurrence)
                rule_at = at_local(day, clock, tz)
                ends = event_at if event != "day" else at_local(day + timedelta(1), time(0), tz)
                for channel in rule["channels"]:
                    if rule["audience"] == "patient" and not _consents(patient, channel):
                        continue
                    appt_part = f"a{appt.id}" if appt is not None else "a-"
                    base = f"j{journey.id}:{rule['key']}:{appt_part}:o{occurrence}:{channel}"
                    specs.append(Spec(base, rule, channel, occurrence, rule_at, ends, appt))
    return specs


def _split_key(key: str) -> tuple[str, int]:
    base, _, round_ = key.rpartition("#")
    return base, int(round_)


def _allowed(instant: datetime, row: Reminder, tz: ZoneInfo) -> datetime:
    if row.urgent or row.audience != "patient":
        return instant
    return push_past_quiet_hours(instant, tz, quiet_window(current_app.config.get("QUIET_HOURS")))


def _schedule(row: Reminder, spec: Spec, *, now: datetime) -> str:
    """Set the times of ``row`` from ``spec``; return its status (pending or skipped).

    Quiet hours push a non-urgent patient reminder to the next allowed minute. A reminder
    about its own day (a pain check-in) then counts as belonging to the day it is sent; one about
    a surgery or appointment that quiet hours would push past its event keeps the rule's time.
    """
    tz = _tz(row.patient)
    row.rule_at, row.event_at = spec.rule_at, spec.event_at
    ends = spec.event_at
    due = _allowed(spec.rule_at, row, tz)
    if ends is not None and due >= ends > spec.rule_at:
        if _event_kind(spec.rule) == "day":
            ends = at_local(due.astimezone(tz).date() + timedelta(days=1), time(0), tz)
        else:
            due = spec.rule_at
    row.expires_at = ends if spec.rule.get("expires_at_event") else None
    if due < now:
        if ends is not None and ends <= now:
            row.due_at = row.next_attempt_at = spec.rule_at
            row.status = "skipped"
            row.status_reason = "Its time and its event had both passed when it was planned."
            return "skipped"
        # Late, but its event is still ahead: at once (after quiet hours, if that is in time).
        due = _allowed(now, row, tz)
        if ends is not None and due >= ends:
            due = now
    row.due_at = row.next_attempt_at = due
    row.status = "pending"
    row.status_reason = None
    row.cancel_code = None
    return "pending"


def _new_row(journey: Journey, spec: Spec, round_: int, *, now: datetime) -> Reminder:
    rule = spec.rule
    row = Reminder(
        idempotency_key=f"{spec.base_key}#{round_}",
        journey=journey,
        patient=journey.patient,
        appointment=spec.appointment,
        rule_key=rule["key"],
        occurrence=spec.occurrence,
        message_key=rule["message"],
        channel=spec.channel,
        audience=rule["audience"],
        urgent=bool(rule.get("urgent", False)),
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    _schedule(row, spec, now=now)
    db.session.add(row)
    return row


def _cancel_reason(journey: Journey, row: Reminder, reason: str | None) -> tuple[str, str]:
    if journey.status != "active":
        why = journey.cancel_reason or f"the journey is {journey.status}"
        return "journey", f"Journey {journey.status}: {why}"
    if row.audience == "patient" and not _consents(journey.patient, row.channel):
        return "consent", f"The patient withdrew consent for {row.channel}."
    appt = row.appointment
    if appt is not None and appt.status == "cancelled":
        return "appointment", f"Appointment cancelled: {appt.cancel_reason or ''}".strip()
    return "obsolete", reason or "No longer applies after a change to the journey."


def plan_journey(journey: Journey, *, now: datetime, reason: str | None = None) -> PlanResult:
    """Make the journey's reminder rows match its rules: create, move, cancel, revive.

    Pending rows move with their event; sent (or otherwise final) rows stay as they were, and a
    rule whose event moved after it was sent gets a fresh row (the next round of its key).
    """
    result = PlanResult()
    db.session.flush()
    rows = db.session.scalars(
        sa.select(Reminder).where(Reminder.journey_id == journey.id, Reminder.rule_key != "alert")
    ).all()
    latest: dict[str, tuple[int, Reminder]] = {}
    for row in rows:
        base, round_ = _split_key(row.idempotency_key)
        if base not in latest or round_ > latest[base][0]:
            latest[base] = (round_, row)
    wanted = desired(journey)
    wanted_bases = {spec.base_key for spec in wanted}
    for spec in wanted:
        if spec.base_key not in latest:
            row = _new_row(journey, spec, 1, now=now)
            result.created += 1
            result.skipped += row.status == "skipped"
            continue
        round_, row = latest[spec.base_key]
        if row.status in ("pending", "skipped"):
            if row.rule_at != spec.rule_at or row.event_at != spec.event_at:
                _schedule(row, spec, now=now)
                row.updated_at = now
                result.moved += 1
        elif row.status == "cancelled" and row.cancel_code in _REVIVABLE:
            _schedule(row, spec, now=now)
            row.updated_at = now
            result.revived += 1
        elif (
            row.status in _FINAL
            and (row.rule_at, row.event_at) != (spec.rule_at, spec.event_at)
            and (spec.event_at is None or spec.event_at > now)
        ):
            _new_row(journey, spec, round_ + 1, now=now)
            result.created += 1
    for base, (_, row) in latest.items():
        if base not in wanted_bases and row.status == "pending":
            row.cancel_code, row.status_reason = _cancel_reason(journey, row, reason)
            row.status = "cancelled"
            row.updated_at = now
            result.cancelled += 1
    if result.changed:
        record(
            "reminders.plan",
            journey,
            patient_id=journey.patient_id,
            now=now,
            details={
                "created": result.created,
                "moved": result.moved,
                "cancelled": result.cancelled,
                "skipped": result.skipped,
                "revived": result.revived,
                "reason": reason,
            },
        )
    return result


def consent_changed(patient: Patient, *, now: datetime) -> int:
    """Follow the patient's channel consent: withdrawn stops pending rows, granted replans."""
    stopped = 0
    for channel in ("email", "sms"):
        if _consents(patient, channel):
            continue
        rows = db.session.scalars(
            sa.select(Reminder).where(
                Reminder.patient_id == patient.id,
                Reminder.channel == channel,
                Reminder.audience == "patient",
                Reminder.status == "pending",
            )
        ).all()
        for row in rows:
            row.status, row.cancel_code = "cancelled", "consent"
            row.status_reason = f"The patient withdrew consent for {channel}."
            row.updated_at = now
            stopped += 1
    journey = db.session.scalar(
        sa.select(Journey).where(Journey.patient_id == patient.id, Journey.status == "active")
    )
    if journey is not None:
        plan_journey(journey, now=now)
    if stopped:
        record(
            "reminders.consent_stop",
            patient,
            patient_id=patient.id,
            now=now,
            details={"cancelled": stopped},
        )
    return stopped


def stop_sms(phone: str, text: str, *, now: datetime) -> int:
    """Act on an SMS reply: STOP (or BERHENTI) withdraws SMS consent of the sender."""
    words = (text or "").strip().upper().split()
    if not words or words[0] not in STOP_WORDS:
        return 0
    number = "".join(ch for ch in (phone or "") if ch.isdigit() or ch == "+")
    if not number:
        raise ValidationFailed.on("from", "The sender's number is missing.")
    patients = db.session.scalars(
        sa.select(Patient).where(Patient.phone == number, Patient.consent_sms.is_(True))
    ).all()
    for patient in patients:
        patient.consent_sms = False
        patient.updated_at = now
        record(
            "patient.sms_stop",
            patient,
            actor="SMS reply",
            patient_id=patient.id,
            now=now,
            details={"consent_sms": [True, False], "reply": words[0]},
        )
        consent_changed(patient, now=now)
    return len(patients)


# ---- staff actions ----------------------------------------------------------------------------


def resend(reminder: Reminder, *, actor, now: datetime) -> Reminder:
    """Queue a reminder again at once (a person decided it should go)."""
    if reminder.status in OPEN_STATUSES:
        raise Conflict("This reminder is already waiting to be sent.")
    if reminder.audience == "patient" and not _consents(reminder.patient, reminder.channel):
        raise Conflict(f"The patient has not consented to {reminder.channel} messages.")
    old = reminder.status
    reminder.status = "pending"
    reminder.due_at = reminder.next_attempt_at = now
    reminder.expires_at = None  # a person decided it is still worth sending
    reminder.attempts = 0
    reminder.claimed_by = reminder.claimed_until = reminder.send_started_at = None
    reminder.status_reason = reminder.cancel_code = reminder.last_error = None
    reminder.updated_at = now
    record(
        "reminder.resend",
        reminder,
        actor=actor,
        patient_id=reminder.patient_id,
        now=now,
        details={"status": [old, "pending"], "rule": reminder.rule_key},
    )
    return reminder


def cancel_reminder(reminder: Reminder, *, reason: str, actor, now: datetime) -> Reminder:
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", "Say why this reminder is cancelled.")
    if reminder.status == "sending":
        raise Conflict("This reminder is being sent right now; try again in a minute.")
    if reminder.status not in ("pending", *PROBLEM_STATUSES):
        raise Conflict(f"This reminder is already {reminder.status_label}.")
    old = reminder.status
    reminder.status, reminder.cancel_code = "cancelled", "staff"
    reminder.status_reason = reason.strip()
    reminder.updated_at = now
    record(
        "reminder.cancel",
        reminder,
        actor=actor,
        patient_id=reminder.patient_id,
        now=now,
        details={"status": [old, "cancelled"], "reason": reason.strip()},
    )
    return reminder


# ---- queries for pages and the API -------------------------------------------------------------


def journey_reminders(journey: Journey) -> list[Reminder]:
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.journey_id == journey.id)
            .order_by(Reminder.due_at, Reminder.id)
        )
    )


def local_iso(instant: datetime, tz_name: str) -> str:
    """``2026-12-09T18:00:00+07:00``: an instant as the patient's wall clock, with its offset."""
    return instant.astimezone(ZoneInfo(tz_name)).isoformat()


def problem_counts() -> dict[str, int]:
    """Failed and needs-check reminders (the dashboard card)."""
    rows = db.session.execute(
        sa.select(Reminder.status, sa.func.count())
        .where(Reminder.status.in_(PROBLEM_STATUSES))
        .group_by(Reminder.status)
    ).all()
    counts = {status: 0 for status in PROBLEM_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


@dataclass
class OutboxFilters:
    status: str = ""
    channel: str = ""
    audience: str = ""
    q: str = ""
    day: date | None = None


def outbox_query(filters: OutboxFilters, tz: ZoneInfo) -> sa.Select:
    """The clinic outbox: failures and unclear sends first, then the newest."""
    query = sa.select(Reminder).join(Reminder.patient).options(selectinload(Reminder.patient))
    if filters.status:
        query = query.where(Reminder.status == filters.status)
    if filters.channel:
        query = query.where(Reminder.channel == filters.channel)
    if filters.audience:
        query = query.where(Reminder.audience == filters.audience)
    if filters.day is not None:
        start = at_local(filters.day, time(0), tz)
        query = query.where(Reminder.due_at >= start, Reminder.due_at < start + timedelta(1))
    for term in (filters.q or "").split():
        like = f"%{term.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Patient.given_name).like(like),
                sa.func.lower(Patient.family_name).like(like),
                sa.func.lower(Patient.mrn).like(like),
            )
        )
    problems_first = sa.case((Reminder.status.in_(PROBLEM_STATUSES), 0), else_=1)
    return query.order_by(problems_first, Reminder.due_at.desc(), Reminder.id.desc())


# ---- rendering ----------------------------------------------------------------------------------


def _messages(journey: Journey) -> dict:
    return journey.template.definition.get("messages", {})


def _appointment_title(appt: Appointment, language: str) -> str:
    for stage in appt.journey.template.definition["stages"]:
        for spec in stage.get("appointments", []):
            if spec["key"] == appt.key:
                return spec["title"].get(language) or appt.title
    return appt.title


def _reader(reminder: Reminder) -> tuple[ZoneInfo, str]:
    """Time zone and language of who reads it: the patient, or the clinic's staff."""
    if reminder.audience == "patient":
        return _tz(reminder.patient), reminder.patient.language
    config = current_app.config
    return ZoneInfo(config["CLINIC_TIMEZONE"]), config.get("BABEL_DEFAULT_LOCALE", "en")


def message_values(reminder: Reminder) -> dict[str, str]:
    """The placeholder values of a reminder, in its reader's language and time zone."""
    config = current_app.config
    patient, journey = reminder.patient, reminder.journey
    tz, lang = _reader(reminder)
    portal_link = config.get("PORTAL_URL") or (
        config.get("PORTAL_BASE_URL", "").rstrip("/") + "/portal/"
        if config.get("PORTAL_BASE_URL")
        else {"en": "the patient portal", "id": "portal pasien"}.get(lang, "the patient portal")
    )
    values = {
        "clinic": config["CLINIC_NAME"],
        "phone": config["CLINIC_PHONE"],
        "name": patient.full_name,
        "mrn": patient.mrn,
        "portal_link": portal_link,
        "surgery": "",
        "surgery_date": "",
        "surgery_time": "",
        "arrival_time": "",
        "appointment": "",
        "appointment_time": "",
        "appointment_date": "",
        "location": "",
        "task": "",
    }
    if journey.surgery_at is not None:
        at = journey.surgery_at
        before = int(journey.template.definition.get("arrival_minutes_before", 0))
        arrival = at - timedelta(minutes=before)
        values["surgery"] = format_datetime(at, "EEEE d MMMM y, HH:mm", tzinfo=tz, locale=lang)
        values["surgery_date"] = format_date(at.astimezone(tz).date(), "EEEE d MMMM y", locale=lang)
        values["surgery_time"] = format_time(at, "HH:mm", tzinfo=tz, locale=lang)
        values["arrival_time"] = format_time(arrival, "HH:mm", tzinfo=tz, locale=lang)
    appt = reminder.appointment
    if appt is not None:
        values["appointment"] = _appointment_title(appt, lang)
        values["appointment_time"] = format_time(appt.starts_at, "HH:mm", tzinfo=tz, locale=lang)
        values["appointment_date"] = format_date(
            appt.starts_at.astimezone(tz).date(), "EEEE d MMMM y", locale=lang
        )
        values["location"] = appt.location
    task_key = next((r.get("task") for r in _rules(journey) if r["key"] == reminder.rule_key), None)
    task = next((t for t in journey.tasks if t.key == task_key), None) if task_key else None
    if task is not None:
        values["task"] = task.title_in(lang)
    return values


def render(reminder: Reminder) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a reminder, as it would be sent now."""
    if reminder.is_alert:
        subject, text = reminder.subject or "", reminder.body or ""
        lang = "en"
    else:
        lang = _reader(reminder)[1]
        texts = _messages(reminder.journey)[reminder.message_key]
        text_set = texts.get(lang) or texts["en"]
        values = message_values(reminder)
        subject = text_set["subject"].format_map(values)
        text = text_set["body"].format_map(values)
    html = render_template(
        "reminders/email.html", subject=subject, text=text, language=lang, reminder=reminder
    )
    return subject, text, html


# ---- dispatch ------------------------------------------------------------------------------------


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
        .order_by(Reminder.next_attempt_at, Reminder.id)
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
        sa.select(Reminder.id).where(Reminder.claimed_by == token, Reminder.status == "sending")
    ).all()
    db.session.commit()
    return token, sorted(claimed)


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
    group = _split_key(about.idempotency_key)[0].rsplit(":", 1)[0]
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
    return row.patient.email if row.channel == "email" else row.patient.phone


def _precheck(row: Reminder, now: datetime) -> tuple[str, str] | None:
    """Whether a claimed row must not be sent after all: (status, reason) or None."""
    if row.is_alert:
        return None
    if row.expires_at is not None and now >= row.expires_at:
        return "expired", "Its event had already started when it could be sent."
    if row.journey.status == "cancelled":
        return "cancelled", f"Journey cancelled: {row.journey.cancel_reason or ''}".strip()
    if row.audience == "patient" and not _consents(row.patient, row.channel):
        return "cancelled", f"The patient withdrew consent for {row.channel}."
    task_key = next((r.get("task") for r in _rules(row.journey) if r["key"] == row.rule_key), None)
    if task_key:
        task = next((t for t in row.journey.tasks if t.key == task_key), None)
        if task is not None and task.status != "open":
            return "skipped", f"The task {task_key} is already {task.status}."
    return None


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
    subject, text, html = render(row)
    attempt = row.attempts
    # From here on a lost claim means "maybe sent": the hand-over mark is committed first.
    if not outcomes.commit(rid, send_started_at=now):
        return
    language = "en" if row.is_alert else _reader(row)[1]
    out = Outgoing(rid, row.idempotency_key, attempt, recipient, subject, text, html, language)
    common = {"transport": channel.name, "recipient": recipient, "subject": subject, "body": text}
    try:
        provider_id = channel.send(out)
    except Transient as exc:
        now = clock()
        if attempt < max_attempts:
            outcomes.commit(
                rid,
                status="pending",
                next_attempt_at=now + _retry_delay(attempt),
                last_error=str(exc),
                claimed_by=None,
                claimed_until=None,
                send_started_at=None,
                updated_at=now,
                **common,
            )
            result.retried += 1
            return
        _fail(row, outcomes, f"Gave up after {attempt} attempts: {exc}", now, common, result)
        return
    except Permanent as exc:
        _fail(row, outcomes, str(exc), clock(), common, result)
        return
    except OutcomeUnknown as exc:
        now = clock()
        unclear = {"status": "needs_check", "last_error": str(exc), "updated_at": now}
        if outcomes.commit(rid, **unclear, **common):
            _alert(row, "needs_check", str(exc), now=now)
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
