"""The JSON API under /api/v1. Each domain keeps its endpoints in its own ``api.py``."""

import sqlalchemy as sa
from flask import Flask
from flask_smorest import Api

from tracker.api_support import domain_error, integrity_error
from tracker.errors import DomainError
from tracker.exports.api import blp as exports_blp
from tracker.extensions import csrf
from tracker.fhir.api import blp as fhir_blp
from tracker.journeys.api import blp as journeys_blp
from tracker.messages.api import blp as messages_blp
from tracker.outcomes.api import blp as outcomes_blp
from tracker.patients.api import blp as patients_blp
from tracker.portal.api import blp as portal_blp
from tracker.reminders.api import blp as reminders_blp

PREFIX = "/api/v1"
BLUEPRINTS = (
    patients_blp,
    journeys_blp,
    reminders_blp,
    portal_blp,
    outcomes_blp,
    fhir_blp,
    exports_blp,
    messages_blp,
)


def init_app(app: Flask) -> None:
    # One Api per app: its OpenAPI document is built as the blueprints register.
    api = Api(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "flask tokens create EMAIL"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    for blp in BLUEPRINTS:
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix=PREFIX)
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(sa.exc.IntegrityError, integrity_error)
