"""The staff side of the portal: the alert queue, portal invitations, check-ins taken by phone."""

import uuid

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from tracker.auth.access import require_clinical_staff
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.forms import apply_errors
from tracker.journeys.models import Journey
from tracker.portal import alerts, services
from tracker.portal.forms import CheckInForm, PlainForm, ResolveForm
from tracker.portal.models import Alert
from tracker.portal.panel import StaffPanel, staff_panel

bp = Blueprint("alerts", __name__, cli_group="portal")

#: the link just issued, kept in the staff session until the coordinator has seen it once
NEW_LINK_KEY = "portal_new_link"
QUEUE_STATUSES = ("unresolved", "resolved")


bp.before_request(require_clinical_staff)


@bp.app_template_global("portal_panel")
def portal_panel(journey: Journey) -> StaffPanel:
    return staff_panel(journey)


@bp.app_template_global("open_alert_counts")
def open_alert_counts() -> dict[str, int]:
    return alerts.open_counts()


def _journey(journey_id: int) -> Journey:
    return db.get_or_404(Journey, journey_id)


def _alert(alert_id: int) -> Alert:
    return db.get_or_404(Alert, alert_id)


def _back_to_journey(journey: Journey):
    return redirect(url_for("journeys.show", journey_id=journey.id, _anchor="portal"), code=303)


# ---- the queue ------------------------------------------------------------------------------


@bp.get("/alerts")
def index():
    status = request.args.get("status", "unresolved")
    if status not in QUEUE_STATUSES:
        status = "unresolved"
    return render_template(
        "alerts/index.html",
        alerts=alerts.queue(status),
        status=status,
        counts=alerts.open_counts(),
        form=PlainForm(),
    )


@bp.post("/alerts/<int:alert_id>/acknowledge")
def acknowledge(alert_id: int):
    alert = _alert(alert_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        alerts.acknowledge(alert, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"Alert for {alert.patient.full_name} acknowledged.", "success")
    return redirect(url_for(".index"), code=303)


@bp.route("/alerts/<int:alert_id>/resolve", methods=["GET", "POST"])
def resolve(alert_id: int):
    alert = _alert(alert_id)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            alerts.resolve(alert, form.note.data, actor=current_user, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(f"Alert for {alert.patient.full_name} resolved.", "success")
            return redirect(url_for(".index"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("alerts/resolve.html", alert=alert, form=form), status


# ---- invitations ---------------------------------------------------------------------------


@bp.post("/journeys/<int:journey_id>/portal/invite")
def invite(journey_id: int):
    journey = _journey(journey_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        _invitation, token = services.issue_invitation(journey, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to_journey(journey)
    db.session.commit()
    session[NEW_LINK_KEY] = {"journey_id": journey.id, "token": token}
    return redirect(url_for(".invite_link", journey_id=journey.id), code=303)


@bp.get("/journeys/<int:journey_id>/portal/link")
def invite_link(journey_id: int):
    """Show a just-issued link once (with a QR code): only its hash is kept."""
    journey = _journey(journey_id)
    new = session.get(NEW_LINK_KEY) or {}
    link = qr = None
    if new.get("journey_id") == journey.id:
        session.pop(NEW_LINK_KEY)
        link = services.invitation_link(new["token"])
        qr = Markup(segno.make(link, error="m").svg_inline(scale=4, title="Portal link QR code"))
    response = render_template(
        "alerts/invite_link.html",
        journey=journey,
        link=link,
        qr=qr,
        invitation=services.active_invitation(journey, now=utcnow()),
    )
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/journeys/<int:journey_id>/portal/revoke")
def revoke(journey_id: int):
    journey = _journey(journey_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        services.revoke_invitations(journey, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("The portal link was withdrawn; it no longer opens the portal.", "success")
    return _back_to_journey(journey)


# ---- check-ins taken by phone -------------------------------------------------------------


@bp.route("/journeys/<int:journey_id>/check-ins/new", methods=["GET", "POST"])
def phone_check_in(journey_id: int):
    journey = _journey(journey_id)
    form = CheckInForm()
    if not form.is_submitted():
        form.idempotency_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        values = form.values()
        try:
            saved, _new = services.record_check_in(
                journey, values, now=utcnow(), staff=current_user
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            message = "Check-in taken by phone recorded."
            if saved.red_flags:
                message += " A red flag was reported: an urgent alert is open."
            flash(message, "success")
            return _back_to_journey(journey)
    status = 422 if form.is_submitted() else 200
    return render_template("alerts/phone_check_in.html", journey=journey, form=form), status


@bp.cli.command("daily-checks")
def daily_checks_command():
    """Raise missed-check-in alerts (run once a day, e.g. from the scheduler or cron)."""
    raised = alerts.run_daily_checks(now=utcnow())
    db.session.commit()
    print(f"{len(raised)} missed-check-in alert(s) raised.")
