"""The journey pages: the timeline, checklists, appointments, notes and every stage action."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from tracker.audit.services import record_read
from tracker.auth.access import require_clinical_staff
from tracker.auth.models import StaffUser
from tracker.clock import clinic_today, utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.i18n import gettext as _
from tracker.journeys import services
from tracker.journeys.forms import (
    ActionForm,
    AdvanceForm,
    AppointmentForm,
    AppointmentStatusForm,
    EditAppointmentForm,
    NoteForm,
    ReasonForm,
    RescheduleForm,
    StartJourneyForm,
)
from tracker.journeys.models import Appointment, Journey, Task
from tracker.journeys.preview import preview_reschedule
from tracker.pathways.models import STAGES, PathwayTemplate
from tracker.pathways.services import latest_templates
from tracker.patients.models import Patient
from tracker.timeutil import at_local, clinic_tz
from tracker.vocabulary import AUDIT_ACTIONS, VALUES, audit_details, humanize, stage_label

bp = Blueprint("journeys", __name__)

# Where a service's field name differs from the form's.
FIELD_ALIASES = {"surgery_at": "surgery_date", "starts_at": "date", "surgeon": "surgeon_id"}


bp.before_request(require_clinical_staff)


def _journey(journey_id: int) -> Journey:
    return db.get_or_404(Journey, journey_id)


def _task(journey: Journey, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or task.journey_id != journey.id:
        abort(404)
    return task


def _appointment(journey: Journey, appointment_id: int) -> Appointment:
    appt = db.session.get(Appointment, appointment_id)
    if appt is None or appt.journey_id != journey.id:
        abort(404)
    return appt


def _done(journey: Journey, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".show", journey_id=journey.id), code=303)


def _place_errors(form: FlaskForm, error: DomainError) -> None:
    """Put a service's per-field messages next to the form's fields; the rest on top."""
    db.session.rollback()
    placed = False
    for name, messages in error.errors.items():
        field = getattr(form, FIELD_ALIASES.get(name, name), None)
        if field is None or not hasattr(field, "errors"):
            field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


def _form_page(template: str, form: FlaskForm, **context):
    """Render a form page: 422 when a submitted form was refused, else 200."""
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form, **context), status


def age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def describe(event) -> list[tuple[str, str]]:
    """An audit event's details as (label, text) pairs a person can read."""
    return audit_details(event.action, event.details)


def _show(journey: Journey, *, status: int = 200, note_form=None, error: str | None = None):
    today = clinic_today()
    return render_template(
        "journeys/show.html",
        journey=journey,
        patient=journey.patient,
        age=age(journey.patient.birth_date, today),
        today=today,
        timeline=services.stage_timeline(journey),
        unfinished=services.unfinished_required(journey) if journey.is_active else [],
        next_stage=STAGES[journey.stage_index + 1]
        if journey.stage_index + 1 < len(STAGES)
        else None,
        history=services.patient_history(journey),
        audit_labels=AUDIT_ACTIONS,
        describe=describe,
        labels=VALUES,
        note_form=note_form or NoteForm(formdata=None),
        status_form=AppointmentStatusForm(formdata=None),
        page_error=error,
    ), status


@bp.route("/journeys/<int:journey_id>")
def show(journey_id: int):
    journey = services.journey_for_page(journey_id) or abort(404)
    record_read("journey.view", journey, actor=current_user, patient_id=journey.patient_id)
    return _show(journey)


@bp.route("/patients/<int:patient_id>/journeys/new", methods=["GET", "POST"])
def start(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    form = StartJourneyForm()
    templates = latest_templates()
    form.template_id.choices = [
        SelectChoice(
            t.id,
            _("%(name)s (version %(version)s)", name=t.name, version=t.version),
            {"data-approach": t.definition["approach"]},
        )
        for t in templates
    ]
    form.surgeon_id.choices = [SelectChoice(0, _("Not assigned yet"))] + [
        SelectChoice(u.id, u.name) for u in services.active_clinicians()
    ]
    if not form.is_submitted():
        if templates:
            form.approach.data = templates[0].definition["approach"]
        if current_user.role == "clinician":
            form.surgeon_id.data = current_user.id
    if form.validate_on_submit():
        surgery_at = None
        if form.surgery_date.data:
            surgery_at = at_local(form.surgery_date.data, form.surgery_time.data, clinic_tz())
        details = services.JourneyDetails(
            condition=form.condition.data,
            levels=form.levels.data,
            side=form.side.data,
            approach=form.approach.data,
            anesthesia=form.anesthesia.data,
            consultation_date=form.consultation_date.data,
            surgery_at=surgery_at,
            surgeon=db.session.get(StaffUser, form.surgeon_id.data)
            if form.surgeon_id.data
            else None,
        )
        template = db.session.get(PathwayTemplate, form.template_id.data)
        try:
            journey = services.start_journey(
                patient, template, details, actor=current_user, now=utcnow()
            )
        except DomainError as error:
            _place_errors(form, error)
        else:
            return _done(
                journey, _("Journey started for %(full_name)s.", full_name=patient.full_name)
            )
    active = services.active_journey(patient)
    return _form_page(
        "journeys/start.html", form, patient=patient, templates=templates, active=active
    )


@bp.route("/journeys/<int:journey_id>/reschedule", methods=["GET", "POST"])
def reschedule(journey_id: int):
    """Step 1 asks for the new time; step 2 previews what moves; its confirm applies it."""
    journey = _journey(journey_id)
    form = RescheduleForm()
    moves = new_at = None
    if form.validate_on_submit():
        new_at = at_local(form.surgery_date.data, form.surgery_time.data, clinic_tz())
        try:
            if form.confirmed.data == "yes":
                moved = services.reschedule_surgery(
                    journey, new_at, actor=current_user, now=utcnow(), reason=form.reason.data
                )
                return _done(
                    journey, _("Surgery moved; %(count)s item(s) moved with it.", count=len(moved))
                )
            moves, messages = preview_reschedule(journey, new_at, now=utcnow())
            form.confirmed.data = "yes"
            return render_template(
                "journeys/reschedule.html",
                form=form,
                journey=journey,
                moves=moves,
                messages=messages,
                new_at=new_at,
            )
        except DomainError as error:
            _place_errors(form, error)
            form.confirmed.data = ""
    return _form_page("journeys/reschedule.html", form, journey=journey, moves=None, new_at=None)


@bp.route("/journeys/<int:journey_id>/advance", methods=["GET", "POST"])
def advance(journey_id: int):
    journey = _journey(journey_id)
    form = AdvanceForm()
    if form.validate_on_submit():
        try:
            services.advance(
                journey, actor=current_user, now=utcnow(), override_reason=form.override_reason.data
            )
        except DomainError as error:
            _place_errors(form, error)
        else:
            if journey.status == "completed":
                return _done(journey, _("Journey completed."))
            return _done(journey, _("Moved to %(stage)s.", stage=_stage(journey.stage)))
    return _form_page(
        "journeys/advance.html",
        form,
        journey=journey,
        unfinished=services.unfinished_required(journey),
        next_stage=STAGES[journey.stage_index + 1] if journey.stage != STAGES[-1] else None,
    )


def _reason_page(journey: Journey, form: ReasonForm, action, message: str, **context):
    """A page asking for a reason, then running ``action(reason)``."""
    if form.validate_on_submit():
        try:
            action(form.reason.data)
        except DomainError as error:
            _place_errors(form, error)
        else:
            return _done(journey, message)
    return _form_page("journeys/reason.html", form, journey=journey, **context)


@bp.route("/journeys/<int:journey_id>/back", methods=["GET", "POST"])
def move_back(journey_id: int):
    journey = _journey(journey_id)
    previous = STAGES[journey.stage_index - 1] if journey.stage_index else None
    return _reason_page(
        journey,
        ReasonForm(),
        lambda reason: services.move_back(journey, reason=reason, actor=current_user, now=utcnow()),
        _("Moved back to %(stage)s.", stage=_stage(previous)),
        heading=_("Move back a stage"),
        intro=(
            _(
                "The journey goes back from %(stage)s to %(previous)s. "
                "The reason is kept in the history.",
                stage=_stage(journey.stage),
                previous=_stage(previous),
            )
            if previous
            else _("The journey is at its first stage.")
        ),
        submit_label=_("Move back"),
        variant="primary",
    )


@bp.route("/journeys/<int:journey_id>/cancel", methods=["GET", "POST"])
def cancel(journey_id: int):
    journey = _journey(journey_id)
    return _reason_page(
        journey,
        ReasonForm(),
        lambda reason: services.cancel(journey, reason=reason, actor=current_user, now=utcnow()),
        _("Journey cancelled; its future appointments were cancelled."),
        heading=_("Cancel this journey"),
        intro=(
            _(
                "Cancelling ends the journey for good and cancels its future appointments. "
                "Its record and history are kept."
            )
        ),
        submit_label=_("Cancel journey"),
        variant="danger",
    )


@bp.route("/journeys/<int:journey_id>/tasks/<int:task_id>/complete", methods=["POST"])
def complete_task(journey_id: int, task_id: int):
    journey = _journey(journey_id)
    task = _task(journey, task_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.complete_task(task, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            return _show(journey, status=422, error=error.message)
        return _done(journey, _("Done: %(title)s.", title=task.title))
    abort(400)


@bp.route("/journeys/<int:journey_id>/tasks/<int:task_id>/skip", methods=["GET", "POST"])
def skip_task(journey_id: int, task_id: int):
    journey = _journey(journey_id)
    task = _task(journey, task_id)
    return _reason_page(
        journey,
        ReasonForm(),
        lambda reason: services.skip_task(task, reason=reason, actor=current_user, now=utcnow()),
        _("Skipped: %(title)s.", title=task.title),
        heading=_("Skip a task"),
        intro=_("“%(title)s” will be marked as skipped. Say why.", title=task.title),
        submit_label=_("Skip task"),
        variant="primary",
    )


@bp.route("/journeys/<int:journey_id>/tasks/<int:task_id>/reopen", methods=["GET", "POST"])
def reopen_task(journey_id: int, task_id: int):
    journey = _journey(journey_id)
    task = _task(journey, task_id)
    return _reason_page(
        journey,
        ReasonForm(),
        lambda reason: services.reopen_task(task, reason=reason, actor=current_user, now=utcnow()),
        _("Reopened: %(title)s.", title=task.title),
        heading=_("Reopen a task"),
        intro=_(
            "“%(title)s” was marked %(status)s by mistake? It becomes open again.",
            title=task.title,
            status=humanize(task.status).lower(),
        ),
        submit_label=_("Reopen task"),
        variant="primary",
    )


def _appointment_values(form: AppointmentForm) -> dict:
    values = {
        "kind": form.kind.data,
        "title": form.title.data,
        "starts_at": at_local(form.date.data, form.time.data, clinic_tz()),
        "duration_minutes": form.duration_minutes.data,
        "location": (form.location.data or "").strip(),
    }
    if isinstance(form, EditAppointmentForm):
        values["status"] = form.status.data
    return values


@bp.route("/journeys/<int:journey_id>/appointments/new", methods=["GET", "POST"])
def new_appointment(journey_id: int):
    journey = _journey(journey_id)
    form = AppointmentForm()
    if form.validate_on_submit():
        try:
            appt = services.create_appointment(
                journey, _appointment_values(form), actor=current_user, now=utcnow()
            )
        except DomainError as error:
            _place_errors(form, error)
        else:
            return _done(journey, _("Appointment booked: %(title)s.", title=appt.title))
    return _form_page("journeys/appointment.html", form, journey=journey, appointment=None)


@bp.route(
    "/journeys/<int:journey_id>/appointments/<int:appointment_id>/edit", methods=["GET", "POST"]
)
def edit_appointment(journey_id: int, appointment_id: int):
    journey = _journey(journey_id)
    appt = _appointment(journey, appointment_id)
    local = appt.starts_at.astimezone(clinic_tz())
    form = EditAppointmentForm(obj=appt, date=local.date(), time=local.time())
    if form.validate_on_submit():
        try:
            services.update_appointment(
                appt, _appointment_values(form), actor=current_user, now=utcnow()
            )
        except DomainError as error:
            _place_errors(form, error)
        else:
            return _done(journey, _("Appointment saved: %(title)s.", title=appt.title))
    return _form_page("journeys/appointment.html", form, journey=journey, appointment=appt)


@bp.route(
    "/journeys/<int:journey_id>/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"]
)
def cancel_appointment(journey_id: int, appointment_id: int):
    journey = _journey(journey_id)
    appt = _appointment(journey, appointment_id)
    return _reason_page(
        journey,
        ReasonForm(),
        lambda reason: services.cancel_appointment(
            appt, reason=reason, actor=current_user, now=utcnow()
        ),
        _("Appointment cancelled: %(title)s.", title=appt.title),
        heading=_("Cancel an appointment"),
        intro=_(
            "“%(title)s” will be cancelled. The patient's calendar entry is withdrawn.",
            title=appt.title,
        ),
        submit_label=_("Cancel appointment"),
        variant="danger",
        appointment=appt,
    )


@bp.route("/journeys/<int:journey_id>/appointments/<int:appointment_id>/status", methods=["POST"])
def appointment_status(journey_id: int, appointment_id: int):
    journey = _journey(journey_id)
    appt = _appointment(journey, appointment_id)
    form = AppointmentStatusForm()
    if not form.validate_on_submit():
        return _show(journey, status=422, error=_("Choose completed or did not attend."))
    try:
        services.update_appointment(
            appt, {"status": form.status.data}, actor=current_user, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        return _show(journey, status=422, error=error.message)
    return _done(
        journey,
        _("%(title)s: %(status)s.", title=appt.title, status=VALUES[form.status.data].lower()),
    )


@bp.route("/journeys/<int:journey_id>/notes", methods=["POST"])
def add_note(journey_id: int):
    journey = _journey(journey_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(journey, form.body.data, actor=current_user, now=utcnow())
        except DomainError as error:
            _place_errors(form, error)
        else:
            return _done(journey, _("Note added."))
    return _show(journey, status=422, note_form=form)


def _stage(key: str | None) -> str:
    return stage_label(key).lower()
