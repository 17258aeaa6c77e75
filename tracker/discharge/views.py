"""Discharge sheet pages: the clinician's draft, issuing, print preview, PDF, today's batch."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from tracker.audit.services import record_read
from tracker.auth.access import require_clinical_staff
from tracker.clock import clinic_today, utcnow
from tracker.db import db
from tracker.discharge import content, pdf, services
from tracker.discharge.forms import DraftForm
from tracker.discharge.models import DischargeSheet
from tracker.errors import DomainError, NotFound, ValidationFailed
from tracker.journeys.models import Journey

bp = Blueprint("discharge", __name__)


bp.before_request(require_clinical_staff)


@bp.app_template_global("discharge_sheets")
def discharge_sheets(journey: Journey) -> list[DischargeSheet]:
    return services.issued_sheets(journey)


def _journey(journey_id: int) -> Journey:
    try:
        return services.get_journey(journey_id)
    except NotFound:
        abort(404)


def _sheet(journey: Journey, sheet_id: int) -> DischargeSheet:
    try:
        return services.get_sheet(journey, sheet_id)
    except NotFound:
        abort(404)


def _edit_page(journey: Journey, form: DraftForm, status: int = 200):
    now = utcnow()
    form.pad()
    return render_template(
        "discharge/edit.html",
        journey=journey,
        form=form,
        draft=services.draft_for(journey),
        sheets=services.issued_sheets(journey),
        missing=content.missing_facts(journey, now),
        issue_problem=services.issue_problem(journey, current_user),
        before_discharge=services.is_before_discharge(journey),
    ), status


@bp.route("/journeys/<int:journey_id>/discharge", methods=["GET", "POST"])
def edit(journey_id: int):
    journey = _journey(journey_id)
    draft = services.draft_for(journey)
    if request.method == "GET":
        record_read("discharge.view", journey, actor=current_user, patient_id=journey.patient_id)
        form = DraftForm(
            data={
                "language": draft.language if draft else journey.patient.language,
                "extra_instructions": draft.extra_instructions if draft else "",
                "medications": draft.medications if draft else [],
            }
        )
        return _edit_page(journey, form)
    form = DraftForm()
    if not form.validate():
        return _edit_page(journey, form, 422)
    now = utcnow()
    try:
        services.save_draft(journey, form.values(), actor=current_user, now=now)
        sheet = (
            services.issue_sheet(journey, actor=current_user, now=now) if form.issue.data else None
        )
    except DomainError as error:
        db.session.rollback()
        form.apply_errors(error)
        if not error.errors:
            form.form_errors.append(error.message)
        return _edit_page(journey, form, error.status)
    db.session.commit()
    if sheet is not None:
        flash(f"Version {sheet.version} of the discharge sheet was issued.", "success")
    else:
        flash("The discharge sheet draft was saved.", "success")
    return redirect(url_for(".edit", journey_id=journey.id), code=303)


def _missing_page(journey: Journey, error: ValidationFailed):
    db.session.rollback()
    return render_template("discharge/missing.html", journey=journey, message=error.message), 422


def _filename(journey: Journey, label: str) -> str:
    mrn = "".join(ch for ch in journey.patient.mrn if ch.isalnum() or ch in "-_")
    return f"discharge-{mrn}-{label}.pdf"


def _pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _print_page(journey: Journey, fragment: str, size: str, sheet: DischargeSheet | None):
    args = {"journey_id": journey.id}
    if sheet is None:
        endpoint, pdf_endpoint = ".print_draft", ".draft_pdf"
        title = "DRAFT discharge sheet"
    else:
        endpoint, pdf_endpoint = ".print_sheet", ".sheet_pdf"
        args["sheet_id"] = sheet.id
        title = f"Discharge sheet v{sheet.version}"
    screen = {
        "lang": sheet.language if sheet else "en",
        "title": f"{title} · {journey.patient.full_name}",
        "back": url_for(".edit", journey_id=journey.id),
        "back_label": "Discharge sheet",
        "size": size,
        "size_links": {key: url_for(endpoint, size=key, **args) for key in pdf.PAGE_SIZES},
        "pdf": url_for(pdf_endpoint, size=size, **args),
        "note": "Opening and downloading this sheet is recorded in the audit trail.",
    }
    html = pdf.render_page([fragment], size=size, screen=screen)
    return Response(html, headers={"Cache-Control": "no-store"})


def _output(journey: Journey, sheet: DischargeSheet | None, action: str, size: str) -> None:
    services.record_output(
        journey, sheet, action=action, size=size, actor=current_user, now=utcnow()
    )
    db.session.commit()


@bp.route("/journeys/<int:journey_id>/discharge/print")
def print_draft(journey_id: int):
    journey = _journey(journey_id)
    size = pdf.page_size(request.args.get("size"))
    try:
        fragment = services.draft_fragment(journey, now=utcnow())
    except ValidationFailed as error:
        return _missing_page(journey, error)
    _output(journey, None, "discharge.print", size)
    return _print_page(journey, fragment, size, None)


@bp.route("/journeys/<int:journey_id>/discharge/draft.pdf")
def draft_pdf(journey_id: int):
    journey = _journey(journey_id)
    size = pdf.page_size(request.args.get("size"))
    try:
        fragment = services.draft_fragment(journey, now=utcnow())
    except ValidationFailed as error:
        return _missing_page(journey, error)
    data = pdf.write_pdf([fragment], size=size)
    _output(journey, None, "discharge.download", size)
    return _pdf_response(data, _filename(journey, "DRAFT"))


@bp.route("/journeys/<int:journey_id>/discharge/sheets/<int:sheet_id>")
def print_sheet(journey_id: int, sheet_id: int):
    journey = _journey(journey_id)
    sheet = _sheet(journey, sheet_id)
    size = pdf.page_size(request.args.get("size"))
    _output(journey, sheet, "discharge.print", size)
    return _print_page(journey, sheet.html, size, sheet)


@bp.route("/journeys/<int:journey_id>/discharge/sheets/<int:sheet_id>.pdf")
def sheet_pdf(journey_id: int, sheet_id: int):
    journey = _journey(journey_id)
    sheet = _sheet(journey, sheet_id)
    size = pdf.page_size(request.args.get("size"))
    data = pdf.write_pdf([sheet.html], size=size)
    _output(journey, sheet, "discharge.download", size)
    return _pdf_response(data, _filename(journey, f"v{sheet.version}"))


@bp.route("/discharge/today")
def today():
    now = utcnow()
    included, skipped = services.plan_batch(now)
    record_read(
        "discharge.list",
        actor=current_user,
        details={"shown": [j.patient_id for j, _sheet in included + skipped]},
    )
    return render_template(
        "discharge/today.html",
        included=included,
        skipped=skipped,
        today=clinic_today(now),
        size=pdf.page_size(request.args.get("size")),
    )


@bp.route("/discharge/today.pdf")
def today_pdf():
    now = utcnow()
    size = pdf.page_size(request.args.get("size"))
    batch = services.batch_pdf(size=size, actor=current_user, now=now)
    if batch.pdf is None:
        db.session.rollback()
        flash("No discharge sheet can be printed for today.", "info")
        return redirect(url_for(".today", size=size), code=303)
    db.session.commit()
    day = clinic_today(now).isoformat()
    return _pdf_response(batch.pdf, f"discharges-{day}.pdf")
