"""Read-only helpers for the journey pages: the patient's active journey, the stage
timeline, a journey with everything its page shows, the patient's audit trail, the surgeons
to choose from."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.audit.models import AuditEvent
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.journeys.models import Journey, Note, StageTransition, Task
from tracker.pathways.models import STAGES
from tracker.patients.models import Patient
from tracker.timeutil import clinic_tz


def active_journey(patient: Patient) -> Journey | None:
    return db.session.scalar(
        sa.select(Journey).where(Journey.patient_id == patient.id, Journey.status == "active")
    )


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
