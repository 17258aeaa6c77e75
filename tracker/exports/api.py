"""``GET /exports/journeys.csv``: the research CSV (identified only for administrators)."""

import marshmallow as ma
from flask import g
from flask_smorest import Blueprint, abort

from tracker.api_support import authenticate, json_errors
from tracker.clock import utcnow
from tracker.db import db
from tracker.exports import research
from tracker.exports.download import csv_response

blp = Blueprint("exports_api", __name__, description="Exports for research.")
blp.before_request(authenticate)
json_errors(blp)


class JourneysCsvQuery(ma.Schema):
    identified = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Add journey id, MRN, names and birth date (admins only)."},
    )


@blp.route("/exports/journeys.csv", methods=["GET"])
@blp.arguments(JourneysCsvQuery, location="query", unknown=ma.RAISE)
@blp.response(200, content_type="text/csv", description="UTF-8 CSV, one row per journey.")
def journeys_csv(args):
    """One row per journey: pseudonymous ids, pathway, days from surgery, pain at timepoints."""
    identified = args["identified"]
    if identified and g.api_user.role != "admin":
        abort(403, message="Only an administrator may export identified data (names, MRNs).")
    export = research.start_export(g.api_user, identified=identified, via="api", now=utcnow())
    db.session.commit()
    return csv_response(export)
