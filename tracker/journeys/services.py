"""The rules of a patient's journey: start, advance, move back, cancel, complete, reschedule.

Services flush but never commit; the request, command or job around them commits once.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from tracker.audit.models import AuditEvent
from tracker.audit.services import diff, record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors, ValidationFailed
from tracker.journeys import wording
from tracker.journeys.models import (
    ANESTHESIA,
    APPOINTMENT_KINDS,
    APPROACHES,
    CONDITIONS,
    SIDES,
    Appointment,
    Journey,
    Note,
    StageTransition,
    Task,
)
from tracker.pathways.models import STAGES, PathwayTemplate
from tracker.patients.models import Patient
from tracker.reminders import notices
from tracker.reminders.planning import plan_journey
from tracker.timeutil import at_local, clinic_tz

LEVEL = re.compile(r"^(C[1-7]|T([1-9]|1[0-2])|L[1-5]|S1)-(C[2-7]|T([1-9]|1[0-2])|L[1-5]|S1)$")
MOVING_ANCHORS = ("surgery", "discharge")


@dataclass
class JourneyDetails:
    """What a coordinator enters to start a journey."""

    condition: str
    levels: str
    side: str
    approach: str
    anesthesia: str
    consultation_date: date
    surgery_at: datetime | None = None
    surgeon: StaffUser | None = None


def active_journey(patient: Patient) -> Journey | None:
    return db.session.scalar(
        sa.select(Journey).where(Journey.patient_id == patient.id, Journey.status == "active")
    )


def normalize_levels(levels: str) -> str:
    parts = [
        p.strip().upper().replace("/", "-") for p in re.split(r"[,;]", levels or "") if p.strip()
    ]
    return ", ".join(parts)


#: how far from today an appointment or a surgery may be booked: further is a typo (a wrong
#: year), not a plan; follow-ups reach about two years after surgery, and past visits are
#: recorded afterwards
BOOKABLE_PAST = timedelta(days=2 * 365)
BOOKABLE_FUTURE = timedelta(days=3 * 365)


def _check_bookable(field: str, when: datetime, now: datetime | None, errors: FieldErrors) -> None:
    """Refuse a date far in the past or future, saying what the window is."""
    if now is None or when.tzinfo is None:
        return
    if when < now - BOOKABLE_PAST:
        errors.add(field, _("That is more than two years ago; check the year."))
    elif when > now + BOOKABLE_FUTURE:
        errors.add(field, _("That is more than three years ahead; check the year."))


def _check_details(
    details: JourneyDetails, template: PathwayTemplate, now: datetime | None = None
) -> None:
    errors = FieldErrors()
    if details.condition not in CONDITIONS:
        errors.add("condition", _("Choose one of: %(join)s.", join=", ".join(CONDITIONS)))
    if details.side not in SIDES:
        errors.add("side", _("Choose one of: %(join)s.", join=", ".join(SIDES)))
    if details.approach not in APPROACHES:
        errors.add("approach", _("Choose one of: %(join)s.", join=", ".join(APPROACHES)))
    if details.anesthesia not in ANESTHESIA:
        errors.add("anesthesia", _("Choose one of: %(join)s.", join=", ".join(ANESTHESIA)))
    levels = normalize_levels(details.levels)
    if not levels or not all(LEVEL.match(p) for p in levels.split(", ")):
        errors.add("levels", _("Enter spinal levels such as L4-L5 or L4-L5, L5-S1."))
    elif len(levels) > 60:
        errors.add("levels", _("Name at most a few levels (up to 60 characters)."))
    if details.surgeon is not None and (
        details.surgeon.role != "clinician" or not details.surgeon.active
    ):
        errors.add("surgeon", _("The surgeon must be an active clinician."))
    if details.surgery_at is not None:
        _check_surgery_time(details.surgery_at, details.consultation_date, errors)
        if "surgery_at" not in errors.errors:
            _check_bookable("surgery_at", details.surgery_at, now, errors)
    errors.raise_if_any()
    details.levels = levels


def _check_surgery_time(surgery_at: datetime, consultation_date: date, errors: FieldErrors) -> None:
    if surgery_at.tzinfo is None:
        errors.add("surgery_at", _("Give the surgery time with its time zone."))
    elif surgery_at.astimezone(clinic_tz()).date() < consultation_date:
        errors.add("surgery_at", _("Surgery cannot be before the consultation."))


def start_journey(
    patient: Patient,
    template: PathwayTemplate,
    details: JourneyDetails,
    *,
    actor: StaffUser | None,
    now: datetime,
) -> Journey:
    """Start ``patient`` on ``template``: create its tasks and planned appointments."""
    _check_details(details, template, now)
    if active_journey(patient) is not None:
        raise Conflict(_("This patient already has an active journey; finish or cancel it first."))
    journey = Journey(
        patient=patient,
        template=template,
        condition=details.condition,
        levels=details.levels,
        side=details.side,
        approach=details.approach,
        anesthesia=details.anesthesia,
        surgeon=details.surgeon,
        consultation_date=details.consultation_date,
        surgery_at=details.surgery_at,
        stage=STAGES[0],
        status="active",
        started_at=now,
        started_by_id=getattr(actor, "id", None),
    )
    db.session.add(journey)
    tz = clinic_tz()
    for stage in template.definition["stages"]:
        for spec in stage.get("tasks", []):
            anchor_day = journey.anchor_date(spec["anchor"], tz)
            db.session.add(
                Task(
                    journey=journey,
                    stage=stage["key"],
                    key=spec["key"],
                    titles=spec["title"],
                    required=bool(spec.get("required", True)),
                    anchor=spec["anchor"],
                    offset_days=spec["offset_days"],
                    due_on=anchor_day + timedelta(days=spec["offset_days"]) if anchor_day else None,
                )
            )
    _plan_appointments(journey, now=now)
    db.session.add(
        StageTransition(
            journey=journey,
            from_stage=None,
            to_stage=STAGES[0],
            at=now,
            by_id=getattr(actor, "id", None),
        )
    )
    db.session.flush()
    record(
        "journey.start",
        journey,
        actor=actor,
        patient_id=patient.id,
        now=now,
        details={
            "template": f"{template.slug} v{template.version}",
            "surgery_at": details.surgery_at,
        },
    )
    plan_journey(journey, now=now)
    return journey


def _plan_appointments(journey: Journey, *, now: datetime) -> None:
    """Create the template's appointments whose anchor is known and not yet booked."""
    if journey.surgery_at is None:
        return
    tz = clinic_tz()
    booked = {a.key for a in journey.appointments if a.key}
    definition = journey.template.definition
    if "surgery" not in booked:
        db.session.add(
            Appointment(
                journey=journey,
                key="surgery",
                kind="surgery",
                title=_surgery_title(journey.template.name),
                starts_at=journey.surgery_at,
                duration_minutes=int(definition.get("procedure_minutes", 90)),
                location=_english(definition.get("surgery_location")) or "Operating theatre",
                anchor="surgery",
                created_at=now,
                updated_at=now,
            )
        )
    for stage in definition["stages"]:
        for spec in stage.get("appointments", []):
            if spec["key"] in booked:
                continue
            day = journey.anchor_date(spec["anchor"], tz)
            if day is None:
                continue
            clock = time.fromisoformat(spec["time"])
            db.session.add(
                Appointment(
                    journey=journey,
                    key=spec["key"],
                    kind=spec["kind"],
                    title=spec["title"]["en"],
                    starts_at=at_local(day + timedelta(days=spec["offset_days"]), clock, tz),
                    duration_minutes=spec["duration_minutes"],
                    location=_english(spec.get("location")) or "",
                    anchor=spec["anchor"],
                    created_at=now,
                    updated_at=now,
                )
            )


def _surgery_title(name: str) -> str:
    with force_locale("en"):  # stored in English; staff_title words it for each reader
        return wording.surgery_title(name)


def _english(value) -> str | None:
    """Staff pages keep the English of a place the template gives in both languages."""
    return value.get("en") if isinstance(value, dict) else value


def _require_active(journey: Journey) -> None:
    if journey.status != "active":
        raise Conflict(
            _("This journey is %(status)s; it cannot change any more.", status=journey.status)
        )


def unfinished_required(journey: Journey, stage: str | None = None) -> list[Task]:
    stage = stage or journey.stage
    return [t for t in journey.tasks if t.stage == stage and t.required and t.status == "open"]


def _transition(journey, to_stage, *, actor, now, reason=None, override=False) -> StageTransition:
    step = StageTransition(
        journey=journey,
        from_stage=journey.stage,
        to_stage=to_stage,
        at=now,
        by_id=getattr(actor, "id", None),
        reason=reason,
        override=override,
    )
    db.session.add(step)
    return step


def _override_needed(journey: Journey, override_reason: str | None) -> bool:
    """Whether this move skips unfinished required tasks; refuse it without a reason."""
    open_tasks = unfinished_required(journey)
    if not open_tasks:
        return False
    if not (override_reason or "").strip():
        names = "; ".join(t.title for t in open_tasks)
        raise Conflict.on(
            "override_reason",
            _(
                "%(count)s required task(s) of this stage are not done (%(names)s). "
                "Finish them, or give a reason to go on anyway.",
                count=len(open_tasks),
                names=names,
            ),
        )
    return True


def advance(
    journey: Journey, *, actor, now: datetime, override_reason: str | None = None
) -> Journey:
    """Move to the next stage; after follow-up the journey is completed."""
    _require_active(journey)
    if journey.stage == STAGES[-1]:
        return complete(journey, actor=actor, now=now, override_reason=override_reason)
    target = STAGES[journey.stage_index + 1]
    if target == "procedure" and journey.surgery_at is None:
        raise Conflict.on("surgery_at", _("Book the surgery date and time before procedure day."))
    override = _override_needed(journey, override_reason)
    reason = override_reason.strip() if override else None
    _transition(journey, target, actor=actor, now=now, reason=reason, override=override)
    old = journey.stage
    journey.stage = target
    if target == "follow_up" and journey.discharged_at is None:
        journey.discharged_at = now
    record(
        "journey.advance",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"stage": [old, target], "override_reason": reason},
    )
    return journey


def move_back(journey: Journey, *, reason: str, actor, now: datetime) -> Journey:
    _require_active(journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why the journey moves back."))
    if journey.stage_index == 0:
        raise Conflict(_("The journey is at its first stage."))
    target = STAGES[journey.stage_index - 1]
    _transition(journey, target, actor=actor, now=now, reason=reason.strip())
    old = journey.stage
    journey.stage = target
    record(
        "journey.back",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"stage": [old, target], "reason": reason.strip()},
    )
    return journey


def complete(
    journey: Journey, *, actor, now: datetime, override_reason: str | None = None
) -> Journey:
    _require_active(journey)
    if journey.stage != STAGES[-1]:
        raise Conflict(_("A journey is completed only after follow-up."))
    override = _override_needed(journey, override_reason)
    reason = override_reason.strip() if override else None
    _transition(journey, "completed", actor=actor, now=now, reason=reason, override=override)
    journey.status = "completed"
    journey.ended_at = now
    record(
        "journey.complete",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"override_reason": reason},
    )
    return journey


def cancel(journey: Journey, *, reason: str, actor, now: datetime) -> Journey:
    _require_active(journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why the journey is cancelled."))
    reason = reason.strip()
    surgery_ahead = journey.surgery_at is not None and journey.surgery_at > now
    _transition(journey, "cancelled", actor=actor, now=now, reason=reason)
    journey.status = "cancelled"
    journey.ended_at = now
    journey.cancel_reason = reason
    for appointment in journey.appointments:
        if appointment.status == "scheduled" and appointment.starts_at > now:
            _cancel_appointment(appointment, f"Journey cancelled: {reason}", now)
    record(
        "journey.cancel",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"reason": reason},
    )
    plan_journey(journey, now=now)
    if surgery_ahead:
        notices.surgery_cancelled(journey, now=now)
    return journey


@dataclass
class Move:
    """One item a reschedule moves, for the preview and the audit trail."""

    item: Task | Appointment
    old: date | datetime | None
    new: date | datetime

    @property
    def label(self) -> str:
        return self.item.title


def plan_reschedule(
    journey: Journey, new_surgery_at: datetime, now: datetime | None = None
) -> list[Move]:
    """What moving the surgery to ``new_surgery_at`` would move, without changing anything."""
    _require_active(journey)
    errors = FieldErrors()
    _check_surgery_time(new_surgery_at, journey.consultation_date, errors)
    if "surgery_at" not in errors.errors:
        _check_bookable("surgery_at", new_surgery_at, now, errors)
    errors.raise_if_any()
    if journey.stage_index > STAGES.index("procedure"):
        raise Conflict(_("The surgery has already taken place; it cannot be rescheduled."))
    tz = clinic_tz()
    old_at = journey.surgery_at
    moves: list[Move] = []
    new_day = new_surgery_at.astimezone(tz).date()
    anchor_days = {"surgery": new_day, "discharge": new_day + timedelta(journey.planned_stay_days)}
    for task in journey.tasks:
        if task.status != "open" or task.anchor not in MOVING_ANCHORS:
            continue
        new_due = anchor_days[task.anchor] + timedelta(days=task.offset_days)
        if new_due != task.due_on:
            moves.append(Move(task, task.due_on, new_due))
    if old_at is not None:
        # The surgery takes its new time; the others move by the same number of days and keep
        # their local clock time (a 09:00 wound check stays at 09:00, also across DST changes).
        days = (new_day - old_at.astimezone(tz).date()).days
        for appt in journey.appointments:
            if appt.status != "scheduled" or appt.anchor not in MOVING_ANCHORS:
                continue
            if appt.key == "surgery":
                new_start = new_surgery_at
            else:
                local = appt.starts_at.astimezone(tz)
                new_start = at_local(local.date() + timedelta(days=days), local.time(), tz)
            if new_start != appt.starts_at:
                moves.append(Move(appt, appt.starts_at, new_start))
    return moves


def reschedule_surgery(
    journey: Journey, new_surgery_at: datetime, *, actor, now: datetime, reason: str | None = None
) -> list[Move]:
    """Move the surgery; every open task and scheduled appointment anchored on it moves too."""
    moves = plan_reschedule(journey, new_surgery_at, now)
    old_at = journey.surgery_at
    for move in moves:
        if isinstance(move.item, Task):
            move.item.due_on = move.new
        else:
            move.item.starts_at = move.new
            move.item.sequence += 1
            move.item.updated_at = now
    journey.surgery_at = new_surgery_at
    if old_at is None:
        _plan_appointments(journey, now=now)
    db.session.flush()
    record(
        "journey.reschedule",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"surgery_at": [old_at, new_surgery_at], "reason": reason, "moved": len(moves)},
    )
    plan_journey(journey, now=now, reason="The surgery was rescheduled.")
    if old_at is not None and old_at != new_surgery_at:
        notices.surgery_moved(journey, now=now)
    return moves


def complete_task(task: Task, *, actor, now: datetime) -> Task:
    _require_active(task.journey)
    if task.status == "done":
        raise Conflict(_("This task is already done."))
    old = task.status
    # actor None: the system did what the task asks (e.g. portal access made for a message)
    task.status, task.done_at, task.skip_reason = "done", now, None
    task.done_by_id = getattr(actor, "id", None)
    record(
        "task.complete",
        task,
        actor=actor,
        patient_id=task.journey.patient_id,
        now=now,
        details={"task": task.key, "status": [old, "done"]},
    )
    return task


def tick_task(journey: Journey, key: str, *, actor, now: datetime) -> Task | None:
    """Mark the journey's task ``key`` done when another action has just fulfilled it."""
    task = next((t for t in journey.tasks if t.key == key), None)
    if task is not None and task.is_open and journey.is_active:
        complete_task(task, actor=actor, now=now)
    return task


def skip_task(task: Task, *, reason: str, actor, now: datetime) -> Task:
    _require_active(task.journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why this task is skipped."))
    if task.status != "open":
        raise Conflict(_("This task is already %(status)s.", status=task.status))
    task.status, task.done_at, task.done_by_id = "skipped", now, actor.id
    task.skip_reason = reason.strip()
    record(
        "task.skip",
        task,
        actor=actor,
        patient_id=task.journey.patient_id,
        now=now,
        details={"task": task.key, "reason": task.skip_reason},
    )
    return task


def reopen_task(task: Task, *, reason: str, actor, now: datetime) -> Task:
    """Correct a task marked done or skipped by mistake."""
    _require_active(task.journey)
    if task.status == "open":
        raise Conflict(_("This task is already open."))
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why this task is reopened."))
    old = task.status
    task.status, task.done_at, task.done_by_id, task.skip_reason = "open", None, None, None
    record(
        "task.reopen",
        task,
        actor=actor,
        patient_id=task.journey.patient_id,
        now=now,
        details={"task": task.key, "status": [old, "open"], "reason": reason.strip()},
    )
    return task


def _check_appointment(values: dict, errors: FieldErrors, now: datetime) -> None:
    if "kind" in values and values["kind"] not in APPOINTMENT_KINDS:
        errors.add("kind", _("Choose one of: %(join)s.", join=", ".join(APPOINTMENT_KINDS)))
    if "title" in values and not (values["title"] or "").strip():
        errors.add("title", _("Give the appointment a title."))
    elif len((values.get("title") or "").strip()) > 200:
        errors.add("title", _("Keep the title under 200 characters."))
    if len((values.get("location") or "").strip()) > 200:
        errors.add("location", _("Keep the location under 200 characters."))
    if "starts_at" in values and (
        values["starts_at"] is None or values["starts_at"].tzinfo is None
    ):
        errors.add("starts_at", _("Give the start with its time zone."))
    elif values.get("starts_at") is not None:
        _check_bookable("starts_at", values["starts_at"], now, errors)
    duration = values.get("duration_minutes", 30)
    if not isinstance(duration, int) or not 1 <= duration <= 1440:
        errors.add("duration_minutes", _("The duration must be between 1 and 1440 minutes."))


def create_appointment(journey: Journey, values: dict, *, actor, now: datetime) -> Appointment:
    _require_active(journey)
    errors = FieldErrors()
    for field in ("kind", "title", "starts_at"):
        if values.get(field) in (None, ""):
            errors.add(field, _("This field is required."))
    _check_appointment(values, errors, now)
    errors.raise_if_any()
    appt = Appointment(
        journey=journey,
        kind=values["kind"],
        title=values["title"].strip(),
        starts_at=values["starts_at"],
        duration_minutes=values.get("duration_minutes", 30),
        location=(values.get("location") or "").strip(),
        created_at=now,
        updated_at=now,
    )
    db.session.add(appt)
    db.session.flush()
    record(
        "appointment.create",
        appt,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"title": appt.title, "starts_at": appt.starts_at},
    )
    plan_journey(journey, now=now)
    return appt


EDITABLE = ("kind", "title", "starts_at", "duration_minutes", "location", "status")


def update_appointment(appt: Appointment, values: dict, *, actor, now: datetime) -> Appointment:
    _require_active(appt.journey)
    if appt.status == "cancelled":
        raise Conflict(_("This appointment is cancelled; book a new one instead."))
    errors = FieldErrors()
    for field in set(values) - set(EDITABLE):
        errors.add(field, _("Unknown field."))
    # An unchanged start is not judged again (an old appointment stays editable).
    changing = {k: v for k, v in values.items() if k != "starts_at" or v != appt.starts_at}
    _check_appointment(changing, errors, now)
    if values.get("status") not in (None, "scheduled", "completed", "no_show"):
        errors.add("status", _("Use scheduled, completed or no_show (cancel to cancel)."))
    errors.raise_if_any()
    if "title" in values:
        values = {**values, "title": values["title"].strip()}
    if appt.key == "surgery" and values.get("starts_at", appt.starts_at) != appt.starts_at:
        raise Conflict.on("starts_at", _("Move the surgery with 'reschedule surgery'."))
    changed = diff(appt, values)
    if changed:
        appt.sequence += 1
        appt.updated_at = now
        record(
            "appointment.update",
            appt,
            actor=actor,
            patient_id=appt.journey.patient_id,
            now=now,
            details=changed,
        )
    if changed.keys() & {"starts_at", "status", "kind"}:
        plan_journey(appt.journey, now=now, reason="The appointment changed.")
    if "starts_at" in changed:
        notices.appointment_moved(appt, now=now)
    return appt


def _cancel_appointment(appt: Appointment, reason: str, now: datetime) -> None:
    appt.status = "cancelled"
    appt.cancel_reason = reason
    appt.sequence += 1
    appt.updated_at = now


def cancel_appointment(appt: Appointment, *, reason: str, actor, now: datetime) -> Appointment:
    _require_active(appt.journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why the appointment is cancelled."))
    if appt.status == "cancelled":
        raise Conflict(_("This appointment is already cancelled."))
    if appt.key == "surgery":
        raise Conflict(_("Cancel the journey, or reschedule the surgery, instead."))
    _cancel_appointment(appt, reason.strip(), now)
    record(
        "appointment.cancel",
        appt,
        actor=actor,
        patient_id=appt.journey.patient_id,
        now=now,
        details={"reason": reason.strip()},
    )
    plan_journey(appt.journey, now=now)
    notices.appointment_cancelled(appt, now=now)
    return appt


def add_note(journey: Journey, body: str, *, actor, now: datetime) -> Note:
    if not (body or "").strip():
        raise ValidationFailed.on("body", _("Write the note first."))
    note = Note(
        journey=journey, author_id=getattr(actor, "id", None), body=body.strip(), created_at=now
    )
    db.session.add(note)
    db.session.flush()
    record("note.add", note, actor=actor, patient_id=journey.patient_id, now=now)
    return note


# Read-only helpers for the journey pages.


@dataclass
class StageView:
    """One stage of a journey as the timeline shows it."""

    key: str
    #: ``done``, ``current``, ``upcoming``, or ``stopped`` (where a cancelled journey ended)
    state: str
    planned_from: date | None
    planned_to: date | None
    #: when the journey last entered / left this stage
    entered_at: datetime | None
    left_at: datetime | None
    tasks: list[Task]


def stage_timeline(journey: Journey) -> list[StageView]:
    """The five stages with planned dates (local) and actual dates (from the transitions)."""
    tz = clinic_tz()
    surgery_day = journey.anchor_date("surgery", tz)
    discharge_day = journey.anchor_date("discharge", tz)
    follow_up_dues = [t.due_on for t in journey.tasks if t.stage == "follow_up" and t.due_on]
    planned = {
        "consultation": (journey.consultation_date, None),
        "preparation": (
            journey.consultation_date,
            surgery_day - timedelta(days=1) if surgery_day else None,
        ),
        "procedure": (surgery_day, None),
        "discharge": (discharge_day, None),
        "follow_up": (discharge_day, max(follow_up_dues) if follow_up_dues else None),
    }
    steps = list(journey.transitions)
    views = []
    for index, key in enumerate(STAGES):
        entered = left = None
        for position, step in enumerate(steps):
            if step.to_stage == key:
                entered = step.at
                left = steps[position + 1].at if position + 1 < len(steps) else None
        if journey.status == "completed" or index < journey.stage_index:
            state = "done"
        elif index == journey.stage_index:
            state = "stopped" if journey.status == "cancelled" else "current"
        else:
            state = "upcoming"
        views.append(
            StageView(
                key=key,
                state=state,
                planned_from=planned[key][0],
                planned_to=planned[key][1],
                entered_at=entered,
                left_at=left if state != "current" else None,
                tasks=[t for t in journey.tasks if t.stage == key],
            )
        )
    return views


def journey_for_page(journey_id: int) -> Journey | None:
    """A journey with everything its page shows, in a fixed handful of statements.

    The people named on it (who did a task, moved a stage, wrote a note) come with it, so the
    page runs the same statements however many colleagues worked on the journey.
    """
    return db.session.scalar(
        sa.select(Journey)
        .where(Journey.id == journey_id)
        .options(
            joinedload(Journey.patient),
            joinedload(Journey.template),
            joinedload(Journey.surgeon),
            selectinload(Journey.tasks).joinedload(Task.done_by),
            selectinload(Journey.transitions).joinedload(StageTransition.by),
            selectinload(Journey.notes).joinedload(Note.author),
            selectinload(Journey.appointments),
        )
    )


def patient_history(journey: Journey, limit: int = 200) -> list[AuditEvent]:
    """The audit trail of the journey's patient, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.patient_id == journey.patient_id, AuditEvent.kind == "change")
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def active_clinicians() -> list[StaffUser]:
    """The staff who may be named as a journey's surgeon."""
    return list(
        db.session.scalars(
            sa.select(StaffUser)
            .where(StaffUser.role == "clinician", StaffUser.active)
            .order_by(StaffUser.name)
        )
    )
