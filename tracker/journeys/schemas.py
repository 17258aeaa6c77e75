"""What the journeys API reads and writes.

The schemas check types and shapes; every rule (which stage may follow, what a reschedule moves,
surgery not before the consultation) stays in :mod:`tracker.journeys.services`.
"""

from datetime import date, datetime

import marshmallow as ma
from marshmallow import fields, validate

from tracker.api_support import (
    ChangeSchema,
    Instant,
    iso_utc,
    optional_text,
    required_text,
    row_id,
)
from tracker.journeys.models import (
    ANESTHESIA,
    APPOINTMENT_KINDS,
    APPROACHES,
    CONDITIONS,
    SIDES,
    Journey,
    Task,
)
from tracker.pathways.models import STAGES
from tracker.patients.schemas import PatientBriefSchema

DURATION = validate.Range(min=1, max=1440, error="The duration must be between 1 and 1440 minutes.")


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error=f"Choose one of: {', '.join(choices)}.")


REASON_MAX = 2000


def _reason(description: str, required: bool = True) -> fields.String:
    if required:
        return required_text(REASON_MAX, description=description)
    return optional_text(REASON_MAX, description=description)


# Requests


class JourneyStartSchema(ma.Schema):
    template = fields.String(
        validate=validate.Length(min=1, max=60),
        metadata={"description": "Pathway slug; its latest version is used.", "example": "teld"},
    )
    template_id = row_id(metadata={"description": "A given template version, instead of a slug."})
    condition = fields.String(required=True, validate=_one_of(CONDITIONS))
    levels = required_text(60, description="Spinal level(s)", example="L4-L5, L5-S1")
    side = fields.String(required=True, validate=_one_of(SIDES))
    approach = fields.String(
        validate=_one_of(APPROACHES), metadata={"description": "Default: the pathway's approach."}
    )
    anesthesia = fields.String(required=True, validate=_one_of(ANESTHESIA))
    consultation_date = fields.Date(required=True)
    surgery_at = Instant(
        allow_none=True,
        metadata={"description": "ISO 8601; without an offset it is clinic local time."},
    )
    surgeon_id = row_id(allow_none=True)

    @ma.validates_schema
    def _one_template(self, data: dict, **kwargs) -> None:
        if ("template" in data) == ("template_id" in data):
            raise ma.ValidationError("Give either template (a slug) or template_id.", "template")


class AdvanceSchema(ma.Schema):
    override_reason = _reason("Why to go on past unfinished required tasks.", required=False)


class ReasonSchema(ma.Schema):
    reason = _reason("Why; kept in the journey's history.")


class RescheduleSchema(ma.Schema):
    surgery_at = Instant(
        required=True, metadata={"description": "ISO 8601; without an offset it is clinic time."}
    )
    reason = _reason("Why the surgery moves.", required=False)


class EmptySchema(ma.Schema):
    """No fields: the action needs none."""


class AppointmentCreateSchema(ma.Schema):
    kind = fields.String(required=True, validate=_one_of(APPOINTMENT_KINDS))
    title = required_text(200, example="Physiotherapy review")
    starts_at = Instant(
        required=True, metadata={"description": "ISO 8601; without an offset it is clinic time."}
    )
    duration_minutes = fields.Integer(strict=True, validate=DURATION)
    location = optional_text(200)


class AppointmentPatchSchema(AppointmentCreateSchema, ChangeSchema):
    """The fields to change; load it with ``partial=True``. Cancel with its own endpoint."""

    status = fields.String(validate=_one_of(("scheduled", "completed", "no_show")))


class NoteCreateSchema(ma.Schema):
    body = required_text(10_000)


# Responses


class PersonSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()


class TemplateBriefSchema(ma.Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer()
    name = fields.String()


class TaskSchema(ma.Schema):
    id = fields.Integer()
    journey_id = fields.Integer()
    stage = fields.String()
    key = fields.String()
    title = fields.String()
    titles = fields.Dict(keys=fields.String(), values=fields.String())
    required = fields.Boolean()
    anchor = fields.String()
    offset_days = fields.Integer()
    due_on = fields.Date(allow_none=True)
    status = fields.String(metadata={"enum": ["open", "done", "skipped"]})
    done_at = Instant(allow_none=True)
    done_by_id = fields.Integer(allow_none=True)
    skip_reason = fields.String(allow_none=True)


class AppointmentSchema(ma.Schema):
    id = fields.Integer()
    journey_id = fields.Integer()
    key = fields.String(allow_none=True)
    kind = fields.String()
    title = fields.String()
    starts_at = Instant()
    ends_at = Instant()
    duration_minutes = fields.Integer()
    location = fields.String()
    status = fields.String()
    anchor = fields.String(
        allow_none=True, metadata={"description": "What it moves with; empty if booked by hand."}
    )
    cancel_reason = fields.String(allow_none=True)
    sequence = fields.Integer()
    created_at = Instant()
    updated_at = Instant()


class TransitionSchema(ma.Schema):
    id = fields.Integer()
    from_stage = fields.String(allow_none=True)
    to_stage = fields.String()
    at = Instant()
    by = fields.Nested(PersonSchema, allow_none=True)
    reason = fields.String(allow_none=True)
    override = fields.Boolean()


class NoteSchema(ma.Schema):
    id = fields.Integer()
    journey_id = fields.Integer()
    body = fields.String()
    author = fields.Nested(PersonSchema, allow_none=True)
    created_at = Instant()


class StageSchema(ma.Schema):
    key = fields.String()
    status = fields.String(metadata={"enum": ["done", "current", "upcoming", "cancelled"]})
    planned_start = fields.Date(
        allow_none=True, metadata={"description": "First due date of its tasks."}
    )
    planned_end = fields.Date(
        allow_none=True, metadata={"description": "Last due date of its tasks."}
    )
    started_at = Instant(allow_none=True)
    ended_at = Instant(allow_none=True)
    tasks = fields.List(fields.Nested(TaskSchema))


class JourneySummarySchema(ma.Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    template = fields.Nested(TemplateBriefSchema)
    condition = fields.String()
    levels = fields.String()
    side = fields.String()
    approach = fields.String()
    anesthesia = fields.String()
    surgeon = fields.Nested(PersonSchema, allow_none=True)
    consultation_date = fields.Date()
    surgery_at = Instant(allow_none=True)
    discharged_at = Instant(allow_none=True)
    stage = fields.String(metadata={"enum": list(STAGES)})
    status = fields.String(metadata={"enum": ["active", "completed", "cancelled"]})
    started_at = Instant()
    ended_at = Instant(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class JourneySchema(JourneySummarySchema):
    """A journey with its five stages (and their tasks), appointments, history and notes."""

    patient = fields.Nested(PatientBriefSchema)
    stages = fields.List(fields.Nested(StageSchema))
    appointments = fields.List(fields.Nested(AppointmentSchema))
    transitions = fields.List(fields.Nested(TransitionSchema))
    notes = fields.List(fields.Nested(NoteSchema))

    def get_attribute(self, obj, attr, default):
        if attr == "stages":
            return stage_summaries(obj)
        return super().get_attribute(obj, attr, default)


class JourneyListSchema(ma.Schema):
    items = fields.List(fields.Nested(JourneySummarySchema))


def _plain(value: date | datetime | None) -> str | None:
    if isinstance(value, datetime):
        return iso_utc(value)
    return value.isoformat() if value is not None else None


class MoveSchema(ma.Schema):
    item = fields.Function(
        lambda move: "task" if isinstance(move.item, Task) else "appointment",
        metadata={"type": "string", "enum": ["task", "appointment"]},
    )
    id = fields.Function(lambda move: move.item.id, metadata={"type": "integer"})
    title = fields.String(attribute="label")
    old = fields.Function(
        lambda move: _plain(move.old),
        data_key="from",
        metadata={"type": "string", "description": "Old due date (task) or start (appointment)."},
    )
    new = fields.Function(
        lambda move: _plain(move.new),
        data_key="to",
        metadata={"type": "string", "description": "New due date (task) or start (appointment)."},
    )


class RescheduleResultSchema(ma.Schema):
    journey = fields.Nested(JourneySchema)
    moved = fields.List(fields.Nested(MoveSchema))


def stage_summaries(journey: Journey) -> list[dict]:
    """The five stages with their planned window (task due dates), actual dates and tasks."""
    entered: dict[str, datetime] = {}
    left: dict[str, datetime] = {}
    for step in journey.transitions:
        if step.from_stage in STAGES:
            left[step.from_stage] = step.at
        if step.to_stage in STAGES:
            entered[step.to_stage] = step.at
            left.pop(step.to_stage, None)
    summaries = []
    for index, key in enumerate(STAGES):
        tasks = [t for t in journey.tasks if t.stage == key]
        due = [t.due_on for t in tasks if t.due_on is not None]
        if journey.status == "completed" or index < journey.stage_index:
            status = "done"
        elif index == journey.stage_index:
            status = "current" if journey.status == "active" else "cancelled"
        else:
            status = "upcoming"
        reached = status != "upcoming"
        summaries.append(
            {
                "key": key,
                "status": status,
                "planned_start": min(due, default=None),
                "planned_end": max(due, default=None),
                # An upcoming stage may have been left by a move back; its dates are history.
                "started_at": entered.get(key) if reached else None,
                "ended_at": left.get(key) if reached else None,
                "tasks": tasks,
            }
        )
    return summaries
