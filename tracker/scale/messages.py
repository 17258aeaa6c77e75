"""A generated journey's reminders: planned by the real planning rules, then lived through.

``tracker.reminders.planning.desired`` gives the rows a journey's template asks for, and
``planning._schedule`` their times and status, exactly as when a coordinator starts a journey;
each is then carried forward to the generator's ``now`` as the dispatcher would have left it:
sent (with the text it had), skipped because its task was done, cancelled with its journey,
or still pending. A few recent ones failed or need a check, each with its staff alert.
"""

import random
from datetime import datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

from babel.dates import format_date, format_datetime, format_time

from tracker.journeys.models import Journey
from tracker.reminders import planning
from tracker.scale.context import Context, Ledger, Rows, audit, zone

LONG_DAY = "EEEE d MMMM y"
#: sends of the last days can have failed or be unclear (older ones were dealt with)
PROBLEM_DAYS = 45
#: what the channels store (tracker/reminders/channels.py), with a provider's answer inside
ERRORS = {
    "email": "SMTP server refused the recipient {to}: 550 5.1.1 mailbox unavailable",
    "sms": 'SMS gateway answered 400: {{"error": "the number is not reachable"}}',
}
UNCLEAR = {
    "email": "The SMTP connection broke while the server had the message "
    "(TimeoutError('timed out')); it may have been delivered.",
    "sms": "No answer from the SMS gateway after sending (TimeoutError('timed out')); "
    "it may have been sent.",
}


class JourneyView:
    """The journey as planning reads it, without an ORM object (tens of thousands per minute)."""

    anchor_date = Journey.anchor_date

    def __init__(self, life, patient, appointments, tasks):
        self.id = life.id
        self.status = "active"
        self.template = SimpleNamespace(
            definition=life.definition, name=life.pathway.name, slug=life.pathway.slug
        )
        self.patient = patient
        self.consultation_date = life.consult_day
        self.surgery_at = life.surgery_at
        self.discharged_at = None
        self.appointments = appointments
        self.tasks = tasks

    @property
    def planned_stay_days(self) -> int:
        return int(self.template.definition.get("planned_stay_days", 0))


def _patient_view(row: dict) -> SimpleNamespace:
    return SimpleNamespace(**row, full_name=f"{row['given_name']} {row['family_name']}".strip())


class TaskView:
    """A task as a reminder's text names it (``Task.title_in``)."""

    __slots__ = ("key", "status", "titles")

    def __init__(self, row: dict):
        self.key, self.status, self.titles = row["key"], "open", row["_titles"]

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("en", self.key)


@lru_cache(maxsize=100_000)
def _when(instant: datetime, tz: str, lang: str) -> tuple[str, str, str]:
    """(full date and time, long date, time) of an instant in a reader's zone and language."""
    zone_ = zone(tz)
    local_day = instant.astimezone(zone_).date()
    return (
        format_datetime(instant, "EEEE d MMMM y, HH:mm", tzinfo=zone_, locale=lang),
        format_date(local_day, LONG_DAY, locale=lang),
        format_time(instant, "HH:mm", tzinfo=zone_, locale=lang),
    )


def _values(ctx: Context, life, patient, appt, audience: str, task) -> dict:
    """The placeholders of ``tracker.reminders.rendering.message_values`` for this reminder."""
    if audience == "patient":
        tz, lang = patient.timezone, patient.language
    else:
        tz, lang = ctx.clinic_tz, "en"
    config = ctx.config
    values = dict.fromkeys(
        ("surgery", "surgery_date", "surgery_time", "arrival_time", "appointment",
         "appointment_time", "appointment_date", "location", "task"),
        "",
    )  # fmt: skip
    values.update(
        clinic=config["clinic_name"],
        phone=config["clinic_phone"],
        name=patient.full_name,
        mrn=patient.mrn,
        portal_link=config["portal_link"].get(lang, config["portal_link"]["en"]),
    )
    if life.surgery_at is not None:
        before = int(life.definition.get("arrival_minutes_before", 0))
        values["surgery"], values["surgery_date"], values["surgery_time"] = _when(
            life.surgery_at, tz, lang
        )
        values["arrival_time"] = _when(life.surgery_at - timedelta(minutes=before), tz, lang)[2]
    if appt is not None:
        values["appointment"] = _appointment_title(life.definition, appt, lang)
        _, values["appointment_date"], values["appointment_time"] = _when(appt.starts_at, tz, lang)
        values["location"] = appt.location
    if task is not None:
        values["task"] = task.title_in(lang)
    return values


def _appointment_title(definition: dict, appt, language: str) -> str:
    for stage in definition["stages"]:
        for spec in stage.get("appointments", []):
            if spec["key"] == appt.key:
                return spec["title"].get(language) or appt.title
    return appt.title


def plan(ctx: Context, rng: random.Random, life, ledger: Ledger, rows: Rows) -> None:
    if life.surgery_at is None:
        return  # every rule waits for the surgery date
    patient = _patient_view(life.patient)
    # Planned when the surgery was booked: every appointment was still to come.
    planned_views = [SimpleNamespace(**{**a, "status": "scheduled"}) for a in life.appointments]
    tasks = [TaskView(t) for t in life.tasks]
    view = JourneyView(life, patient, planned_views, tasks)
    planned_at = life.booked_at
    created = skipped = 0
    cache: dict = {}
    texts = life.definition.get("messages", {})
    order = [r["key"] for r in planning.template_rules(view)]
    for spec in planning.desired(view):
        rule = spec.rule
        row = SimpleNamespace(
            patient=patient, urgent=bool(rule.get("urgent", False)), audience=rule["audience"]
        )
        status = planning._schedule(row, spec, now=planned_at)
        created += 1
        skipped += status == "skipped"
        reminder = {
            "id": ledger.id("reminders"),
            "idempotency_key": f"{spec.base_key}#1",
            "rule_order": order.index(rule["key"]) + 1,
            "journey_id": life.id,
            "patient_id": life.patient_id,
            "appointment_id": spec.appointment.id if spec.appointment is not None else None,
            "about_id": None,
            "rule_key": rule["key"],
            "occurrence": spec.occurrence,
            "message_key": rule["message"],
            "channel": spec.channel,
            "audience": rule["audience"],
            "urgent": row.urgent,
            "rule_at": row.rule_at,
            "due_at": row.due_at,
            "next_attempt_at": row.next_attempt_at,
            "event_at": row.event_at,
            "expires_at": row.expires_at,
            "status": row.status,
            "status_reason": row.status_reason,
            "cancel_code": row.cancel_code,
            "attempts": 0,
            "created_at": planned_at,
            "updated_at": planned_at,
        }
        if row.status == "pending":
            _live(ctx, rng, life, reminder, spec, patient, tasks, texts, rows, ledger, cache)
        rows.add("reminders", **reminder)
    if created:
        audit(
            rows, ledger.audit, planned_at, "reminders.plan", "Journey", life.id,
            actor=None, patient_id=life.patient_id,
            details={"created": created, "moved": 0, "cancelled": 0, "skipped": skipped,
                     "revived": 0, "reason": None},
        )  # fmt: skip


def _live(ctx, rng, life, reminder, spec, patient, tasks, texts, rows, ledger, cache) -> None:
    """Carry a pending reminder forward to ``now``, as the dispatcher would have."""
    due = reminder["due_at"]
    if life.status == "cancelled" and due > life.ended_at:
        reminder.update(
            status="cancelled",
            cancel_code="journey",
            status_reason=f"Journey cancelled: {life.cancel_reason}",
            updated_at=life.ended_at,
        )
        return
    sent_at = due + timedelta(seconds=rng.randint(1, 20))
    if sent_at > ctx.now:
        return  # still to go
    # The task a rule is about (``planning.rule_task``), e.g. transport arranged.
    task_key = spec.rule.get("task")
    task = next((t for t in life.tasks if t["key"] == task_key), None) if task_key else None
    if task is not None and task["status"] != "open" and task["done_at"] <= sent_at:
        reminder.update(
            status="skipped",
            status_reason=f"The task {task['key']} is already {task['status']}.",
            attempts=1,
            updated_at=sent_at,
        )
        return
    recipient, transport = _address(ctx, patient, reminder)
    text_set = texts[reminder["message_key"]]
    lang = patient.language if reminder["audience"] == "patient" else "en"
    text_set = text_set.get(lang) or text_set["en"]
    appt = spec.appointment
    key = (appt.id if appt else None, reminder["audience"], task_key)
    values = cache.get(key)
    if values is None:
        view = next((t for t in tasks if t.key == task_key), None) if task_key else None
        values = cache[key] = _values(ctx, life, patient, appt, reminder["audience"], view)
    reminder.update(
        attempts=1,
        claimed_by=f"dispatcher:{life.id % 4}:{reminder['id'] % 65536:04x}",
        send_started_at=sent_at - timedelta(milliseconds=300),
        transport=transport,
        recipient=recipient,
        subject=text_set["subject"].format_map(values),
        body=text_set["body"].format_map(values),
        updated_at=sent_at,
    )
    recent = ctx.now - sent_at < timedelta(days=PROBLEM_DAYS)
    roll = rng.random()
    if recent and reminder["audience"] == "patient" and roll < 0.003:
        retries = (1, 5, 30, 120)
        failed_at = sent_at + timedelta(minutes=sum(retries))
        if failed_at <= ctx.now:
            reminder.update(
                status="failed",
                attempts=len(retries) + 1,
                last_error=f"Gave up after {len(retries) + 1} attempts: "
                + ERRORS[reminder["channel"]].format(to=reminder["recipient"]),
                next_attempt_at=sent_at + timedelta(minutes=sum(retries[:-1])),
                updated_at=failed_at,
            )
            _staff_alert(ctx, rng, life, patient, reminder, "failed", failed_at, rows, ledger)
            return
    if recent and reminder["audience"] == "patient" and roll > 0.9997:
        reminder.update(status="needs_check", last_error=UNCLEAR[reminder["channel"]])
        _staff_alert(ctx, rng, life, patient, reminder, "needs_check", sent_at, rows, ledger)
        return
    reminder.update(
        status="sent",
        sent_at=sent_at,
        provider_id=f"<{reminder['id']}.{life.id}@clinic.mail>"
        if transport == "smtp"
        else f"gw-{reminder['id']}",
    )


def _address(ctx: Context, patient, reminder: dict) -> tuple[str, str]:
    if reminder["audience"] == "coordinator":
        return ctx.config["on_duty_email"], "smtp"
    if reminder["channel"] == "email":
        return patient.email, "smtp"
    return patient.phone, "sms_gateway"


TITLES = {
    "failed": "Reminder failed",
    "needs_check": "Reminder needs a check",
}


def _staff_alert(ctx, rng, life, patient, about: dict, kind: str, at, rows, ledger) -> None:
    """The coordinator's alert about a reminder that went wrong (``dispatch._alert``)."""
    tz = zone(ctx.clinic_tz)
    due = about["due_at"].astimezone(tz)
    title = TITLES[kind]
    text = about["last_error"]
    sent_at = at + timedelta(seconds=rng.randint(1, 20))
    done = sent_at <= ctx.now
    rows.add(
        "reminders",
        id=ledger.id("reminders"),
        idempotency_key=f"alert:{kind}:{about['id']}:1",
        journey_id=life.id,
        patient_id=life.patient_id,
        appointment_id=about["appointment_id"],
        about_id=about["id"],
        rule_key="alert",
        occurrence=0,
        message_key=kind,
        channel="email",
        audience="coordinator",
        urgent=True,
        rule_at=at,
        due_at=at,
        next_attempt_at=at,
        status="sent" if done else "pending",
        attempts=1 if done else 0,
        sent_at=sent_at if done else None,
        send_started_at=sent_at if done else None,
        transport="smtp" if done else None,
        recipient=ctx.config["on_duty_email"] if done else None,
        subject=f"{title}: {patient.full_name} ({patient.mrn}), {about['rule_key']}",
        body=(
            f"{title} for {patient.full_name} ({patient.mrn}): "
            f"{about['rule_key']} by {about['channel']}, due {due:%Y-%m-%d %H:%M} ({tz.key}).\n\n"
            f"{text}\n\nOpen the clinic outbox to resend or cancel it."
        ),
        created_at=at,
        updated_at=sent_at if done else at,
    )


def portal_alert_email(ctx: Context, life, alert: dict, ledger: Ledger, rows: Rows) -> None:
    """The on-duty email an urgent alert queues (``tracker.portal.alerts._email_on_duty``)."""
    patient = _patient_view(life.patient)
    at = alert["created_at"]
    sent_at = at + timedelta(seconds=5)
    done = sent_at <= ctx.now
    base = ctx.config["portal_base_url"]
    rows.add(
        "reminders",
        id=ledger.id("reminders"),
        idempotency_key=f"portal-alert:{alert['id']}",
        journey_id=life.id,
        patient_id=life.patient_id,
        rule_key="alert",
        occurrence=0,
        message_key="portal_alert",
        channel="email",
        audience="coordinator",
        urgent=True,
        rule_at=at,
        due_at=at,
        next_attempt_at=at,
        status="sent" if done else "pending",
        attempts=1 if done else 0,
        sent_at=sent_at if done else None,
        transport="smtp" if done else None,
        recipient=ctx.config["on_duty_email"] if done else None,
        subject=f"URGENT: {patient.full_name} ({patient.mrn}) reported a red flag",
        body=(
            f"{patient.full_name} ({patient.mrn}, phone {patient.phone or 'not on file'}) "
            f"reported in the patient portal: {alert['summary']}.\n\n"
            f"The patient was told to call the clinic or go to emergency. Please call them now, "
            f"then acknowledge the alert: {base}/alerts"
        ),
        created_at=at,
        updated_at=sent_at if done else at,
    )
