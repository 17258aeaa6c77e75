"""Staff pages of the messages: the inbox, a conversation, replies, photos.

Photos are also fetched by API clients: their URL answers a bearer token as well as a session.
"""

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from tracker.audit.services import record_read
from tracker.auth.access import clinical_required
from tracker.auth.models import CLINICAL_ROLES, StaffUser
from tracker.auth.services import user_for_token
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError, NotFound
from tracker.forms import apply_errors
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.messages import services
from tracker.messages.forms import AssignForm, ReplyForm, ReviewForm
from tracker.messages.models import Conversation
from tracker.messages.responses import photo_response
from tracker.portal.forms import PlainForm
from tracker.vocabulary import label

bp = Blueprint("messages", __name__)

ASSIGNEE_FILTERS = ("all", "me", "unassigned")


@bp.app_template_global("waiting_messages")
def waiting_messages():
    """The dashboard's list: patients waiting over a working day for an answer."""
    return services.waiting_too_long(utcnow())


@bp.app_template_global("journey_message_panel")
def journey_message_panel(journey: Journey) -> dict:
    messages = services.journey_messages(journey)
    return {
        "messages": messages[-10:],
        "total": len(messages),
        "open": services.open_conversation(journey),
    }


def _clinicians() -> list[StaffUser]:
    return list(
        db.session.scalars(
            sa.select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role.in_(CLINICAL_ROLES))
            .order_by(StaffUser.name)
        )
    )


def _reply_form(journey: Journey, **kwargs) -> ReplyForm:
    form = ReplyForm(**kwargs)
    reader = str(get_locale() or "en")
    language = label(journey.patient.language)
    form.saved_reply.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(r.key, f"{r.title.get(reader) or r.title.get('en', r.key)} ({language})")
        for r in services.saved_replies()
    ]
    return form


def _assign_form(conversation: Conversation, **kwargs) -> AssignForm:
    form = AssignForm(**kwargs)
    form.assignee.choices = [SelectChoice("", _("Nobody (anyone answers)"))] + [
        SelectChoice(str(u.id), u.name) for u in _clinicians()
    ]
    if not form.is_submitted():
        form.assignee.data = str(conversation.assignee_id or "")
    return form


def _conversation(conversation_id: int) -> Conversation:
    try:
        return services.conversation(conversation_id)
    except NotFound:
        abort(404)


# ---- the inbox ---------------------------------------------------------------------------------


@bp.get("/messages")
@clinical_required
def inbox():
    status = request.args.get("status", "open")
    status = status if status in ("open", "closed") else "open"
    assignee = request.args.get("assignee", "all")
    if assignee not in ASSIGNEE_FILTERS and not (assignee.isdigit() and len(assignee) < 10):
        assignee = "all"
    conversations = services.inbox(status=status, assignee=assignee, user=current_user)
    record_read(
        "message.inbox",
        actor=current_user,
        details={"status": status, "assignee": assignee, "rows": len(conversations)},
    )
    return render_template(
        "messages/inbox.html",
        conversations=conversations,
        status=status,
        assignee=assignee,
        clinicians=_clinicians(),
        overdue_before=services.working_day_before(utcnow()),
    )


@bp.get("/messages/<int:conversation_id>")
@clinical_required
def show(conversation_id: int):
    conversation = _conversation(conversation_id)
    services.read_by_staff(conversation, actor=current_user, now=utcnow())
    db.session.commit()
    return _page(conversation)


def _page(conversation: Conversation, reply_form=None, assign_form=None, status: int = 200):
    journey = conversation.journey
    return render_template(
        "messages/conversation.html",
        conversation=conversation,
        journey=journey,
        messages=services.conversation_messages(conversation),
        reply_form=reply_form or _reply_form(journey, formdata=None),
        assign_form=assign_form or _assign_form(conversation, formdata=None),
        review_form=ReviewForm(formdata=None),
        saved_replies=services.saved_replies(),
    ), status


@bp.post("/messages/<int:conversation_id>/reply")
@clinical_required
def reply(conversation_id: int):
    conversation = _conversation(conversation_id)
    form = _reply_form(conversation.journey)
    if form.validate_on_submit():
        try:
            services.reply(
                conversation.journey,
                form.body.data,
                saved=form.saved_reply.data or None,
                actor=current_user,
                now=utcnow(),
                conversation=conversation,
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(
                _("Reply sent. The patient is told by SMS or email, without its text."), "success"
            )
            return redirect(url_for(".show", conversation_id=conversation.id), code=303)
    return _page(conversation, reply_form=form, status=422)


@bp.post("/journeys/<int:journey_id>/messages")
@clinical_required
def write(journey_id: int):
    """Write to the patient from the journey page (into the open conversation, or a new one)."""
    journey = db.get_or_404(Journey, journey_id)
    form = _reply_form(journey)
    if form.validate_on_submit():
        try:
            message = services.reply(
                journey,
                form.body.data,
                saved=form.saved_reply.data or None,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Message sent."), "success")
            return redirect(url_for(".show", conversation_id=message.conversation_id), code=303)
    return redirect(url_for("journeys.show", journey_id=journey.id, _anchor="messages"), code=303)


@bp.post("/messages/<int:conversation_id>/assign")
@clinical_required
def assign(conversation_id: int):
    conversation = _conversation(conversation_id)
    form = _assign_form(conversation)
    if not form.validate_on_submit():
        return _page(conversation, assign_form=form, status=422)
    assignee = db.session.get(StaffUser, int(form.assignee.data)) if form.assignee.data else None
    services.assign(conversation, assignee, actor=current_user, now=utcnow())
    db.session.commit()
    done = _("Assigned to %(name)s.", name=assignee.name) if assignee else _("Unassigned.")
    flash(done, "success")
    return redirect(url_for(".show", conversation_id=conversation.id), code=303)


@bp.post("/messages/<int:conversation_id>/close")
@clinical_required
def close(conversation_id: int):
    conversation = _conversation(conversation_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        services.close(conversation, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".show", conversation_id=conversation.id), code=303)
    db.session.commit()
    flash(_("Conversation closed. A new message from the patient opens a new one."), "success")
    return redirect(url_for(".inbox"), code=303)


# ---- photos ------------------------------------------------------------------------------------


def staff_or_token(view):
    """A signed-in clinical user, or an API client with a bearer token of one."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            user = user_for_token(token.strip(), now=utcnow())
            if user is None:
                abort(401)
        elif current_user.is_authenticated:
            user = current_user
        else:
            abort(401)
        if user.role not in CLINICAL_ROLES:
            abort(403)
        g.photo_reader = user
        return view(*args, **kwargs)

    return wrapper


def _staff_photo(photo_id: int, thumb: bool) -> Response:
    try:
        photo = services.photo(photo_id)
    except NotFound:
        abort(404)
    record_read(
        "message.photo",
        photo,
        actor=g.photo_reader,
        patient_id=photo.patient_id,
        details={"thumbnail": thumb},
    )
    db.session.commit()
    return photo_response(photo, thumb=thumb)


@bp.get("/messages/photos/<int:photo_id>")
@staff_or_token
def photo(photo_id: int):
    return _staff_photo(photo_id, thumb=False)


@bp.get("/messages/photos/<int:photo_id>/thumb")
@staff_or_token
def photo_thumb(photo_id: int):
    return _staff_photo(photo_id, thumb=True)


@bp.post("/messages/photos/<int:photo_id>/review")
@clinical_required
def review(photo_id: int):
    try:
        photo = services.photo(photo_id)
    except NotFound:
        abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        services.review_photo(photo, form.review.data, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("Photo review saved."), "success")
    else:
        flash(_("Choose: looks as expected, or needs a visit."), "error")
    conversation_id = photo.message.conversation_id
    return redirect(
        url_for(".show", conversation_id=conversation_id, _anchor=f"photo-{photo.id}"), code=303
    )
