"""The patient's messages in the portal: the thread, writing with photos, the photos themselves.

Scoped by the portal session only (``g.journey``); a caregiver signed in writes as themselves.
``POST /portal/messages`` takes ``body`` and ``photos`` (multipart): a fixed interface.
"""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError

from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError, NotFound
from tracker.forms import apply_errors
from tracker.i18n import gettext as _
from tracker.messages import services
from tracker.messages.forms import PortalMessageForm
from tracker.messages.photos import MAX_BYTES, MAX_PHOTOS
from tracker.messages.responses import photo_response
from tracker.portal.locale import current_invitation
from tracker.portal.views import portal_required

bp = Blueprint("portal_messages", __name__, url_prefix="/portal/messages")

#: the whole request: three photos at the limit, the text and the form's overhead
REQUEST_MAX = MAX_PHOTOS * MAX_BYTES + 1024 * 1024


@bp.context_processor
def portal_context():
    return {
        "portal_locale": str(get_locale() or "en"),
        "portal_signed_in": current_invitation() is not None,
    }


@bp.teardown_request
def close_uploads(error=None):
    """Large uploads wait in temporary files: close them however the request ended."""
    if request.method == "POST" and "files" in request.__dict__:
        for key in request.files:
            for storage in request.files.getlist(key):
                storage.close()


@bp.errorhandler(CSRFError)
def form_expired(error):
    db.session.rollback()
    return render_template("portal/expired_form.html"), 400


@bp.errorhandler(413)
def too_large(error):
    db.session.rollback()
    form = PortalMessageForm(formdata=None)
    form.photos.errors = [_too_large_text()]
    return _thread(form, 413)


def _too_large_text() -> str:
    return _("The photos are too large together. Send at most 3, each under 10 MB.")


def _thread(form: PortalMessageForm, status: int = 200):
    now = utcnow()
    messages = services.journey_messages(g.journey)
    if status == 200 and services.read_by_patient(g.journey, now=now):
        db.session.commit()
    return render_template(
        "messages/portal_thread.html",
        messages=messages,
        form=form,
        max_photos=MAX_PHOTOS,
    ), status


@bp.get("")
@portal_required
def thread():
    return _thread(PortalMessageForm(formdata=None))


@bp.post("")
@portal_required
def send():
    request.max_content_length = REQUEST_MAX
    form = PortalMessageForm()
    if form.validate_on_submit():
        try:
            services.send_from_patient(
                g.journey, form.body.data, form.uploads(), now=utcnow(), caregiver=g.caregiver
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            return redirect(url_for(".thread", sent=1, _anchor="latest"), code=303)
    return _thread(form, 422)


def _photo(photo_id: int, thumb: bool):
    try:
        photo = services.journey_photo(g.journey.id, photo_id)
    except NotFound:
        abort(404)
    return photo_response(photo, thumb=thumb)


@bp.get("/photos/<int:photo_id>")
@portal_required
def photo(photo_id: int):
    return _photo(photo_id, thumb=False)


@bp.get("/photos/<int:photo_id>/thumb")
@portal_required
def photo_thumb(photo_id: int):
    return _photo(photo_id, thumb=True)
