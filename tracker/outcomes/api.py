"""Outcomes over JSON: record a questionnaire, a journey's outcome, the cohort report."""

from flask import current_app, g, request
from flask_smorest import Blueprint

from tracker.api_support import authenticate, clinical, get_or_404, json_errors, require_json_body
from tracker.audit.services import record
from tracker.clock import clinic_today, utcnow
from tracker.db import db
from tracker.journeys.models import Journey
from tracker.outcomes import export, report, snapshots
from tracker.outcomes.patient import journey_outcomes
from tracker.outcomes.schemas import (
    ReportArgsSchema,
    ResponseCreateSchema,
    ResponseSchema,
    outcomes_body,
    report_body,
)
from tracker.outcomes.services import Submission, record_submissions
from tracker.outcomes.status import journey_status

blp = Blueprint("outcomes_api", __name__, description="Questionnaires and clinical outcomes.")
blp.before_request(authenticate)
blp.before_request(require_json_body)
json_errors(blp)


@blp.route("/journeys/<int:journey_id>/questionnaire-responses", methods=["POST"])
@clinical
@blp.arguments(ResponseCreateSchema)
@blp.response(201, ResponseSchema)
def create_response(values, journey_id: int):
    """Record a completed questionnaire (e.g. the ODI) for a journey, scored at once.

    A value outside an item's options is refused (422) naming the item, e.g. ``answers[3]``.
    Send an ``Idempotency-Key`` header to make a retried request store one response.
    """
    journey = get_or_404(Journey, journey_id)
    submission = Submission(
        instrument=values["instrument"].strip(),
        answers=values["answers"],
        completed_at=values["completed_at"],
        timepoint=values.get("timepoint"),
    )
    key = (request.headers.get("Idempotency-Key") or "").strip()[:80] or None
    responses, created = record_submissions(
        journey, [submission], source="api", actor=g.api_user, now=utcnow(), idempotency_key=key
    )
    db.session.commit()
    return responses[0], 201 if created else 200


@blp.route("/journeys/<int:journey_id>/outcomes", methods=["GET"])
@clinical
@blp.response(200)
def journey_outcome(journey_id: int):
    """Each instrument's scores against baseline: change, MCID and substantial benefit reached;
    and the questionnaire schedule with each timepoint's state."""
    journey = get_or_404(Journey, journey_id)
    return outcomes_body(
        journey.id, journey_outcomes(journey), journey_status(journey, now=utcnow())
    )


def _filters(values: dict) -> report.ReportFilters:
    return report.ReportFilters(**{k: values.get(k) for k in ReportArgsSchema().fields})


@blp.route("/reports/outcomes", methods=["GET"])
@clinical
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200)
def outcomes_report(values):
    """The cohort's outcomes: numbers, stay, pain and ODI by timepoint, MCID, completion.

    A cohort larger than the clinic's live limit (``OUTCOMES_REPORT_LIVE_LIMIT``) is answered
    from the report kept for these filters, as on the report page: ``generated_at`` says when
    it was made (at most ``OUTCOMES_REPORT_MAX_AGE_MINUTES`` ago; an older one is answered
    while a new one is made in the background). The first request for a filter waits for it.
    """
    made, refresh = snapshots.for_reader(_filters(values), now=utcnow())
    db.session.commit()  # the kept report, or its refresh claimed
    if refresh is not None:
        snapshots.start(current_app._get_current_object(), refresh)
    return report_body(made)


@blp.route("/reports/outcomes.csv", methods=["GET"])
@clinical
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200, content_type="text/csv")
def outcomes_csv(values):
    """The cohort as CSV, one row per journey (UTF-8 with BOM)."""
    filters = _filters(values)
    now = utcnow()
    record("outcomes.export", filters, actor=g.api_user, now=now, details=filters.as_args())
    db.session.commit()
    return export.response(filters, now=now, today=clinic_today(now))
