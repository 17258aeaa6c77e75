"""The research CSV for signed-in staff (the outcomes report's download button links here)."""

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

from tracker.clock import utcnow
from tracker.db import db
from tracker.exports import research
from tracker.exports.download import csv_response
from tracker.i18n import gettext as _

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("/journeys.csv")
@login_required
def journeys_csv():
    """Same file as ``GET /api/v1/exports/journeys.csv``; ``?identified=1`` for admins only."""
    identified = request.args.get("identified") in ("1", "true")
    if identified and current_user.role != "admin":
        abort(403, _("Only an administrator may export identified data (names, MRNs)."))
    export = research.start_export(current_user, identified=identified, via="web", now=utcnow())
    db.session.commit()
    return csv_response(export)
