"""The patient's questionnaires in the portal: one item per screen, saved as they go.

Every page works without JavaScript (each answer is a form post that saves and moves on);
``static/js/questionnaire.js`` also saves an answer the moment it is tapped, so a phone that
sleeps before "Next" loses nothing. Pages are scoped by the portal session (``g.journey``).
"""

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError

from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError, NotFound
from tracker.extensions import limiter
from tracker.outcomes import answering
from tracker.outcomes.forms import AnswerForm
from tracker.outcomes.status import journey_status
from tracker.portal.locale import current_invitation
from tracker.portal.views import portal_required

bp = Blueprint("questionnaires", __name__, url_prefix="/portal/questionnaires")


def _language() -> str:
    return str(get_locale() or "en")


@bp.context_processor
def portal_context():
    # The portal's base template reads these (the portal blueprint sets them for its pages).
    return {"portal_locale": _language(), "portal_signed_in": current_invitation() is not None}


@bp.errorhandler(CSRFError)
def form_expired(error):
    db.session.rollback()
    if _wants_json():
        return jsonify(saved=False, reload=True), 400
    return render_template("portal/expired_form.html"), 400


@bp.errorhandler(429)
def too_many(error):
    db.session.rollback()
    return render_template("portal/too_many.html"), 429


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _status(timepoint: str):
    try:
        return answering.timepoint_status(g.journey, timepoint, now=utcnow())
    except NotFound:
        abort(404)


@bp.get("/")
@portal_required
def index():
    statuses = [s for s in journey_status(g.journey, now=utcnow()) if s.instruments]
    return render_template(
        "outcomes/portal/index.html",
        open_now=[s for s in statuses if s.answerable],
        done=[s for s in statuses if s.state == "done"],
    )


@bp.get("/<timepoint>")
@portal_required
def start(timepoint: str):
    """Begin, or carry on where the patient stopped."""
    status = _status(timepoint)
    if status.state == "done":
        return redirect(url_for(".thanks", timepoint=timepoint), code=303)
    if not status.answerable:
        return render_template("outcomes/portal/closed.html", status=status), 409
    now = utcnow()
    steps = answering.steps(status, now=now)
    step = answering.next_step(steps, answering.given(g.journey, timepoint))
    if step is None:
        return redirect(url_for(".review", timepoint=timepoint), code=303)
    if step.number == 1:
        return render_template("outcomes/portal/start.html", status=status, steps=steps)
    return redirect(url_for(".step", timepoint=timepoint, number=step.number), code=303)


@bp.route("/<timepoint>/<int:number>", methods=["GET", "POST"])
@portal_required
@limiter.limit("120 per minute", methods=["POST"])
def step(timepoint: str, number: int):
    status = _status(timepoint)
    if status.state == "done":
        if _wants_json():
            return jsonify(saved=False, done=True), 409
        return redirect(url_for(".thanks", timepoint=timepoint), code=303)
    now = utcnow()
    steps = answering.steps(status, now=now)
    if not 1 <= number <= len(steps):
        abort(404)
    current = steps[number - 1]
    form = AnswerForm()
    form.set_item(current.item, _language())
    given = answering.given(g.journey, timepoint)
    if form.validate_on_submit():
        value = None if form.skip.data else form.value
        try:
            answering.save_answer(g.journey, timepoint, number, value, now=now)
        except DomainError as error:
            db.session.rollback()
            if _wants_json():
                return jsonify(saved=False, message=error.message), error.status
            form.answer.errors = [error.message]
        else:
            db.session.commit()
            following = url_for(".step", timepoint=timepoint, number=number + 1)
            if number == len(steps):
                following = url_for(".review", timepoint=timepoint)
            if _wants_json():
                return jsonify(saved=True, next=following)
            return redirect(following, code=303)
    elif request.method == "GET" and current.key in given and given[current.key] is not None:
        form.answer.data = str(given[current.key])
    return render_template(
        "outcomes/portal/step.html",
        status=status,
        step=current,
        total=len(steps),
        answered=sum(1 for s in steps if s.key in given),
        form=form,
        language=_language(),
        back=url_for(".step", timepoint=timepoint, number=number - 1) if number > 1 else None,
    ), 422 if form.errors else 200


@bp.get("/<timepoint>/review")
@portal_required
def review(timepoint: str):
    status = _status(timepoint)
    if status.state == "done":
        return redirect(url_for(".thanks", timepoint=timepoint), code=303)
    steps = answering.steps(status, now=utcnow())
    return render_template(
        "outcomes/portal/review.html",
        status=status,
        steps=steps,
        given=answering.given(g.journey, timepoint),
        language=_language(),
        form=AnswerForm(),
    )


@bp.post("/<timepoint>/submit")
@portal_required
def submit(timepoint: str):
    status = _status(timepoint)
    if not AnswerForm().validate_on_submit():
        abort(400)
    try:
        answering.submit(g.journey, timepoint, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        return render_template(
            "outcomes/portal/closed.html", status=status, message=error.message
        ), 409
    db.session.commit()
    return redirect(url_for(".thanks", timepoint=timepoint), code=303)


@bp.get("/<timepoint>/thanks")
@portal_required
def thanks(timepoint: str):
    status = _status(timepoint)
    if status.state != "done":
        return redirect(url_for(".start", timepoint=timepoint), code=303)
    return render_template("outcomes/portal/thanks.html", status=status)


@bp.app_template_global("portal_questionnaires")
def portal_questionnaires():
    """The questionnaires the signed-in patient can answer now (for the portal home)."""
    journey = g.get("journey")
    if journey is None:
        return []
    return [s for s in journey_status(journey, now=utcnow()) if s.answerable]
