"""The audit trail for admins (filters, CSV export), "who opened this record" on a patient's
page, and the commit that keeps the reads a request noted."""

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from tracker.audit import queries
from tracker.audit.forms import AuditFilterForm
from tracker.audit.models import AuditEvent
from tracker.audit.services import record_read
from tracker.auth.access import admin_required
from tracker.clock import clinic_today
from tracker.db import db
from tracker.i18n import gettext as _
from tracker.paging import paginate

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50
#: rows in one CSV export; narrow the filters for more
EXPORT_LIMIT = 100_000


@bp.after_app_request
def keep_reads(response):
    """Commit the reads a page or API answer noted, once it has been built without error.

    Committing after the answer is built, not in the view, means the objects it shows are not
    expired and loaded again: the read costs its one INSERT. A failed answer showed nothing,
    so its reads are dropped.
    """
    pending = any(isinstance(obj, AuditEvent) and obj.kind == "read" for obj in db.session.new)
    if not pending:
        return response
    if response.status_code >= 400:
        db.session.rollback()
        return response
    # The answer is built: nothing reads the objects again, so keep them as they are rather
    # than expiring them (which only matters where a session outlives the request, in tests).
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    return response


@bp.app_template_global("opened_by")
def opened_by(patient_id: int) -> list[AuditEvent]:
    return queries.opened_by(patient_id)


def _filters() -> tuple[AuditFilterForm, queries.AuditFilters | None]:
    """The form and the filters it asks for; None when a filter is not valid."""
    form = AuditFilterForm(request.args)
    form.user.choices = [SelectChoice("", _("Anyone"))] + [
        SelectChoice(str(user.id), _("%(name)s (%(email)s)", name=user.name, email=user.email))
        for user in queries.staff_users()
    ]
    form.action.choices = [SelectChoice("", _("Any action"))] + [
        SelectChoice(action, action) for action in queries.actions()
    ]
    if not form.validate():
        return form, None
    patient = None
    if form.patient.data and form.patient.data.strip():
        patient = queries.patient_by_reference(form.patient.data)
        if patient is None:
            form.patient.errors = ["No patient has this MRN or number."]
            return form, None
    if form.date_from.data and form.date_to.data and form.date_from.data > form.date_to.data:
        form.date_to.errors = ["The end date comes before the start date."]
        return form, None
    return form, queries.AuditFilters(
        patient=patient,
        user_id=int(form.user.data) if form.user.data else None,
        action=form.action.data or None,
        kind=form.kind.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


@bp.get("/admin/audit")
@admin_required
def index():
    form, filters = _filters()
    page = patients = None
    if filters is not None:
        page = paginate(queries.events_query(filters), per_page=PAGE_SIZE)
        patients = queries.patients_of(page.items)
        record_read("audit.view", actor=current_user, details=filters.described())
    status = 200 if filters is not None else 422
    return render_template("audit/index.html", form=form, page=page, patients=patients), status


@bp.get("/admin/audit.csv")
@admin_required
def export():
    form, filters = _filters()
    if filters is None:
        return render_template("audit/index.html", form=form, page=None, patients=None), 422
    record_read("audit.export", actor=current_user, details=filters.described())
    db.session.commit()  # on record before the first byte leaves, even if the download breaks
    lines = queries.csv_lines(queries.events_query(filters), limit=EXPORT_LIMIT)
    filename = f"audit-{clinic_today().isoformat()}.csv"
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
