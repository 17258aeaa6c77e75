"""What the patients API reads and writes.

The schemas check types and shapes; the rules (MRN format, a date of birth in the past, a known
time zone, consent needing a contact) stay in :mod:`tracker.patients.services`.
"""

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate

from tracker.api_support import ChangeSchema, Instant, StrictBoolean, optional_text, required_text
from tracker.patients.models import CHANNELS, LANGUAGES, SEXES


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error=f"Choose one of: {', '.join(choices)}.")


class PatientCreateSchema(ma.Schema):
    mrn = required_text(40, description="Medical record number, unique.", example="RM-0042")
    given_name = required_text(100, example="Siti")
    family_name = required_text(100, example="Rahayu")
    birth_date = fields.Date(required=True, metadata={"example": "1968-04-02"})
    sex = fields.String(required=True, validate=_one_of(SEXES))
    phone = optional_text(32, description="E.164", example="+6281234567890")
    email = optional_text(254, example="siti@example.com")
    language = fields.String(validate=_one_of(LANGUAGES), metadata={"description": "Default en."})
    timezone = required_text(64, description="IANA time zone", example="Asia/Jakarta")
    consent_email = StrictBoolean(metadata={"description": "May we email the patient?"})
    consent_sms = StrictBoolean(metadata={"description": "May we text the patient?"})
    preferred_channel = fields.String(
        validate=_one_of(CHANNELS),
        metadata={
            "description": "sms or email: each message goes by this channel when the patient "
            "agreed to it, else the other. Default: sms, or email for email-only consent."
        },
    )


class PatientPatchSchema(PatientCreateSchema, ChangeSchema):
    """The fields to correct; load it with ``partial=True`` so the others stay as they are."""


class PatientSchema(ma.Schema):
    id = fields.Integer()
    mrn = fields.String()
    given_name = fields.String()
    family_name = fields.String()
    full_name = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    language = fields.String()
    timezone = fields.String()
    consent_email = fields.Boolean()
    consent_sms = fields.Boolean()
    preferred_channel = fields.String()
    created_at = Instant()
    updated_at = Instant()


class PatientBriefSchema(ma.Schema):
    id = fields.Integer()
    mrn = fields.String()
    full_name = fields.String()


class PatientQuerySchema(ma.Schema):
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Fragments of the name or MRN, in any order."},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20)

    @ma.validates("per_page")
    def _page_size(self, value: int, data_key: str) -> None:
        largest = current_app.config["API_PAGE_SIZE_MAX"]
        if not 1 <= value <= largest:
            raise ma.ValidationError(f"Ask for 1 to {largest} patients per page.")


class PatientPageSchema(ma.Schema):
    items = fields.List(fields.Nested(PatientSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
