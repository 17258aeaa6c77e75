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
from tracker.portal import caregivers, links, services

blp = Blueprint("portal_api", __name__, description="Patient portal invitations.")
blp.before_request(authenticate)
blp.before_request(require_json_body)
json_errors(blp)


class CaregiverSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    relationship = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "Who the caregiver is to the patient", "example": "daughter"},
    )
    phone = fields.String(validate=validate.Length(min=1, max=40))
    email = fields.Email(validate=validate.Length(max=254))
    language = fields.String(
        validate=validate.OneOf(("en", "id"), error="Use en or id."),
        metadata={
            "description": "The language of the caregiver's messages and pages; "
            "the patient's when left out."
        },
    )


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
    caregiver = fields.Nested(
        CaregiverSchema,
        metadata={
            "description": "Invite this caregiver (access of their own) instead of the patient; "
            "send_by then uses the caregiver's phone (sms) or email."
        },
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
    caregiver_id = fields.Integer(metadata={"description": "Only for a caregiver invitation."})


@blp.route("/journeys/<int:journey_id>/portal/invitations", methods=["POST"])
@clinical
@blp.arguments(InvitationRequestSchema)
@blp.response(201, InvitationSchema)
def create_invitation(values, journey_id: int):
    """Invite the patient to the portal: their personal link goes by SMS and/or email.

    Any earlier link, and every portal session made from it, stops working. With
    ``caregiver``, a named caregiver is invited instead, with access of their own (the
    patient's link keeps working).
    """
    journey = get_or_404(Journey, journey_id)
    body = {}
    if "caregiver" in values:
        given = values["caregiver"]
        details = caregivers.CaregiverDetails(
            given["name"],
            given["relationship"],
            given.get("phone"),
            given.get("email"),
            given.get("language"),
        )
        caregiver, invited = caregivers.invite_caregiver(
            journey,
            details,
            send_by=values["send_by"],
            show_link=values["show_link"],
            actor=g.api_user,
            now=utcnow(),
        )
        body["caregiver_id"] = caregiver.id
    else:
        invited = links.invite(
            journey,
            send_by=values["send_by"],
            show_link=values["show_link"],
            actor=g.api_user,
            now=utcnow(),
        )
    db.session.commit()
    body |= {
        "id": invited.invitation.id,
        "expires_at": invited.invitation.expires_at,
        "queued": invited.queued,
    }
    if invited.token is not None:
        body["link"] = services.invitation_link(invited.token)
    return body
