"""Messages over JSON: read a journey's messages, write to the patient.

``GET /journeys/{id}/messages`` and ``POST /journeys/{id}/messages`` (``{"body": …}``) are a
fixed interface: messages newest last, each with its author's kind and name, time, read state
and attachments (each with a ``url`` staff fetch with their bearer token or session).
"""

from flask import g, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from tracker.api_support import (
    Instant,
    authenticate,
    clinical,
    get_or_404,
    json_errors,
    require_json_body,
    required_text,
)
from tracker.audit.services import record_read
from tracker.clock import utcnow
from tracker.db import db
from tracker.journeys.models import Journey
from tracker.messages import services
from tracker.messages.models import AUTHOR_KINDS, PHOTO_REVIEWS

blp = Blueprint("messages_api", __name__, description="Secure messages with the patient.")
blp.before_request(authenticate)
blp.before_request(require_json_body)
json_errors(blp)


class AttachmentSchema(Schema):
    id = fields.Integer()
    url = fields.Method("_url", metadata={"description": "The photo (JPEG); bearer or session"})
    thumbnail_url = fields.Method("_thumb")
    content_type = fields.Constant("image/jpeg")
    width = fields.Integer()
    height = fields.Integer()
    review = fields.String(
        allow_none=True, metadata={"enum": [*PHOTO_REVIEWS, None], "description": "Staff review"}
    )

    def _url(self, photo) -> str:
        return url_for("messages.photo", photo_id=photo.id, _external=True)

    def _thumb(self, photo) -> str:
        return url_for("messages.photo_thumb", photo_id=photo.id, _external=True)


class MessageSchema(Schema):
    id = fields.Integer()
    conversation_id = fields.Integer()
    author_kind = fields.String(metadata={"enum": list(AUTHOR_KINDS)})
    author_name = fields.String()
    body = fields.String()
    sent_at = Instant(attribute="created_at")
    read = fields.Method("_read", metadata={"description": "Read by the other side"})
    read_at = Instant(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), attribute="photos")

    def _read(self, message) -> bool:
        return message.read_at is not None


class MessageListSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema))


class NewMessageSchema(Schema):
    body = required_text(services.BODY_MAX)


@blp.route("/journeys/<int:journey_id>/messages", methods=["GET"])
@clinical
@blp.response(200, MessageListSchema)
def list_messages(journey_id: int):
    """The journey's messages, newest last (reading them is audited)."""
    journey = get_or_404(Journey, journey_id)
    messages = services.journey_messages(journey)
    # Committed once the answer is built (audit.views.keep_reads): a commit here would expire
    # every message and load each again while the answer is written.
    record_read(
        "message.list", journey, actor=g.api_user, patient_id=journey.patient_id, now=utcnow()
    )
    return {"items": messages}


@blp.route("/journeys/<int:journey_id>/messages", methods=["POST"])
@clinical
@blp.arguments(NewMessageSchema)
@blp.response(201, MessageSchema)
def post_message(values, journey_id: int):
    """Write to the patient; they are told by SMS or email, without the text."""
    journey = get_or_404(Journey, journey_id)
    message = services.reply(
        journey,
        values["body"],
        actor=g.api_user,
        now=utcnow(),
    )
    db.session.commit()
    return message
