"""Staff pages for patients: the list, the board, the forms and the patient page."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.audit.services import record_read
from tracker.auth.access import clinical_required
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.forms import apply_errors
from tracker.i18n import gettext as _
from tracker.paging import paginate_segments
from tracker.pathways.models import STAGES
from tracker.pathways.services import latest_templates
from tracker.patients import services
from tracker.patients.forms import PatientForm
from tracker.patients.models import Patient

bp = Blueprint("patients", __name__, url_prefix="/patients")
PAGE_SIZE = 25
#: cards shown per stage column; the column's count says how many there are
BOARD_LIMIT = 40


def _filters() -> dict:
    """The list filters from the query string, cleaned (unknown values are dropped)."""
    args = request.args
    stage = args.get("stage", "")
    sort = args.get("sort", "name")
    surgeon = args.get("surgeon", "")
    return {
        "q": args.get("q", "").strip()[:100] or None,
        "stage": stage if stage in STAGES else None,
        "pathway": args.get("pathway", "").strip()[:60] or None,
        "surgeon": int(surgeon) if surgeon.isdigit() else None,
        "sort": sort if sort in services.SORTS else "name",
    }


def _filter_options() -> dict:
    return {"stages": STAGES, "pathways": latest_templates(), "surgeons": services.surgeons()}


@bp.get("")
@clinical_required
def index():
    filters = _filters()
    segments = services.list_segments(
        q=filters["q"],
        stage=filters["stage"],
        pathway=filters["pathway"],
        surgeon_id=filters["surgeon"],
        sort=filters["sort"],
    )
    page = paginate_segments(segments, per_page=PAGE_SIZE)
    _record_list(filters, [patient.id for patient in page.items], page.total)
    return render_template(
        "patients/index.html",
        page=page,
        journeys=services.active_journeys_for(page.items),
        filters=filters,
        **_filter_options(),
    )


@bp.get("/board")
@clinical_required
def board():
    filters = _filters()
    columns = services.board(
        q=filters["q"], pathway=filters["pathway"], surgeon_id=filters["surgeon"], limit=BOARD_LIMIT
    )
    shown = [patient.id for column in columns for patient, _journey in column.cards]
    _record_list(filters, shown, sum(column.total for column in columns), view="board")
    return render_template(
        "patients/board.html",
        columns=columns,
        filters=filters,
        limit=BOARD_LIMIT,
        **_filter_options(),
    )


def _record_list(filters: dict, shown: list[int], total: int, view: str = "list") -> None:
    """One audit row for a list of patients: the search and which patients it showed."""
    details = {key: value for key, value in filters.items() if value}
    details.update(view=view, shown=shown, total=total)
    record_read("patient.search", actor=current_user, details=details)


def _patient_or_404(patient_id: int) -> Patient:
    return services.get_patient(patient_id) or abort(
        404, _("There is no patient with this number.")
    )


def _save(form: PatientForm, action) -> Patient | None:
    """Run ``action(values)`` for a submitted form; commit, or roll back and keep the errors."""
    parsed = form.validate_on_submit()
    try:
        patient = action(form.values())
    except DomainError as error:
        apply_errors(form, error)
        parsed = False
    if not parsed:
        db.session.rollback()
        return None
    db.session.commit()
    return patient


@bp.route("/new", methods=["GET", "POST"])
@clinical_required
def new():
    form = PatientForm(default_timezone=current_app.config["CLINIC_TIMEZONE"])
    if request.method == "POST":
        patient = _save(
            form, lambda values: services.create_patient(values, actor=current_user, now=utcnow())
        )
        if patient is not None:
            flash(_("%(full_name)s is added.", full_name=patient.full_name), "success")
            return redirect(url_for("patients.show", patient_id=patient.id))
        return render_template("patients/form.html", form=form, patient=None), 422
    return render_template("patients/form.html", form=form, patient=None)


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@clinical_required
def edit(patient_id: int):
    patient = _patient_or_404(patient_id)
    form = PatientForm(obj=patient, default_timezone=current_app.config["CLINIC_TIMEZONE"])
    if request.method == "POST":
        saved = _save(
            form,
            lambda values: services.update_patient(
                patient, values, actor=current_user, now=utcnow()
            ),
        )
        if saved is not None:
            flash(_("%(full_name)s is saved.", full_name=saved.full_name), "success")
            return redirect(url_for("patients.show", patient_id=saved.id))
        return render_template("patients/form.html", form=form, patient=patient), 422
    return render_template("patients/form.html", form=form, patient=patient)


@bp.get("/<int:patient_id>")
@clinical_required
def show(patient_id: int):
    patient = _patient_or_404(patient_id)
    record_read("patient.view", patient, actor=current_user, patient_id=patient.id)
    journeys = services.journeys_of(patient)
    return render_template(
        "patients/show.html",
        patient=patient,
        journeys=journeys,
        active=next((j for j in journeys if j.status == "active"), None),
        history=services.history_of(patient),
    )
