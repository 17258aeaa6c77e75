"""What the outcomes API reads and writes.

The request schemas check types and shapes; the answers' values are checked by the service
against the instrument version (so a 422 names the item). The outcome and report bodies are
built by the plain functions below from the services' dataclasses.
"""

import marshmallow as ma
from marshmallow import fields, validate

from tracker.api_support import Instant, iso_utc
from tracker.inputs import ID_MAX
from tracker.journeys.models import CONDITIONS
from tracker.outcomes.models import TIMEPOINTS
from tracker.outcomes.patient import InstrumentOutcome, Point
from tracker.outcomes.report import Report, Share, Stat
from tracker.outcomes.status import TimepointStatus


class ResponseCreateSchema(ma.Schema):
    instrument = fields.String(
        required=True, metadata={"description": "Instrument key", "example": "odi"}
    )
    answers = fields.List(
        fields.Raw(allow_none=True),
        required=True,
        metadata={
            "description": "One value per item in the instrument's order; null for an item "
            "left unanswered (ODI: 10 values 0-5).",
            "example": [3, 2, 3, 2, 3, 2, 3, None, 2, 3],
        },
    )
    completed_at = Instant(
        required=True,
        metadata={"description": "When the patient answered; no offset: clinic time."},
    )
    timepoint = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(
            TIMEPOINTS, error=f"Choose one of: {', '.join(TIMEPOINTS)}, or null."
        ),
        metadata={"description": "null: taken from completed_at and the pathway's schedule."},
    )


class AnswerSchema(ma.Schema):
    item = fields.String(attribute="item_key")
    value = fields.Integer(allow_none=True)


class ResponseSchema(ma.Schema):
    id = fields.Integer()
    journey_id = fields.Integer()
    instrument = fields.String(attribute="instrument_key")
    instrument_version = fields.Integer(attribute="instrument.version")
    timepoint = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "completed or entered_in_error"})
    score = fields.Float(
        allow_none=True, metadata={"description": "One decimal; null when it cannot be scored"}
    )
    band = fields.String(allow_none=True)
    missing = fields.Integer(metadata={"description": "Items left unanswered"})
    answers = fields.List(fields.Nested(AnswerSchema))
    completed_at = Instant()
    entered_by = fields.String(metadata={"description": "patient or staff"})
    entered_by_id = fields.Integer(allow_none=True)
    source = fields.String(metadata={"description": "portal, paper, phone or api"})


class ReportArgsSchema(ma.Schema):
    pathway = fields.String(metadata={"description": "Pathway slug, e.g. teld"})
    condition = fields.String(
        validate=validate.OneOf(CONDITIONS, error=f"Choose one of: {', '.join(CONDITIONS)}.")
    )
    surgeon_id = fields.Integer(validate=validate.Range(min=1, max=ID_MAX))
    surgery_from = fields.Date(metadata={"description": "First surgery day (clinic calendar)"})
    surgery_to = fields.Date(metadata={"description": "Last surgery day (clinic calendar)"})

    @ma.validates_schema
    def _period(self, data: dict, **kwargs) -> None:
        start, end = data.get("surgery_from"), data.get("surgery_to")
        if start and end and start > end:
            raise ma.ValidationError("surgery_to is before surgery_from.", "surgery_to")


# Bodies built from the services' results.


def _point(point: Point | None, *, baseline: bool = False) -> dict | None:
    if point is None:
        return None
    body = {
        "timepoint": point.timepoint,
        "completed_at": iso_utc(point.completed_at),
        "score": point.score,
        "band": point.band,
        "source": point.source,
    }
    if not baseline:
        body.update(
            change=point.change,
            mcid_reached=point.mcid_reached,
            substantial_reached=point.substantial_reached,
        )
    return body


def outcome_body(outcome: InstrumentOutcome) -> dict:
    definition = outcome.definition
    return {
        "name": definition["name"]["en"],
        "mcid": definition.get("mcid"),
        "substantial": definition.get("substantial"),
        "baseline": _point(outcome.baseline, baseline=True),
        "points": [_point(p) for p in outcome.points],
    }


def schedule_body(status: TimepointStatus) -> dict:
    return {
        "timepoint": status.key,
        "state": status.state,
        "instruments": list(status.instruments),
        "completed": sorted(status.completed),
        "opens": status.opens.isoformat() if status.opens else None,
        "due": status.due.isoformat() if status.due else None,
        "closes": status.closes.isoformat() if status.closes else None,
    }


def outcomes_body(journey_id: int, outcomes: dict, statuses: list[TimepointStatus]) -> dict:
    return {
        "journey_id": journey_id,
        "instruments": {key: outcome_body(o) for key, o in outcomes.items()},
        "schedule": [schedule_body(s) for s in statuses],
    }


def _stat(stat: Stat) -> dict:
    return {"n": stat.n, "median": stat.median, "q1": stat.q1, "q3": stat.q3, "small": stat.small}


def _share(share: Share | None) -> dict | None:
    if share is None:
        return None
    return {"count": share.count, "of": share.of, "percent": share.percent, "small": share.small}


def report_body(report: Report) -> dict:
    return {
        "filters": {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in report.filters.as_args().items()
        },
        "generated_at": iso_utc(report.generated_at),
        "patients": report.patients,
        "small_group": report.small,
        "length_of_stay_hours": _stat(report.length_of_stay),
        "same_day_discharge": _share(report.same_day),
        "red_flag_alerts": report.red_flag_alerts,
        "red_flag_patients": _share(report.red_flag_patients),
        "theatre_returns": report.theatre_returns,
        "theatre_return_patients": _share(report.theatre_patients),
        "timepoints": [
            {
                "timepoint": row.timepoint,
                **{key: _stat(stat) for key, stat in row.stats.items()},
                "mcid": {key: _share(s) for key, s in row.mcid.items()},
                "substantial": {key: _share(s) for key, s in row.substantial.items()},
                "success": {key: _share(s) for key, s in row.success.items()},
                "completion": _share(row.completion),
            }
            for row in report.rows
        ],
        "weekly": {
            measure: [{"week": p.week, **_stat(p.stat)} for p in points]
            for measure, points in report.weekly.items()
        },
    }
