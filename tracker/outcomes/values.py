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


def scheduled_cte(templates: list[tuple[int, dict]]):
    """(template, timepoint, instrument) of every scheduled questionnaire."""
    rows = sorted(
        {
            (template_id, tp.key, instrument)
            for template_id, definition in templates
            for tp in timepoints(definition)
            for instrument in tp.instruments
        }
    )
    return sql.literal_table(
        "scheduled",
        [("template_id", sa.Integer()), ("timepoint", sa.String()), ("instrument", sa.String())],
        rows,
    )


def values_cte(cohort, windows, name: str = "tp_values"):
    """(journey_id, instrument, timepoint, value, at, source) with one row per measure."""
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
    is_baseline = windows.c.timepoint == "baseline"
    in_window = sa.or_(
        sa.and_(
            is_baseline,
            CheckIn.recorded_at < cohort.c.surgery_at,
            sa.or_(windows.c.from_day.is_(None), offset >= windows.c.from_day),
        ),
        sa.and_(~is_baseline, offset >= windows.c.from_day, offset <= windows.c.to_day),
    )
    check_ins = (
        sa.select(
            CheckIn.journey_id.label("journey_id"),
            windows.c.timepoint.label("timepoint"),
            sa.case((is_baseline, -offset), else_=sa.func.abs(offset - windows.c.day)).label(
                "distance"
            ),
            CheckIn.recorded_at.label("at"),
            CheckIn.id.label("ref"),
            *(getattr(CheckIn, column).label(key) for key, column in CHECK_IN_FIELDS.items()),
        )
        .join(cohort, cohort.c.id == CheckIn.journey_id)
        .join(windows, windows.c.template_id == cohort.c.template_id)
        .where(cohort.c.surgery_at.is_not(None), in_window)
        .cte(f"{name}_check_ins")
    )
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
