"""Moving the surgery: what a new date would move (the preview) and the move itself; the
open tasks and scheduled appointments anchored on the surgery or the discharge move with it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.audit.services import record
from tracker.db import db
from tracker.errors import Conflict, FieldErrors
from tracker.i18n import gettext as _
from tracker.journeys.checks import check_bookable, check_surgery_time, require_active
from tracker.journeys.models import Appointment, Journey, Task
from tracker.journeys.start import plan_appointments
from tracker.pathways.models import STAGES
from tracker.reminders import notices
from tracker.reminders.planning import plan_journey
from tracker.timeutil import at_local, clinic_tz

MOVING_ANCHORS = ("surgery", "discharge")


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
    require_active(journey)
    errors = FieldErrors()
    check_surgery_time(new_surgery_at, journey.consultation_date, errors)
    if "surgery_at" not in errors.errors:
        check_bookable("surgery_at", new_surgery_at, now, errors)
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
        plan_appointments(journey, now=now)
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
