"""The clinic outbox: every reminder, failures first; resend and cancel; the SMS STOP webhook."""

import hmac
from datetime import date
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from tracker.audit.services import record_read
from tracker.auth.access import clinical_required
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.extensions import csrf
from tracker.i18n import gettext as _
from tracker.paging import paginate_segments
from tracker.reminders import actions, planning, queries
from tracker.reminders.models import AUDIENCES, CHANNELS, STATUSES, Reminder
from tracker.timeutil import clinic_tz

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
PAGE_SIZE = 50


def _filters() -> queries.OutboxFilters:
    args = request.args
    day = None
    if args.get("day"):
        try:
            day = date.fromisoformat(args["day"])
        except ValueError:
            flash(_("Enter the day as YYYY-MM-DD."), "error")
    return queries.OutboxFilters(
        status=args.get("status", "") if args.get("status") in STATUSES else "",
        channel=args.get("channel", "") if args.get("channel") in CHANNELS else "",
        audience=args.get("audience", "") if args.get("audience") in AUDIENCES else "",
        q=args.get("q", "").strip()[:100],
        day=day,
    )


@bp.get("/")
@clinical_required
def index():
    filters = _filters()
    page = paginate_segments(queries.outbox_segments(filters, clinic_tz()), per_page=PAGE_SIZE)
    record_read(
        "reminder.list",
        actor=current_user,
        details={"shown": sorted({r.patient_id for r in page.items}), "total": page.total},
    )
    return render_template(
        "reminders/outbox.html",
        page=page,
        # loaded at once and held while rendering: appointment titles are worded from them
        pathways=queries.pathway_templates(),
        filters=filters,
        counts=queries.problem_counts(),
        statuses=STATUSES,
        channels=CHANNELS,
        audiences=AUDIENCES,
    )


def _back(reminder: Reminder):
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return redirect(target)
    return redirect(url_for("outbox.index"))


@bp.post("/<int:reminder_id>/resend")
@clinical_required
def resend(reminder_id: int):
    reminder = db.get_or_404(Reminder, reminder_id)
    try:
        actions.resend(reminder, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(reminder)
    db.session.commit()
    flash(_("The reminder is queued and goes out with the next dispatch."), "success")
    return _back(reminder)


@bp.post("/<int:reminder_id>/cancel")
@clinical_required
def cancel(reminder_id: int):
    reminder = db.get_or_404(Reminder, reminder_id)
    try:
        actions.cancel_reminder(
            reminder, reason=request.form.get("reason", ""), actor=current_user, now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(reminder)
    db.session.commit()
    flash(_("The reminder is cancelled."), "success")
    return _back(reminder)


def _stop_token_ok() -> bool:
    expected = current_app.config.get("SMS_STOP_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        given = request.headers.get("X-Stop-Token", "")
    return bool(expected) and hmac.compare_digest(given.strip().encode(), expected.encode())


@bp.post("/sms/stop")
@csrf.exempt
def sms_stop():
    """The SMS gateway forwards replies here: ``{"from": "+62…", "text": "STOP"}``."""
    if not current_app.config.get("SMS_STOP_TOKEN"):
        abort(404)
    if not _stop_token_ok():
        return jsonify(message=_("Send the shared STOP token as 'Authorization: Bearer …'.")), 401
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if isinstance(data, dict) or hasattr(data, "get") else {}
    try:
        withdrawn = planning.stop_sms(
            str(data.get("from", "")), str(data.get("text", "")), now=utcnow()
        )
    except DomainError as error:
        db.session.rollback()
        return jsonify(message=error.message, errors=error.errors), error.status
    db.session.commit()
    return jsonify(withdrawn=withdrawn)


def patient_local(value, tz_name: str, fmt: str = "EEE dd MMM y, HH:mm") -> str:
    """An instant in the patient's own time zone, with the zone's abbreviation, in the
    reader's language."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz_name))
    return f"{babel_dates.format_datetime(local, fmt, locale=get_locale())} {local.tzname()}"
