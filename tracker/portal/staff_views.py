"""The staff side of the portal: the alert queue, portal invitations, check-ins taken by phone."""

import uuid
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_login import current_user
from markupsafe import Markup

from tracker.auth.access import require_clinical_staff
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError, NotFound
from tracker.forms import apply_errors
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.on_duty import services as on_duty
from tracker.portal import alerts, caregivers, links, services
from tracker.portal import milestones as milestone_rules
from tracker.portal.forms import (
    CaregiverForm,
    CheckInForm,
    InviteForm,
    PlainForm,
    ResolveForm,
    StaffMilestoneForm,
)
from tracker.portal.models import Alert
from tracker.portal.panel import StaffPanel, staff_panel
from tracker.reminders.notices import patient_channel

bp = Blueprint("portal_staff", __name__, cli_group="portal")

QUEUE_STATUSES = ("unresolved", "resolved")


bp.before_request(require_clinical_staff)


@bp.app_template_global("portal_panel")
def portal_panel(journey: Journey) -> StaffPanel:
    return staff_panel(journey)


@bp.app_template_global("open_alert_counts")
def open_alert_counts() -> dict[str, int]:
    return alerts.open_counts()


def _host(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{(parts.hostname or '').lower()}{port}"


@bp.app_template_global("portal_address_mismatch")
def portal_address_mismatch() -> str | None:
    """PORTAL_BASE_URL when this staff page was opened at another host: patient links and QR
    codes point there, not here. The scheme is not compared (a TLS proxy may stand in front)."""
    base = services.portal_base()
    return base if _host(base) != _host(request.host_url) else None


@bp.app_template_global("urgent_alerts")
def urgent_alerts() -> list[Alert]:
    return alerts.urgent_unresolved()


@bp.app_template_global("journey_open_alerts")
def journey_open_alerts(journey: Journey) -> list[Alert]:
    return services.open_alerts(journey)


@bp.app_template_global("alerts_told")
def alerts_told(items: list[Alert]) -> dict:
    """Who was told about each alert and when (on-duty and escalation messages)."""
    return on_duty.told([a.id for a in items])


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
        flash(
            _("Alert for %(full_name)s acknowledged.", full_name=alert.patient.full_name), "success"
        )
    back = request.form.get("next") or ""
    if back.startswith("/journeys/") and "//" not in back:
        return redirect(back, code=303)
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
            flash(
                _("Alert for %(full_name)s resolved.", full_name=alert.patient.full_name), "success"
            )
            return redirect(url_for(".index"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("alerts/resolve.html", alert=alert, form=form), status


# ---- invitations ---------------------------------------------------------------------------


def _queued_text(invited: links.Invited) -> str:
    parts = []
    for row in invited.messages:
        where = row.patient.phone if row.channel == "sms" else row.patient.email
        if row.due_at <= utcnow():
            text = _("by %(channel)s to %(address)s")
        else:
            text = _("by %(channel)s to %(address)s at %(when)s (after quiet hours)")
        when = format_datetime(row.due_at, "EEE d MMM HH:mm")
        parts.append(
            text
            % {
                "channel": _("SMS") if row.channel == "sms" else _("email"),
                "address": where,
                "when": when,
            }
        )
    if not parts:
        return ""
    return _("The personal link goes %(ways)s.", ways=_(" and ").join(parts))


@bp.route("/journeys/<int:journey_id>/portal/invite", methods=["GET", "POST"])
def invite(journey_id: int):
    """Choose how the new link reaches the patient; with a link already working, this page is
    the confirmation that it (and every portal session made from it) ends."""
    journey = _journey(journey_id)
    patient, now = journey.patient, utcnow()
    form = InviteForm()
    if not form.is_submitted():
        preferred = patient_channel(patient)
        if preferred:
            form[f"send_{preferred}"].data = True
        else:
            form.show_link.data = True
    if form.validate_on_submit():
        try:
            invited = links.invite(
                journey,
                send_by=form.send_by,
                show_link=form.show_link.data,
                actor=current_user,
                now=now,
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            if invited.token is None:
                flash(_queued_text(invited), "success")
                return _back_to_journey(journey)
            link = services.invitation_link(invited.token)
            code = segno.make(link, error="m")
            qr = Markup(code.svg_inline(scale=4, title="Portal link QR code"))
            page = render_template(
                "alerts/invite_link.html",
                journey=journey,
                link=link,
                qr=qr,
                invitation=invited.invitation,
                queued=_queued_text(invited),
            )
            # Shown once, in this answer only: never stored, never in the session cookie.
            return page, 200, {"Cache-Control": "no-store"}
    status = 422 if form.is_submitted() else 200
    return render_template(
        "alerts/invite.html",
        journey=journey,
        form=form,
        current=services.active_invitation(journey, now=now),
        problems={channel: links.channel_problem(patient, channel) for channel in links.SEND_BY},
    ), status


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
        flash(_("The portal link was withdrawn; it no longer opens the portal."), "success")
    return _back_to_journey(journey)


@bp.app_template_global("journey_caregivers")
def journey_caregivers(journey: Journey) -> list:
    return caregivers.caregivers(journey)


@bp.route("/journeys/<int:journey_id>/portal/caregivers", methods=["GET", "POST"])
def invite_caregiver(journey_id: int):
    """Invite a named caregiver: portal access of their own, their link sent or shown."""
    journey = _journey(journey_id)
    form = CaregiverForm()
    if form.validate_on_submit():
        details = caregivers.CaregiverDetails(
            form.name.data,
            form.relationship.data,
            form.phone.data,
            form.email.data,
            form.language.data or None,
        )
        try:
            caregiver, invited = caregivers.invite_caregiver(
                journey,
                details,
                send_by=form.send_by,
                show_link=form.show_link.data,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            if invited.token is None:
                flash(
                    _("%(name)s is invited; their own link is on its way.", name=caregiver.name),
                    "success",
                )
                return _back_to_journey(journey)
            link = services.invitation_link(invited.token)
            qr = Markup(
                segno.make(link, error="m").svg_inline(scale=4, title="Portal link QR code")
            )
            page = render_template(
                "alerts/invite_link.html",
                journey=journey,
                link=link,
                qr=qr,
                invitation=invited.invitation,
                queued="",
            )
            return page, 200, {"Cache-Control": "no-store"}
    status = 422 if form.is_submitted() else 200
    return render_template("alerts/caregiver.html", journey=journey, form=form), status


@bp.post("/journeys/<int:journey_id>/portal/caregivers/<int:caregiver_id>/withdraw")
def withdraw_caregiver(journey_id: int, caregiver_id: int):
    journey = _journey(journey_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        caregiver = caregivers.journey_caregiver(journey, caregiver_id)
        caregivers.withdraw(caregiver, actor=current_user, now=utcnow())
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s's access was withdrawn; the patient's stays.", name=caregiver.name),
            "success",
        )
    return _back_to_journey(journey)


@bp.post("/journeys/<int:journey_id>/milestones/<key>")
def mark_milestone(journey_id: int, key: str):
    """Staff mark or correct the day a milestone was reached (shown as entered by staff)."""
    journey = _journey(journey_id)
    form = StaffMilestoneForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reached_on.errors) or _("Choose the day."), "error")
        return _back_to_journey(journey)
    try:
        milestone_rules.mark_milestone(
            journey, key, form.reached_on.data, now=utcnow(), staff=current_user
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Milestone saved, marked as entered by staff."), "success")
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
