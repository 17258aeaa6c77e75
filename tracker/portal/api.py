"""The patient portal over JSON: invite a patient (send their personal link)."""

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from tracker.api_support import (
    Instant,
    StrictBoolean,
    authenticate,
    clinical,
    get_or_404,
    json_errors,
    require_json_body,
)
from tracker.clock import utcnow
from tracker.db import db
from tracker.journeys.models import Journey
from tracker.portal import links, services

blp = Blueprint("portal_api", __name__, description="Patient portal invitations.")
blp.before_request(authenticate)
blp.before_request(require_json_body)
json_errors(blp)


class InvitationRequestSchema(Schema):
    send_by = fields.List(
        fields.String(
            validate=validate.OneOf(links.SEND_BY, error="Use sms or email."),
        ),
        load_default=list,
        metadata={
            "description": "Channels the personal link goes by; the link is made when the "
            "message is sent (the patient's consent and contact must allow each).",
            "example": ["sms"],
        },
    )
    show_link = StrictBoolean(
        load_default=False,
        metadata={"description": "Also return the link, to hand over in person (never stored)."},
    )


class InvitationSchema(Schema):
    id = fields.Integer()
    expires_at = Instant()
    queued = fields.List(
        fields.String(), metadata={"description": "Channels a message is queued on"}
    )
    link = fields.String(
        metadata={"description": "Only with show_link: the personal link (shown once)."}
    )


@blp.route("/journeys/<int:journey_id>/portal/invitations", methods=["POST"])
@clinical
@blp.arguments(InvitationRequestSchema)
@blp.response(201, InvitationSchema)
def create_invitation(values, journey_id: int):
    """Invite the patient to the portal: their personal link goes by SMS and/or email.

    Any earlier link, and every portal session made from it, stops working.
    """
    journey = get_or_404(Journey, journey_id)
    invited = links.invite(
        journey,
        send_by=values["send_by"],
        show_link=values["show_link"],
        actor=g.api_user,
        now=utcnow(),
    )
    db.session.commit()
    body = {
        "id": invited.invitation.id,
        "expires_at": invited.invitation.expires_at,
        "queued": invited.queued,
    }
    if invited.token is not None:
        body["link"] = services.invitation_link(invited.token)
    return body
