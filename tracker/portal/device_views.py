"""Staff see a patient's signed-in portal devices on the journey page and can sign them out."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user

from tracker.auth.access import require_clinical_staff
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import NotFound
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.portal import sessions
from tracker.portal.forms import PlainForm
from tracker.portal.models import PortalSession

bp = Blueprint("portal_devices", __name__)
bp.before_request(require_clinical_staff)


@bp.app_template_global("portal_devices")
def portal_devices(journey: Journey) -> list[PortalSession]:
    return sessions.open_sessions(journey.patient_id, now=utcnow())


@bp.app_template_filter("device_label")
def device_label(user_agent: str) -> str:
    return sessions.device_label(user_agent or "")


def _back(journey: Journey):
    return redirect(url_for("journeys.show", journey_id=journey.id, _anchor="portal"), code=303)


@bp.post("/journeys/<int:journey_id>/portal/devices/<int:session_id>/sign-out")
def sign_out_device(journey_id: int, session_id: int):
    journey = db.get_or_404(Journey, journey_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        device = sessions.patient_session(journey.patient_id, session_id)
    except NotFound:
        abort(404)
    sessions.end(device, reason="staff", now=utcnow(), actor=current_user)
    db.session.commit()
    flash(
        _(
            "%(device_label)s is signed out of the portal.",
            device_label=sessions.device_label(device.user_agent),
        ),
        "success",
    )
    return _back(journey)


@bp.post("/journeys/<int:journey_id>/portal/devices/sign-out")
def sign_out_devices(journey_id: int):
    journey = db.get_or_404(Journey, journey_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    count = sessions.sign_out_devices(journey.patient_id, actor=current_user, now=utcnow())
    db.session.commit()
    flash(
        _(
            "%(count)s device(s) signed out of the portal; the patient's link still works.",
            count=count,
        ),
        "success",
    )
    return _back(journey)
