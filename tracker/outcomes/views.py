"""Staff pages: a paper questionnaire typed in, corrections, returns to theatre, the report."""

from datetime import datetime, time, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from tracker.audit.services import record
from tracker.auth.access import require_clinical_staff
from tracker.clock import clinic_today, utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.forms import apply_errors
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.journeys.queries import active_clinicians
from tracker.outcomes import catalogue, export, report, snapshots, status
from tracker.outcomes.forms import (
    PaperEntryForm,
    ReasonForm,
    ReportFilterForm,
    TheatreReturnForm,
    item_answers,
    item_field,
)
from tracker.outcomes.models import QuestionnaireResponse, TheatreReturn
from tracker.outcomes.panel import (
    JourneyPanel,
    journey_panel,
    report_charts,
)
from tracker.outcomes.services import (
    Submission,
    mark_entered_in_error,
    record_submissions,
    record_theatre_return,
    void_theatre_return,
)
from tracker.pathways.services import latest_templates
from tracker.portal.alerts import patient_tz
from tracker.vocabulary import TIMEPOINT_STATES, TIMEPOINTS, humanize

bp = Blueprint("outcomes", __name__)
bp.before_request(require_clinical_staff)


@bp.app_template_global("outcomes_panel")
def outcomes_panel(journey: Journey) -> JourneyPanel:
    return journey_panel(journey, now=utcnow())


@bp.app_template_global("overdue_questionnaires")
def overdue_questionnaires() -> tuple[list[status.OverdueQuestionnaire], int]:
    now = utcnow()
    return status.overdue(clinic_today(now), now)


@bp.app_context_processor
def labels():
    return {"timepoint_labels": TIMEPOINTS, "state_labels": TIMEPOINT_STATES}


def _journey(journey_id: int) -> Journey:
    return db.get_or_404(Journey, journey_id)


def _back(journey: Journey):
    return redirect(url_for("journeys.show", journey_id=journey.id, _anchor="outcomes"), code=303)


@bp.route("/journeys/<int:journey_id>/questionnaires/<timepoint>/new", methods=["GET", "POST"])
def paper_entry(journey_id: int, timepoint: str):
    """Type in the questionnaires of one timepoint from a paper form or a phone call."""
    journey = _journey(journey_id)
    now = utcnow()
    tp_status = next(
        (s for s in status.journey_status(journey, now=now) if s.key == timepoint), None
    )
    if tp_status is None or not tp_status.instruments:
        abort(404)
    definitions = catalogue.definitions(tp_status.instruments)
    form = PaperEntryForm()
    problems: dict[str, list[str]] = {}
    if request.method == "GET":
        form.completed_on.data = now.astimezone(patient_tz(journey)).date()
    if form.validate_on_submit():
        # Noon on the patient's day: the form has a date, the record needs an instant.
        completed_at = datetime.combine(form.completed_on.data, time(12), patient_tz(journey))
        completed_at = min(completed_at, now)
        if timepoint == "baseline" and journey.surgery_at is not None:
            # A form filled in on the morning of the operation is still its baseline.
            completed_at = min(completed_at, journey.surgery_at - timedelta(minutes=1))
        submissions = [
            Submission(
                key, item_answers(request.form, key, definitions[key]), completed_at, timepoint
            )
            for key in tp_status.instruments
        ]
        try:
            record_submissions(
                journey, submissions, source=form.source.data, actor=current_user, now=now
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
            problems = error.errors
        else:
            db.session.commit()
            flash(
                _(
                    "%(timepoint)s questionnaires recorded (%(source)s).",
                    timepoint=TIMEPOINTS[timepoint],
                    source=humanize(form.source.data),
                ),
                "success",
            )
            return _back(journey)
    return render_template(
        "outcomes/paper_entry.html",
        journey=journey,
        status=tp_status,
        definitions=definitions,
        form=form,
        field_name=item_field,
        posted=request.form,
        item_problems=problems,
    ), 422 if form.errors or form.form_errors else 200


@bp.route(
    "/journeys/<int:journey_id>/questionnaires/<int:response_id>/entered-in-error",
    methods=["GET", "POST"],
)
def entered_in_error(journey_id: int, response_id: int):
    journey = _journey(journey_id)
    response = db.get_or_404(QuestionnaireResponse, response_id)
    if response.journey_id != journey.id:
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            mark_entered_in_error(response, form.reason.data, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(
                _("The questionnaire was marked as entered in error; it no longer counts."),
                "success",
            )
            return _back(journey)
    return render_template(
        "outcomes/entered_in_error.html", journey=journey, response=response, form=form
    ), 422 if form.errors else 200


@bp.route("/journeys/<int:journey_id>/theatre-returns/new", methods=["GET", "POST"])
def new_theatre_return(journey_id: int):
    journey = _journey(journey_id)
    form = TheatreReturnForm()
    if form.validate_on_submit():
        try:
            record_theatre_return(
                journey, form.occurred_on.data, form.reason.data, actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("Return to theatre recorded."), "success")
            return _back(journey)
    return render_template("outcomes/theatre_return.html", journey=journey, form=form), (
        422 if form.errors else 200
    )


@bp.route(
    "/journeys/<int:journey_id>/theatre-returns/<int:return_id>/withdraw", methods=["GET", "POST"]
)
def withdraw_theatre_return(journey_id: int, return_id: int):
    journey = _journey(journey_id)
    row = db.get_or_404(TheatreReturn, return_id)
    if row.journey_id != journey.id:
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            void_theatre_return(row, form.reason.data, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("The return to theatre was withdrawn."), "success")
            return _back(journey)
    return render_template(
        "outcomes/withdraw_theatre_return.html", journey=journey, row=row, form=form
    ), 422 if form.errors else 200


# ---- the report ------------------------------------------------------------------------------


def _filter_form() -> ReportFilterForm:
    form = ReportFilterForm(request.args)
    form.pathway.choices = [SelectChoice("", _("All pathways"))] + [
        SelectChoice(t.slug, t.name) for t in latest_templates()
    ]
    form.surgeon_id.choices = [SelectChoice("", _("All surgeons"))] + [
        SelectChoice(str(u.id), u.name) for u in active_clinicians()
    ]
    return form


def _filters(form: ReportFilterForm) -> report.ReportFilters | None:
    if not form.validate():
        return None
    surgeon = form.surgeon_id.data
    return report.ReportFilters(
        pathway=form.pathway.data or None,
        condition=form.condition.data or None,
        surgeon_id=int(surgeon) if surgeon and surgeon.isdigit() else None,
        surgery_from=form.surgery_from.data,
        surgery_to=form.surgery_to.data,
    )


def _label(field, value: str) -> str:
    return next((c.label for c in field.choices if c.value == value), value)


@bp.get("/reports/outcomes")
def report_page():
    form = _filter_form()
    filters = _filters(form)
    if filters is None:
        return render_template("outcomes/report.html", form=form, report=None), 422
    shown = snapshots.for_page(filters, now=utcnow())
    db.session.commit()  # the snapshot's refresh claimed, its reading noted
    if shown.start is not None and snapshots.start(current_app._get_current_object(), shown.start):
        shown = snapshots.for_page(filters, now=utcnow())  # made just now, in this request
        db.session.commit()
    result = shown.report
    return render_template(
        "outcomes/report.html",
        form=form,
        report=result,
        shown=shown,
        max_age=int(snapshots.max_age().total_seconds() // 60),
        live_limit=snapshots.live_limit(),
        charts=report_charts(result) if result else None,
        surgeon_name=_label(form.surgeon_id, str(filters.surgeon_id or "")),
        pathway_name=_label(form.pathway, filters.pathway or ""),
    )


@bp.get("/reports/outcomes.csv")
def report_csv():
    filters = _filters(_filter_form())
    if filters is None:
        abort(400, _("The report's filters are not valid."))
    now = utcnow()
    record("outcomes.export", filters, actor=current_user, now=now, details=filters.as_args())
    db.session.commit()
    return export.response(filters, now=now, today=clinic_today(now))
