"""Discharge sheet pages: the clinician's draft, issuing, print preview, PDF, today's batch."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
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
from tracker.discharge import batch, content, jobs, pdf, services
from tracker.discharge import today as todays
from tracker.discharge.forms import BatchForm, DraftForm
from tracker.discharge.models import DischargeBatch, DischargeSheet
from tracker.errors import DomainError, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey

bp = Blueprint("discharge", __name__)
#: signed-off sheets listed on today's page before "show all" (those still to sign: every one)
SIGNED_SHOWN = 25


bp.before_request(require_clinical_staff)


@bp.app_template_global("discharge_sheets")
def discharge_sheets(journey: Journey) -> list[DischargeSheet]:
    return services.sheet_versions(journey)


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
        jobs.keep_sheet_pdf(current_app._get_current_object(), sheet.id, pdf.page_size(None))
        flash(
            _("Version %(version)s of the discharge sheet was issued.", version=sheet.version),
            "success",
        )
    else:
        flash(_("The discharge sheet draft was saved."), "success")
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
        title = _("DRAFT discharge sheet")
    else:
        endpoint, pdf_endpoint = ".print_sheet", ".sheet_pdf"
        args["sheet_id"] = sheet.id
        title = _("Discharge sheet v%(version)s", version=sheet.version)
    screen = {
        "lang": sheet.language if sheet else "en",
        "title": f"{title} · {journey.patient.full_name}",
        "back": url_for(".edit", journey_id=journey.id),
        "back_label": _("Discharge sheet"),
        "size": size,
        "size_links": {key: url_for(endpoint, size=key, **args) for key in pdf.PAGE_SIZES},
        "pdf": url_for(pdf_endpoint, size=size, **args),
        "note": _("Opening and downloading this sheet is recorded in the audit trail."),
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
    data = batch.sheet_pdf(sheet, size, now=utcnow())  # the kept PDF; made once
    _output(journey, sheet, "discharge.download", size)
    return _pdf_response(data, _filename(journey, f"v{sheet.version}"))


@bp.route("/discharge/today")
def today():
    now = utcnow()
    leaving = todays.overview(now)
    size = pdf.page_size(request.args.get("size"))
    signed = [entry for entry in leaving if entry.signed]
    show_all = request.args.get("all") == "1"
    shown = [entry.journey.patient_id for entry in leaving]
    record_read("discharge.list", actor=current_user, details={"shown": shown})
    return render_template(
        "discharge/today.html",
        signed=signed,
        signed_shown=signed if show_all else signed[:SIGNED_SHOWN],
        unsigned=[entry for entry in leaving if not entry.signed],
        today=clinic_today(now),
        size=size,
        form=BatchForm(formdata=None, size=size),
    )


@bp.post("/discharge/today/batch")
def start_batch():
    """Start preparing today's PDF and show its progress (the layout never holds this up)."""
    form = BatchForm()
    if not form.validate_on_submit():
        abort(400)
    size = pdf.page_size(form.size.data)
    try:
        prepared = todays.start_batch(
            size=size, include_drafts=form.drafts.data, actor=current_user, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for(".today", size=size), code=303)
    db.session.commit()
    jobs.start(current_app._get_current_object(), prepared.id)
    return redirect(url_for(".batch_page", batch_id=prepared.id), code=303)


def _batch(batch_id: int) -> DischargeBatch:
    return db.get_or_404(DischargeBatch, batch_id)


@bp.get("/discharge/batches/<int:batch_id>")
def batch_page(batch_id: int):
    prepared = _batch(batch_id)
    return (
        render_template("discharge/batch.html", batch=prepared, stalled=jobs.stalled(prepared)),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.get("/discharge/batches/<int:batch_id>.pdf")
def batch_pdf(batch_id: int):
    prepared = _batch(batch_id)
    if prepared.status != "ready":
        return redirect(url_for(".batch_page", batch_id=prepared.id), code=303)
    todays.record_download(prepared, actor=current_user, now=utcnow())
    db.session.commit()
    return _pdf_response(prepared.pdf, f"discharges-{prepared.day.isoformat()}.pdf")


@bp.route("/discharge/today.pdf")
def today_pdf():
    """The former one-click download: the PDF is now prepared from today's page."""
    size = pdf.page_size(request.args.get("size"))
    flash(_("Prepare the PDF of today's signed-off sheets with the button below."), "info")
    return redirect(url_for(".today", size=size), code=303)
