"""Journeys over JSON: start, read, move through the stages, tasks, appointments and notes."""

import sqlalchemy as sa
from flask import g
from flask_smorest import Blueprint
from sqlalchemy.orm import joinedload, selectinload

from tracker.api_support import authenticate, clinical, get_or_404, json_errors, require_json_body
from tracker.audit.services import record_read
from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import FieldErrors
from tracker.journeys import services
from tracker.journeys.models import Appointment, Journey, Note, StageTransition, Task
from tracker.journeys.schemas import (
    AdvanceSchema,
    AppointmentCreateSchema,
    AppointmentPatchSchema,
    AppointmentSchema,
    EmptySchema,
    JourneyListSchema,
    JourneySchema,
    JourneyStartSchema,
    NoteCreateSchema,
    NoteSchema,
    ReasonSchema,
    RescheduleResultSchema,
    RescheduleSchema,
    TaskSchema,
)
from tracker.pathways.models import PathwayTemplate
from tracker.pathways.services import latest_template
from tracker.patients.models import Patient

blp = Blueprint("journeys_api", __name__, description="Journeys, their tasks and appointments.")
blp.before_request(authenticate)
blp.before_request(require_json_body)
json_errors(blp)

#: everything a journey's detail shows, loaded in a fixed number of queries
JOURNEY_DETAIL = (
    joinedload(Journey.patient),
    joinedload(Journey.template),
    joinedload(Journey.surgeon),
    selectinload(Journey.tasks),
    selectinload(Journey.appointments),
    selectinload(Journey.transitions).joinedload(StageTransition.by),
    selectinload(Journey.notes).joinedload(Note.author),
)


def _journey(journey_id: int) -> Journey:
    return get_or_404(Journey, journey_id, *JOURNEY_DETAIL)


def _start_references(values: dict) -> tuple[PathwayTemplate, StaffUser | None]:
    """The template and surgeon a start request names, or a 422 naming the bad ones."""
    errors = FieldErrors()
    if "template_id" in values:
        template = db.session.get(PathwayTemplate, values["template_id"])
        if template is None:
            errors.add("template_id", f"No pathway template with id {values['template_id']}.")
    else:
        template = latest_template(values["template"].strip())
        if template is None:
            errors.add("template", f"No pathway {values['template']!r} is loaded.")
    surgeon = None
    if values.get("surgeon_id") is not None:
        surgeon = db.session.get(StaffUser, values["surgeon_id"])
        if surgeon is None or surgeon.role != "clinician" or not surgeon.active:
            errors.add("surgeon_id", f"No active clinician with id {values['surgeon_id']}.")
    errors.raise_if_any()
    return template, surgeon


@blp.route("/patients/<int:patient_id>/journeys", methods=["POST"])
@clinical
@blp.arguments(JourneyStartSchema)
@blp.response(201, JourneySchema)
def start_journey(values, patient_id: int):
    """Start a patient on a pathway: creates its tasks and planned appointments."""
    patient = get_or_404(Patient, patient_id)
    template, surgeon = _start_references(values)
    details = services.JourneyDetails(
        condition=values["condition"],
        levels=values["levels"],
        side=values["side"],
        approach=values.get("approach") or template.definition["approach"],
        anesthesia=values["anesthesia"],
        consultation_date=values["consultation_date"],
        surgery_at=values.get("surgery_at"),
        surgeon=surgeon,
    )
    journey = services.start_journey(patient, template, details, actor=g.api_user, now=utcnow())
    db.session.commit()
    return _journey(journey.id)


@blp.route("/patients/<int:patient_id>/journeys", methods=["GET"])
@clinical
@blp.response(200, JourneyListSchema)
def list_journeys(patient_id: int):
    """A patient's journeys, newest first."""
    patient = get_or_404(Patient, patient_id)
    journeys = db.session.scalars(
        sa.select(Journey)
        .where(Journey.patient_id == patient.id)
        .options(joinedload(Journey.template), joinedload(Journey.surgeon))
        .order_by(Journey.started_at.desc(), Journey.id.desc())
    )
    record_read(
        "journey.list", patient, actor=g.api_user, patient_id=patient.id, details={"via": "api"}
    )
    return {"items": list(journeys)}


@blp.route("/journeys/<int:journey_id>", methods=["GET"])
@clinical
@blp.response(200, JourneySchema)
def get_journey(journey_id: int):
    """A journey with its five stages and their tasks, appointments, history and notes."""
    journey = _journey(journey_id)
    record_read(
        "journey.view",
        journey,
        actor=g.api_user,
        patient_id=journey.patient_id,
        details={"via": "api"},
    )
    return journey


@blp.route("/journeys/<int:journey_id>/advance", methods=["POST"])
@clinical
@blp.arguments(AdvanceSchema, required=False)
@blp.response(200, JourneySchema)
def advance(values, journey_id: int):
    """Move to the next stage (after follow-up: complete the journey).

    Unfinished required tasks of the current stage need an ``override_reason``.
    """
    journey = _journey(journey_id)
    services.advance(
        journey, actor=g.api_user, now=utcnow(), override_reason=values.get("override_reason")
    )
    db.session.commit()
    return journey


@blp.route("/journeys/<int:journey_id>/back", methods=["POST"])
@clinical
@blp.arguments(ReasonSchema)
@blp.response(200, JourneySchema)
def move_back(values, journey_id: int):
    """Move back one stage, saying why."""
    journey = _journey(journey_id)
    services.move_back(journey, reason=values["reason"], actor=g.api_user, now=utcnow())
    db.session.commit()
    return journey


@blp.route("/journeys/<int:journey_id>/cancel", methods=["POST"])
@clinical
@blp.arguments(ReasonSchema)
@blp.response(200, JourneySchema)
def cancel(values, journey_id: int):
    """Cancel the journey, saying why; its future appointments are cancelled too."""
    journey = _journey(journey_id)
    services.cancel(journey, reason=values["reason"], actor=g.api_user, now=utcnow())
    db.session.commit()
    return journey


@blp.route("/journeys/<int:journey_id>/reschedule", methods=["POST"])
@clinical
@blp.arguments(RescheduleSchema)
@blp.response(200, RescheduleResultSchema)
def reschedule(values, journey_id: int):
    """Book or move the surgery; open tasks and scheduled appointments tied to it move along."""
    journey = _journey(journey_id)
    moves = services.reschedule_surgery(
        journey, values["surgery_at"], actor=g.api_user, now=utcnow(), reason=values.get("reason")
    )
    db.session.commit()
    return {"journey": journey, "moved": moves}


def _task(task_id: int) -> Task:
    return get_or_404(Task, task_id, joinedload(Task.journey))


@blp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@clinical
@blp.arguments(EmptySchema, required=False)
@blp.response(200, TaskSchema)
def complete_task(values, task_id: int):
    """Mark a task done."""
    task = services.complete_task(_task(task_id), actor=g.api_user, now=utcnow())
    db.session.commit()
    return task


@blp.route("/tasks/<int:task_id>/skip", methods=["POST"])
@clinical
@blp.arguments(ReasonSchema)
@blp.response(200, TaskSchema)
def skip_task(values, task_id: int):
    """Skip a task, saying why."""
    task = services.skip_task(
        _task(task_id), reason=values["reason"], actor=g.api_user, now=utcnow()
    )
    db.session.commit()
    return task


@blp.route("/tasks/<int:task_id>/reopen", methods=["POST"])
@clinical
@blp.arguments(ReasonSchema)
@blp.response(200, TaskSchema)
def reopen_task(values, task_id: int):
    """Reopen a task marked done or skipped by mistake, saying why."""
    task = services.reopen_task(
        _task(task_id), reason=values["reason"], actor=g.api_user, now=utcnow()
    )
    db.session.commit()
    return task


@blp.route("/journeys/<int:journey_id>/appointments", methods=["POST"])
@clinical
@blp.arguments(AppointmentCreateSchema)
@blp.response(201, AppointmentSchema)
def create_appointment(values, journey_id: int):
    """Book an appointment by hand (it does not move with the surgery)."""
    journey = get_or_404(Journey, journey_id)
    appointment = services.create_appointment(journey, values, actor=g.api_user, now=utcnow())
    db.session.commit()
    return appointment


def _appointment(appointment_id: int) -> Appointment:
    return get_or_404(Appointment, appointment_id, joinedload(Appointment.journey))


@blp.route("/appointments/<int:appointment_id>", methods=["PATCH"])
@clinical
@blp.arguments(AppointmentPatchSchema(partial=True))
@blp.response(200, AppointmentSchema)
def update_appointment(values, appointment_id: int):
    """Change an appointment, or record that it took place (completed) or was missed (no_show)."""
    appointment = services.update_appointment(
        _appointment(appointment_id), values, actor=g.api_user, now=utcnow()
    )
    db.session.commit()
    return appointment


@blp.route("/appointments/<int:appointment_id>/cancel", methods=["POST"])
@clinical
@blp.arguments(ReasonSchema)
@blp.response(200, AppointmentSchema)
def cancel_appointment(values, appointment_id: int):
    """Cancel an appointment, saying why."""
    appointment = services.cancel_appointment(
        _appointment(appointment_id), reason=values["reason"], actor=g.api_user, now=utcnow()
    )
    db.session.commit()
    return appointment


@blp.route("/journeys/<int:journey_id>/notes", methods=["POST"])
@clinical
@blp.arguments(NoteCreateSchema)
@blp.response(201, NoteSchema)
def add_note(values, journey_id: int):
    """Add a note to a journey. Notes are never edited; a correction is a new note."""
    journey = get_or_404(Journey, journey_id)
    note = services.add_note(journey, values["body"], actor=g.api_user, now=utcnow())
    db.session.commit()
    return note
