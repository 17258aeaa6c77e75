"""What every JSON API endpoint shares: bearer-token authentication, roles, error bodies."""

import json
from datetime import UTC, datetime
from functools import wraps

import marshmallow as ma
import sqlalchemy as sa
from flask import g, jsonify, request
from flask_smorest import abort
from marshmallow import fields, validate
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from tracker.auth.models import CLINICAL_ROLES
from tracker.auth.services import user_for_token
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError, NotFound
from tracker.inputs import ID_MAX
from tracker.timeutil import clinic_tz, parse_local_or_aware


def authenticate() -> None:
    """Every API request carries ``Authorization: Bearer <token>`` of an active staff user."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            401,
            message="Send an API token: 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = user_for_token(token.strip(), now=utcnow())
    if user is None:
        abort(
            401,
            message="This API token is not valid, or was revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if db.session.dirty:
        db.session.commit()  # keep last_used_at even when the request later fails
    g.api_user = user


def require_json_body() -> None:
    """A request body must be JSON, and well-formed, before any endpoint reads it."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.get_data(cache=True):
        return
    if not request.is_json:
        abort(415, message="Send the body as JSON with 'Content-Type: application/json'.")
    try:
        json.loads(request.get_data(cache=True))
    except ValueError:
        abort(
            400,
            message="The request body is not valid JSON.",
            errors={"json": {"_schema": ["Invalid JSON body."]}},
        )


def clinical(view):
    """Only coordinators and clinicians work with patient records."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.api_user.role not in CLINICAL_ROLES:
            abort(403, message="Only coordinators and clinicians may work with patient records.")
        return view(*args, **kwargs)

    return wrapper


def get_or_404(model, ident: int, *options):
    """The row of ``model`` with id ``ident`` (loaded with ``options``), or a JSON 404."""
    obj = db.session.get(model, ident, options=options)
    if obj is None:
        raise NotFound(f"No {model.__name__.lower()} with id {ident}.")
    return obj


def error_response(status: int, message: str, errors: dict | None = None):
    """The JSON error body; ``errors`` maps each body field to its messages."""
    return _error_body(status, message, {"json": errors} if errors else None)


def _error_body(status: int, message: str, errors: dict | None, headers=None):
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status, headers or {}


def domain_error(error: DomainError):
    db.session.rollback()
    return error_response(error.status, error.message, error.errors)


def integrity_error(error: sa.exc.IntegrityError):
    # A concurrent request won the race for a unique row (e.g. a second active journey).
    db.session.rollback()
    return error_response(409, "This change conflicts with the current data; reload and try again.")


def http_error(error: HTTPException):
    """An HTTP error (abort, webargs validation, 404, 500…) in the same shape as domain errors."""
    db.session.rollback()
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if errors:
        # webargs keys messages by location; a message for the whole body comes as a list.
        errors = {
            location: messages if isinstance(messages, dict) else {"_schema": list(messages)}
            for location, messages in errors.items()
        }
    message = data.get("message") or _summary(errors) or error.description
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return _error_body(error.code or 500, message, errors, headers)


def _summary(errors: dict | None) -> str | None:
    names = sorted({field for messages in (errors or {}).values() for field in messages})
    if not names:
        return None
    if names == ["_schema"]:
        return "The request body is not valid."
    return f"Some fields are not valid: {', '.join(n for n in names if n != '_schema')}."


def json_errors(blueprint) -> None:
    """Answer every HTTP error of ``blueprint`` in JSON.

    Flask prefers an app handler for a status code over a blueprint handler for a class, so
    the HTML pages registered for the web side would win unless each code is named here.
    """
    for code in default_exceptions:
        blueprint.register_error_handler(code, http_error)
    blueprint.register_error_handler(HTTPException, http_error)


class Instant(fields.DateTime):
    """An ISO 8601 instant: read without an offset as clinic wall-clock time, written in UTC."""

    default_error_messages = {
        "date_only": "Give a date and a time, e.g. 2026-12-10T08:30.",
        "out_of_range": "That date and time is out of range; check the year.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value.strip()) <= 10:
            raise self.make_error("date_only")
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_local_or_aware(parsed, clinic_tz())
        except (OverflowError, ValueError):
            # Found by Schemathesis: 0001-01-01T00:00+00:01 is before the first UTC instant.
            raise self.make_error("out_of_range") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else iso_utc(value)


def iso_utc(value: datetime) -> str:
    """``2026-12-10T01:30:00Z``: what every API response uses for an instant."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class StrictBoolean(fields.Boolean):
    """Only JSON true or false: "yes" or 1 is more likely a mistake than a choice."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class NotBlank(validate.Validator):
    error = "This field is required."

    def __call__(self, value: str) -> str:
        if not value.strip():
            raise ma.ValidationError(self.error)
        return value


def required_text(max_length: int, **metadata) -> fields.String:
    """A text that must be given and hold more than white space; the OpenAPI document says so
    too (``minLength``, ``maxLength`` and a ``pattern``), so clients can check before sending."""
    return fields.String(
        required=True,
        validate=[
            NotBlank(),
            validate.Length(max=max_length, error="Keep it to {max} characters or fewer."),
        ],
        metadata={"minLength": 1, "pattern": r"\S", **metadata},
    )


def optional_text(max_length: int, **metadata) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.Length(max=max_length, error="Keep it to {max} characters or fewer."),
        metadata=metadata,
    )


def row_id(**kwargs) -> fields.Integer:
    """An id of a row: a whole number the database's integer can hold."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX), **kwargs)


class ChangeSchema(ma.Schema):
    """A PATCH body: the fields to change, at least one of them."""

    @ma.validates_schema(pass_original=True)
    def _something_to_change(self, data: dict, original, **kwargs) -> None:
        if not original:
            raise ma.ValidationError("Send at least one field to change.")
