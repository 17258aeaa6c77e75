"""What every JSON API endpoint shares: bearer-token authentication, roles, error bodies."""

from functools import wraps

import sqlalchemy as sa
from flask import g, jsonify, request
from flask_smorest import abort
from werkzeug.http import HTTP_STATUS_CODES

from tracker.auth.models import CLINICAL_ROLES
from tracker.auth.services import user_for_token
from tracker.db import db, utcnow
from tracker.errors import DomainError


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
    db.session.commit()  # keep last_used_at even when the request later fails
    g.api_user = user


def clinical(view):
    """Only coordinators and clinicians work with patient records."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.api_user.role not in CLINICAL_ROLES:
            abort(403, message="Only coordinators and clinicians may work with patient records.")
        return view(*args, **kwargs)

    return wrapper


def error_response(status: int, message: str, errors: dict | None = None):
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = {"json": errors}
    return jsonify(body), status


def domain_error(error: DomainError):
    db.session.rollback()
    return error_response(error.status, error.message, error.errors)


def integrity_error(error: sa.exc.IntegrityError):
    # A concurrent request won the race for a unique row (e.g. a second active journey).
    db.session.rollback()
    return error_response(409, "This change conflicts with the current data; reload and try again.")
