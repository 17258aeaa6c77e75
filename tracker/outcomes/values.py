"""Each journey's value of each measure at each timepoint, as one SQL query.

The per-patient outcome, the cohort report and the CSV all read this one definition, so they
agree. For every (journey, instrument, timepoint) it keeps one value:

1. the latest completed questionnaire answered for that timepoint, if it could be scored;
2. else, for back and leg pain, the daily check-in closest to the timepoint's day inside its
   window (the baseline: the last check-in before the operation), the later one on a tie.

Days are counted on the patient's calendar from the operation day, like the pathway's
timepoint windows (``outcomes:`` in the template).
"""

import sqlalchemy as sa

from tracker.journeys.models import Journey
from tracker.outcomes import sql
from tracker.outcomes.definitions import shipped
from tracker.outcomes.models import QuestionnaireResponse
from tracker.outcomes.schedule import timepoints
from tracker.patients.models import Patient
from tracker.portal.models import CheckIn

#: instruments the daily check-in also answers: instrument key -> check-in column
CHECK_IN_FIELDS = {
    key: d["check_in_field"] for key, d in shipped().items() if d.get("check_in_field")
}


def cohort_cte(where, name: str = "cohort"):
    """The journeys ``where`` selects, with the operation's local day number (patient's zone)."""
    return (
        sa.select(
            Journey.id,
            Journey.template_id,
            Journey.patient_id,
            Journey.surgery_at,
            Journey.discharged_at,
            sql.local_day_number(Journey.surgery_at, Patient.timezone).label("sday"),
        )
        .join(Patient, Patient.id == Journey.patient_id)
        .where(*where)
        .cte(name)
    )


def windows_cte(templates: list[tuple[int, dict]]):
    """The timepoint windows of the given template versions (id, definition)."""
    rows = [
        (
            template_id,
            tp.key,
            tp.ordinal,
            tp.day,
            tp.from_day,
            tp.to_day,
            len(set(tp.instruments)),
        )
        for template_id, definition in templates
        for tp in timepoints(definition)
    ]
    return sql.literal_table(
        "windows",
        [
            ("template_id", sa.Integer()),
            ("timepoint", sa.String()),
            ("ordinal", sa.Integer()),
            ("day", sa.Integer()),
            ("from_day", sa.Integer()),
            ("to_day", sa.Integer()),
            ("n_instruments", sa.Integer()),
        ],
        rows,
    )


def _window_cases(templates, template_id, offset, before_surgery):
    """CASE expressions placing a check-in in its timepoint and giving its distance to the day.

    Written out per template version (a handful), so the check-ins are read in one pass with
    no join to the schedule; a pathway's windows do not overlap, so the first match is the one.
    """
    places, distances = [], []
    for version, definition in templates:
        for tp in timepoints(definition):
            if tp.is_baseline:
                where = sa.and_(template_id == version, before_surgery)
                if tp.from_day is not None:
                    where = sa.and_(where, offset >= tp.from_day)
                distance = -offset
            else:
                where = sa.and_(template_id == version, offset.between(tp.from_day, tp.to_day))
                distance = sa.func.abs(offset - tp.day)
            places.append((where, tp.key))
            distances.append((where, distance))
    if not places:  # no template in the cohort: typed nulls, so the union still lines up
        return sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Integer)
    return sa.case(*places, else_=sa.null()), sa.case(*distances, else_=sa.null())


def scheduled(templates, template_id, timepoint, instrument):
    """SQL: the (timepoint, instrument) is a questionnaire of the template version's schedule."""
    terms = [
        sa.and_(template_id == version, timepoint == tp.key, instrument.in_(tp.instruments))
        for version, definition in templates
        for tp in timepoints(definition)
        if tp.instruments
    ]
    return sa.or_(*terms) if terms else sa.false()


def values_cte(cohort, templates: list[tuple[int, dict]], name: str = "tp_values"):
    """(journey_id, instrument, timepoint, value, at, source) with one row per measure.

    ``templates``: (id, definition) of every template version the cohort may use.
    """
    r = QuestionnaireResponse
    answered = sa.select(
        r.journey_id.label("journey_id"),
        r.instrument_key.label("instrument"),
        r.timepoint.label("timepoint"),
        sa.cast(r.score, sa.Float).label("value"),
        r.completed_at.label("at"),
        sa.literal("questionnaire").label("source"),
        sa.literal(1).label("priority"),
        sa.literal(0).label("distance"),
        r.id.label("ref"),
    ).where(
        r.journey_id == cohort.c.id,
        r.status == "completed",
        r.timepoint.is_not(None),
        r.score.is_not(None),
    )
    offset = sql.day_number(CheckIn.day) - cohort.c.sday
    before = CheckIn.recorded_at < cohort.c.surgery_at
    timepoint, distance = _window_cases(templates, cohort.c.template_id, offset, before)
    placed = (
        sa.select(
            CheckIn.journey_id.label("journey_id"),
            timepoint.label("timepoint"),
            distance.label("distance"),
            CheckIn.recorded_at.label("at"),
            CheckIn.id.label("ref"),
            *(getattr(CheckIn, column).label(key) for key, column in CHECK_IN_FIELDS.items()),
        )
        .join(cohort, cohort.c.id == CheckIn.journey_id)
        .where(cohort.c.surgery_at.is_not(None))
        .subquery(f"{name}_placed")
    )
    check_ins = sa.select(placed).where(placed.c.timepoint.is_not(None)).cte(f"{name}_check_ins")
    from_check_ins = [
        sa.select(
            check_ins.c.journey_id,
            sa.literal(key).label("instrument"),
            check_ins.c.timepoint,
            sa.cast(check_ins.c[key], sa.Float).label("value"),
            check_ins.c.at,
            sa.literal("check_in").label("source"),
            sa.literal(2).label("priority"),
            check_ins.c.distance,
            check_ins.c.ref,
        )
        for key in CHECK_IN_FIELDS
    ]
    candidates = sa.union_all(answered, *from_check_ins).subquery(f"{name}_candidates")
    c = candidates.c
    ranked = sa.select(
        c.journey_id,
        c.instrument,
        c.timepoint,
        c.value,
        c.at,
        c.source,
        sa.func.row_number()
        .over(
            partition_by=(c.journey_id, c.instrument, c.timepoint),
            order_by=(c.priority, c.distance, c.at.desc(), c.ref.desc()),
        )
        .label("rank"),
    ).subquery(f"{name}_ranked")
    k = ranked.c
    return (
        sa.select(k.journey_id, k.instrument, k.timepoint, k.value, k.at, k.source)
        .where(k.rank == 1)
        .cte(name)
    )
