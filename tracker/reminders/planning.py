"""Plan reminders: turn a journey's template rules into outbox rows, and keep them in step.

Reminders are rows (an outbox), not scheduler jobs. Planning gives each row a deterministic
idempotency key, so planning twice changes nothing; every change to the journey (reschedule,
appointment booked or moved or cancelled, consent, cancellation) replans. Planning flushes and
never commits.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from tracker.audit.services import record
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.journeys.models import Appointment, Journey, Task
from tracker.patients.models import Patient
from tracker.reminders.messages import UNPLANNED_RULES
from tracker.reminders.models import Reminder
from tracker.timeutil import at_local

#: patient fields whose change replans the patient's reminders
REPLAN_FIELDS = frozenset(
    {"consent_email", "consent_sms", "email", "phone", "timezone", "preferred_channel"}
)
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


def patient_tz(patient: Patient) -> ZoneInfo:
    return ZoneInfo(patient.timezone)


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


def template_rules(journey: Journey) -> list[dict]:
    return [
        rule
        for stage in journey.template.definition["stages"]
        for rule in stage.get("reminders", [])
    ]


def rule_task(journey: Journey, rule_key: str) -> Task | None:
    """The journey's task a rule's reminder is about (rules with ``task:``), if any."""
    task_key = next((r.get("task") for r in template_rules(journey) if r["key"] == rule_key), None)
    if not task_key:
        return None
    return next((t for t in journey.tasks if t.key == task_key), None)


def consents(patient: Patient, channel: str) -> bool:
    if channel == "email":
        return bool(patient.consent_email and patient.email)
    return bool(patient.consent_sms and patient.phone)


def rule_channels(patient: Patient, rule: dict) -> list[str]:
    """The channel(s) a rule's message goes by: staff rules all theirs; a patient message one,
    the patient's preferred channel when they agreed to it, else the other (fallback)."""
    if rule["audience"] != "patient":
        return list(rule["channels"])
    allowed = [c for c in rule["channels"] if consents(patient, c)]
    allowed.sort(key=lambda channel: channel != patient.preferred_channel)
    return allowed[:1]


def event_kind(rule: dict) -> str:
    return rule.get("event") or ("appointment" if rule["anchor"] == "appointment" else "day")


def desired(journey: Journey) -> list[Spec]:
    """Every reminder the template's rules give for the journey as it stands."""
    if journey.status != "active":
        return []
    patient = journey.patient
    tz = patient_tz(patient)
    specs: list[Spec] = []
    for rule in template_rules(journey):
        clock = time.fromisoformat(rule["time"])
        event = event_kind(rule)
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
                for channel in rule_channels(patient, rule):
                    appt_part = f"a{appt.id}" if appt is not None else "a-"
                    base = f"j{journey.id}:{rule['key']}:{appt_part}:o{occurrence}:{channel}"
                    specs.append(Spec(base, rule, channel, occurrence, rule_at, ends, appt))
    return specs


def split_key(key: str) -> tuple[str, int]:
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
    tz = patient_tz(row.patient)
    row.rule_at, row.event_at = spec.rule_at, spec.event_at
    ends = spec.event_at
    due = _allowed(spec.rule_at, row, tz)
    if ends is not None and due >= ends > spec.rule_at:
        if event_kind(spec.rule) == "day":
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
    keys = [r["key"] for r in template_rules(journey)]
    row = Reminder(
        idempotency_key=f"{spec.base_key}#{round_}",
        rule_order=keys.index(rule["key"]) + 1,
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
    if row.audience == "patient" and not consents(journey.patient, row.channel):
        return "consent", f"The patient withdrew consent for {row.channel}."
    appt = row.appointment
    if appt is not None and appt.status == "cancelled":
        return "appointment", f"Appointment cancelled: {appt.cancel_reason or ''}".strip()
    if row.audience == "patient":
        rule = next((r for r in template_rules(journey) if r["key"] == row.rule_key), None)
        chosen = rule_channels(journey.patient, rule) if rule else []
        if chosen and chosen != [row.channel]:
            return "obsolete", f"Goes by {chosen[0]} instead: one channel per message."
    return "obsolete", reason or "No longer applies after a change to the journey."


def plan_journey(journey: Journey, *, now: datetime, reason: str | None = None) -> PlanResult:
    """Make the journey's reminder rows match its rules: create, move, cancel, revive.

    Pending rows move with their event; sent (or otherwise final) rows stay as they were, and a
    rule whose own time moved after it was sent gets a fresh row (the next round of its key).
    """
    result = PlanResult()
    db.session.flush()
    rows = db.session.scalars(
        sa.select(Reminder).where(
            Reminder.journey_id == journey.id, Reminder.rule_key.not_in(UNPLANNED_RULES)
        )
    ).all()
    latest: dict[str, tuple[int, Reminder]] = {}
    for row in rows:
        base, round_ = split_key(row.idempotency_key)
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
            and row.rule_at != spec.rule_at
            and (spec.event_at is None or spec.event_at > now)
        ):
            # Sent again only when its own time moved (instructions for the new date); one whose
            # event alone moved (the booking confirmation) is not: the clinic's notice of the
            # change tells the patient the new date once (tracker.reminders.notices).
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
        if consents(patient, channel):
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
