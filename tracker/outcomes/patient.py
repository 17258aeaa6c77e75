"""One patient's outcome: each measure's score at each timepoint against the baseline."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from tracker.db import db
from tracker.journeys.models import Journey
from tracker.outcomes import catalogue, sql
from tracker.outcomes.definitions import is_scale
from tracker.outcomes.models import TIMEPOINTS
from tracker.outcomes.schedule import expected_band, timepoints
from tracker.outcomes.scoring import band_of, mcid_reached, round_half_up, substantial_reached
from tracker.outcomes.values import CHECK_IN_FIELDS, cohort_cte, values_cte

#: the measures every outcome shows, in this order, then any other scheduled instrument
CORE = ("odi", "leg_pain", "back_pain")


@dataclass
class Point:
    timepoint: str
    completed_at: datetime
    score: float
    #: questionnaire, or check_in (a daily pain check-in in the timepoint's window)
    source: str
    band: str | None = None
    #: score minus baseline (negative: lower than before the operation)
    change: float | None = None
    mcid_reached: bool | None = None
    substantial_reached: bool | None = None


@dataclass
class InstrumentOutcome:
    key: str
    definition: dict
    baseline: Point | None = None
    points: list[Point] = field(default_factory=list)
    expected: list[dict] | None = None

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def is_scale(self) -> bool:
        return is_scale(self.definition)


def journey_values(journey: Journey) -> list[sa.Row]:
    """The journey's rows of the shared timepoint-values query."""
    sql.prepare()
    template = [(journey.template_id, journey.template.definition)]
    cohort = cohort_cte([Journey.id == journey.id])
    values = values_cte(cohort, template)
    return db.session.execute(sa.select(values)).all()


def _band(definition: dict, value: float) -> str | None:
    if definition["scoring"]["method"] == "percent_of_max":
        return band_of(definition, value)
    if definition["scoring"]["method"] == "choice":
        for option in definition["items"][0].get("options", []):
            if option["value"] == value:
                return option.get("code")
    return None


def journey_outcomes(journey: Journey) -> dict[str, InstrumentOutcome]:
    """Per instrument: baseline and later points with change and MCID (ODI, leg, back first)."""
    scheduled = [key for tp in timepoints(journey.template.definition) for key in tp.instruments]
    keys = list(dict.fromkeys([*CORE, *CHECK_IN_FIELDS, *scheduled]))
    definitions = catalogue.definitions(keys)
    out = {
        key: InstrumentOutcome(
            key, definitions[key], expected=expected_band(journey.template.definition, key)
        )
        for key in keys
        if key in definitions
    }
    rows = sorted(journey_values(journey), key=lambda r: TIMEPOINTS.index(r.timepoint))
    for row in rows:
        outcome = out.get(row.instrument)
        if outcome is None:
            continue
        definition = outcome.definition
        point = Point(
            timepoint=row.timepoint,
            completed_at=row.at,
            score=row.value,
            source=row.source,
            band=_band(definition, row.value),
        )
        if row.timepoint == "baseline":
            outcome.baseline = point
            continue
        base = outcome.baseline.score if outcome.baseline else None
        if base is not None and is_scale(definition):
            point.change = round_half_up(row.value - base, 1)
            point.mcid_reached = mcid_reached(definition, base, row.value)
            point.substantial_reached = substantial_reached(definition, base, row.value)
        outcome.points.append(point)
    return out
