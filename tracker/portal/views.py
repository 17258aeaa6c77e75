"""The patient portal: pages for the patient, on a phone, scoped by the portal session only."""

import time
import uuid
from datetime import date, datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_wtf.csrf import CSRFError

from tracker.clock import utcnow
from tracker.db import db
from tracker.discharge.services import latest_sheet
from tracker.errors import DomainError, NotFound
from tracker.extensions import limiter
from tracker.forms import apply_errors
from tracker.journeys.wording import appointment_location, appointment_title
from tracker.portal import calendar, caregivers, links, services, sessions
from tracker.portal import milestones as milestone_rules
from tracker.portal.forms import (
    CheckInForm,
    LanguageForm,
    LinkRequestForm,
    MilestoneForm,
    PlainForm,
)
from tracker.portal.locale import (
    LANGUAGE_KEY,
    PORTAL_COOKIE,
    current_invitation,
    current_portal_session,
    forget_device,
    languages,
    remember_device,
)
from tracker.portal.models import CheckIn
from tracker.portal.panel import chart_for

bp = Blueprint("portal", __name__, url_prefix="/portal")


def _token_limit() -> str:
    return current_app.config.get("PORTAL_TOKEN_RATE_LIMIT", "10 per 15 minutes")


def _link_request_limit() -> str:
    return current_app.config.get("PORTAL_LINK_REQUEST_RATE_LIMIT", "5 per 15 minutes")


def _refused(response) -> bool:
    """Only wrong or dead links count against the limit, not a patient's own visits."""
    return response.status_code == 404


@bp.context_processor
def portal_context():
    return {
        "portal_locale": _language(),
        "portal_signed_in": current_invitation() is not None,
    }


def portal_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        invitation = current_invitation()
        if db.session.dirty:
            db.session.commit()  # the visit noted, or a lapsed session closed
        if invitation is None:
            response = make_response(render_template("portal/signed_out.html"), 401)
            if PORTAL_COOKIE in request.cookies:
                forget_device(response)
            return response
        g.journey = invitation.journey
        g.patient = invitation.patient
        #: a caregiver signed in acts on the patient's behalf, under their own name
        g.caregiver = invitation.caregiver
        return view(*args, **kwargs)

    return wrapper


def _language() -> str:
    return str(get_locale() or "en")


@bp.errorhandler(429)
def too_many(error):
    db.session.rollback()
    return render_template("portal/too_many.html"), 429


@bp.errorhandler(CSRFError)
def form_expired(error):
    db.session.rollback()
    return render_template("portal/expired_form.html"), 400


# ---- the link -------------------------------------------------------------------------------


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(_token_limit, deduct_when=_refused)
def link(token: str):
    """GET only asks to continue (mail scanners open links); the POST signs the patient in."""
    now = utcnow()
    invitation = services.find_invitation(token, now=now)
    if invitation is None:
        return render_template("portal/invalid_link.html"), 404
    g.portal_link_language = (
        invitation.caregiver.reads
        if invitation.caregiver_id is not None
        else invitation.patient.language
    )
    form = PlainForm()
    if not form.validate_on_submit():
        return render_template("portal/continue.html", form=form)
    invitation = services.exchange(token, now=now)
    previous = current_portal_session()
    if previous is not None:
        sessions.end(previous, reason="replaced", now=now)
    portal_session, device_token = sessions.start(
        invitation,
        now=now,
        user_agent=request.user_agent.string,
        ip=request.remote_addr,
    )
    db.session.commit()
    response = redirect(url_for(".home"), code=303)
    remember_device(response, device_token, portal_session.expires_at)
    return response


@bp.post("/language")
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in languages():
        session[LANGUAGE_KEY] = form.language.data
    target = form.next.data or ""
    if not target.startswith("/portal/") or "//" in target or "\\" in target:
        target = url_for(".home")
    return redirect(target, code=303)


@bp.post("/send-link")
@limiter.limit(_link_request_limit)
def send_link():
    """A patient who lost their link asks for a new one; the answer never says if they matched.

    The link goes to the contact on file, never to the screen. The answer takes at least
    PORTAL_LINK_REQUEST_SECONDS whether or not anything matched, so its timing tells nothing.
    """
    started = time.monotonic()
    form = LinkRequestForm()
    if not form.validate_on_submit():
        return render_template("portal/signed_out.html", link_form=form), 422
    links.request_link(form.birth_date.data, form.contact.data, now=utcnow())
    db.session.commit()
    floor = float(current_app.config.get("PORTAL_LINK_REQUEST_SECONDS", 0.5))
    time.sleep(max(0.0, floor - (time.monotonic() - started)))
    return redirect(url_for(".link_sent"), code=303)


@bp.get("/link-sent")
def link_sent():
    return render_template("portal/link_sent.html")


@bp.post("/sign-out")
def sign_out():
    """End this device's session on the server too: a copy of the cookie opens nothing."""
    if not PlainForm().validate_on_submit():
        abort(400)
    portal_session = current_portal_session()
    if portal_session is not None:
        sessions.end(portal_session, reason="signed_out", now=utcnow())
        db.session.commit()
        g.portal_session = None
    response = make_response(render_template("portal/signed_out.html", signed_out=True))
    forget_device(response)
    return response


# ---- pages -------------------------------------------------------------------------------------


@bp.get("/")
@portal_required
def home():
    now = utcnow()
    journey = g.journey
    return render_template(
        "portal/home.html",
        journey=journey,
        today_check_in=services.checked_in_today(journey, now),
        appointments=services.upcoming_appointments(journey, now=now),
        sheet=latest_sheet(journey),
        chart=chart_for(journey, _language()),
        title_of=lambda appt: appointment_title(appt, _language()),
        place_of=lambda appt: appointment_location(appt, _language()),
    )


@bp.route("/check-in", methods=["GET", "POST"])
@portal_required
def check_in():
    form = CheckInForm()
    if not form.is_submitted():
        form.idempotency_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        values = form.values()
        try:
            saved, _new = services.record_check_in(
                g.journey, values, now=utcnow(), caregiver=g.caregiver
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            # Where to go is read before the commit, which would expire the row and reload it.
            if saved.red_flags:
                target = url_for(".check_in_advice", check_in_id=saved.id)
            else:
                target = url_for(".thanks")
            db.session.commit()
            return redirect(target, code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("portal/check_in.html", form=form), status


@bp.get("/check-in/thanks")
@portal_required
def thanks():
    latest = services.checked_in_today(g.journey, utcnow())
    return render_template("portal/thanks.html", check_in=latest)


@bp.get("/advice")
@portal_required
def advice():
    """The warning signs and what to do about each (linked from the home page)."""
    return render_template("portal/advice.html", check_in=None, level=None)


@bp.get("/check-in/<int:check_in_id>/advice")
@portal_required
def check_in_advice(check_in_id: int):
    """What to do now about the warning signs just reported: emergency first when it is one."""
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None or check_in.journey_id != g.journey.id or not check_in.red_flags:
        abort(404)
    level = services.advice_level(check_in)
    return render_template("portal/advice.html", check_in=check_in, level=level)


@bp.get("/access")
@portal_required
def access():
    """Who can open this portal: the patient, and each caregiver with access."""
    return render_template(
        "portal/access.html",
        caregivers=caregivers.caregivers(g.journey, active_only=True),
    )


@bp.get("/milestones")
@portal_required
def milestones():
    return _milestones_page({})


def _milestones_page(forms: dict, status: int = 200):
    now = utcnow()
    items = milestone_rules.milestones(g.journey)
    for item in items:
        forms.setdefault(item.key, MilestoneForm(prefix=item.key, formdata=None))
    return render_template(
        "portal/milestones.html",
        items=items,
        forms=forms,
        today=services.patient_today(g.journey, now),
        language=_language(),
    ), status


@bp.post("/milestones/<key>")
@portal_required
def mark_milestone(key: str):
    now = utcnow()
    form = MilestoneForm(prefix=key)
    if not form.validate_on_submit():
        return _milestones_page({key: form}, 422)
    today = services.patient_today(g.journey, now)
    reached = {"today": today, "yesterday": today - timedelta(days=1)}.get(
        form.when.data, form.reached_on.data
    )
    try:
        milestone_rules.mark_milestone(g.journey, key, reached, now=now, caregiver=g.caregiver)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        apply_errors(form, error)
        return _milestones_page({key: form}, 422)
    db.session.commit()
    return redirect(url_for(".milestones", _anchor=f"ms-{key}"), code=303)


@bp.get("/discharge")
@portal_required
def discharge():
    sheet = latest_sheet(g.journey)
    if sheet is None:
        abort(404)
    return render_template("portal/discharge.html", sheet=sheet)


# ---- calendar ----------------------------------------------------------------------------------


def _ics(data: bytes, filename: str, *, download: bool = True) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/appointments/<int:appointment_id>.ics")
@portal_required
def appointment_ics(appointment_id: int):
    try:
        appt = services.journey_appointment(g.journey, appointment_id)
    except NotFound:
        abort(404)
    data = calendar.appointment_ics(appt, _language(), now=utcnow())
    return _ics(data, f"appointment-{appt.starts_at:%Y-%m-%d}.ics")


@bp.get("/calendar")
@portal_required
def calendar_page():
    invitation = current_invitation()
    key = services.feed_key(invitation)
    feed_url = url_for(".feed", key=key, _external=True)
    return render_template(
        "portal/calendar.html",
        feed_url=feed_url,
        webcal_url="webcal://" + feed_url.split("://", 1)[1],
    )


@bp.get("/calendar.ics")
@portal_required
def calendar_download():
    data = calendar.journey_feed(g.journey, _language(), now=utcnow())
    return _ics(data, "appointments.ics")


@bp.get("/feed/<key>.ics")
@limiter.limit(_token_limit, deduct_when=_refused)
def feed(key: str):
    """The subscribable feed: calendar apps send no cookie, so its URL carries its own secret."""
    invitation = services.invitation_for_feed(key, now=utcnow())
    if invitation is None:
        abort(404)
    with force_locale(invitation.patient.language):
        data = calendar.journey_feed(invitation.journey, invitation.patient.language, now=utcnow())
    return _ics(data, "appointments.ics", download=False)


@bp.app_template_filter("portal_date")
def portal_date(value: date) -> str:
    return format_date(value, "EEEE d MMMM y", locale=_language())


@bp.app_template_filter("portal_datetime")
def portal_datetime(value: datetime) -> str:
    patient = g.get("patient")
    tz = ZoneInfo(patient.timezone if patient else current_app.config["CLINIC_TIMEZONE"])
    return format_datetime(value, "EEEE d MMMM y, HH:mm", tzinfo=tz, locale=_language())


@bp.app_template_global("portal_link_request_form")
def portal_link_request_form() -> LinkRequestForm:
    return LinkRequestForm(formdata=None)


@bp.app_template_global("portal_language_form")
def portal_language_form() -> LanguageForm:
    return LanguageForm(formdata=None, next=request.path)


@bp.app_template_global("portal_translated")
def portal_translated(titles: dict, language: str | None = None) -> str:
    language = language or _language()
    return titles.get(language) or titles.get("en") or ""
