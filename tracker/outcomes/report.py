"""The outcomes report of a cohort, aggregated in SQL (a handful of statements, any size).

The cohort is every journey whose operation has taken place (procedure day or later), filtered
by pathway, condition, surgeon and surgery period. Per timepoint it gives median (IQR) back
pain, leg pain and ODI; the share of patients reaching the MCID (among those with both a
baseline and that timepoint's value) and the substantial-benefit level; the share reporting
success on the global rating of change and MacNab; and the questionnaire completion rate
(completed every questionnaire of the timepoint, among the patients whose window has closed).
Numbers are identical on SQLite and PostgreSQL (see :mod:`tracker.outcomes.sql`).
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from tracker.db import db
from tracker.journeys.models import Journey, StageTransition
from tracker.outcomes import catalogue, sql
from tracker.outcomes.definitions import is_scale, success_values
from tracker.outcomes.models import TIMEPOINTS, QuestionnaireResponse, TheatreReturn
from tracker.outcomes.scoring import EPSILON, round_half_up
from tracker.outcomes.values import (
    CHECK_IN_FIELDS,
    cohort_cte,
    scheduled,
    values_cte,
    windows_cte,
)
from tracker.pathways.models import PathwayTemplate
from tracker.portal.models import Alert, CheckIn
from tracker.timeutil import at_local, clinic_tz

#: below this many patients a number is shown but marked as a small group
SMALL_GROUP = 5
MEASURES = ("back_pain", "leg_pain", "odi")
CATEGORIES = ("global_change", "macnab")
OPERATED_STAGES = ("procedure", "discharge", "follow_up")
#: the weekly chart covers the first year
WEEKS = 53
#: where a timepoint's questionnaire answers sit on the weekly chart (-1: before the operation)
TIMEPOINT_WEEKS = {"baseline": -1, "2w": 2, "6w": 6, "3m": 13, "12m": 52}


@dataclass(frozen=True)
class ReportFilters:
    pathway: str | None = None
    condition: str | None = None
    surgeon_id: int | None = None
    surgery_from: date | None = None
    surgery_to: date | None = None

    def as_args(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass
class Stat:
    n: int = 0
    median: float | None = None
    q1: float | None = None
    q3: float | None = None

    @property
    def small(self) -> bool:
        return 0 < self.n < SMALL_GROUP


@dataclass
class Share:
    count: int = 0
    of: int = 0

    @property
    def percent(self) -> float | None:
        return round_half_up(100 * self.count / self.of, 1) if self.of else None

    @property
    def small(self) -> bool:
        return 0 < self.of < SMALL_GROUP


@dataclass
class TimepointRow:
    timepoint: str
    stats: dict[str, Stat] = field(default_factory=dict)
    mcid: dict[str, Share] = field(default_factory=dict)
    substantial: dict[str, Share] = field(default_factory=dict)
    success: dict[str, Share] = field(default_factory=dict)
    #: None where the timepoint has no questionnaire (2 weeks: check-ins only)
    completion: Share | None = None


@dataclass
class WeekPoint:
    week: int
    stat: Stat


@dataclass
class Report:
    filters: ReportFilters
    generated_at: datetime
    patients: int = 0
    length_of_stay: Stat = field(default_factory=Stat)
    same_day: Share = field(default_factory=Share)
    red_flag_alerts: int = 0
    red_flag_patients: Share = field(default_factory=Share)
    theatre_returns: int = 0
    theatre_patients: Share = field(default_factory=Share)
    rows: list[TimepointRow] = field(default_factory=list)
    #: measure -> median and IQR by week since the operation (-1: baseline)
    weekly: dict[str, list[WeekPoint]] = field(default_factory=dict)
    definitions: dict[str, dict] = field(default_factory=dict)

    @property
    def small(self) -> bool:
        return 0 < self.patients < SMALL_GROUP


def _num(value) -> float | None:
    return None if value is None else round_half_up(float(value), 1)


def _stat(row) -> Stat:
    return Stat(int(row.n), _num(row.p50), _num(row.p25), _num(row.p75))


def templates_for(filters: ReportFilters) -> list[tuple[int, dict]]:
    query = sa.select(PathwayTemplate.id, PathwayTemplate.definition)
    if filters.pathway:
        query = query.where(PathwayTemplate.slug == filters.pathway)
    return [(row.id, row.definition) for row in db.session.execute(query)]


def cohort_where(filters: ReportFilters, now: datetime) -> list:
    where = [
        Journey.surgery_at.is_not(None),
        Journey.surgery_at <= now,
        Journey.stage.in_(OPERATED_STAGES),
    ]
    if filters.pathway:
        slug = sa.select(PathwayTemplate.id).where(PathwayTemplate.slug == filters.pathway)
        where.append(Journey.template_id.in_(slug))
    if filters.condition:
        where.append(Journey.condition == filters.condition)
    if filters.surgeon_id:
        where.append(Journey.surgeon_id == filters.surgeon_id)
    tz = clinic_tz()
    midnight = datetime.min.time()
    if filters.surgery_from:
        where.append(Journey.surgery_at >= at_local(filters.surgery_from, midnight, tz))
    if filters.surgery_to:
        end = at_local(filters.surgery_to + timedelta(days=1), midnight, tz)
        where.append(Journey.surgery_at < end)
    return where


def build(filters: ReportFilters, *, now: datetime, today: date) -> Report:
    """The cohort's report at ``now`` (``today``: the clinic's date, for closed windows)."""
    sql.prepare()
    report = Report(filters=filters, generated_at=now)
    templates = templates_for(filters)
    cohort = cohort_cte(cohort_where(filters, now))
    windows = windows_cte(templates)
    values = values_cte(cohort, templates)
    report.definitions = catalogue.definitions([*MEASURES, *CATEGORIES])
    _stay(report, cohort)
    _safety(report, cohort)
    rows = {tp: TimepointRow(tp) for tp in TIMEPOINTS}
    _aggregates(report, rows, cohort, values)
    _completion(rows, cohort, windows, templates, today)
    report.rows = [rows[tp] for tp in TIMEPOINTS]
    return report


def _stay(report: Report, cohort) -> None:
    """Patients, and admission (entering procedure day) to discharge in hours."""
    report.patients = db.session.scalar(sa.select(sa.func.count()).select_from(cohort)) or 0
    admitted = (
        sa.select(
            StageTransition.journey_id,
            sa.func.max(StageTransition.at).label("admitted_at"),
        )
        .join(cohort, cohort.c.id == StageTransition.journey_id)
        .where(
            StageTransition.to_stage == "procedure", StageTransition.at <= cohort.c.discharged_at
        )
        .group_by(StageTransition.journey_id)
        .subquery()
    )
    zone = current_app.config["CLINIC_TIMEZONE"]
    stays = (
        sa.select(
            cohort.c.id,
            (
                (
                    sql.epoch_seconds(cohort.c.discharged_at)
                    - sql.epoch_seconds(admitted.c.admitted_at)
                )
                / 3600.0
            ).label("value"),
            sa.case(
                (
                    sql.local_day_number(cohort.c.discharged_at, zone)
                    == sql.local_day_number(cohort.c.surgery_at, zone),
                    1,
                ),
                else_=0,
            ).label("same_day"),
            sa.literal("all").label("everyone"),
        )
        .join(admitted, admitted.c.journey_id == cohort.c.id)
        .where(cohort.c.discharged_at.is_not(None))
        .cte("stays")
    )
    row = db.session.execute(sql.percentiles(stays, ["everyone"])).first()
    if row is not None:
        report.length_of_stay = _stat(row)
    same_day = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(stays.c.same_day), 0))
    ).one()
    report.same_day = Share(int(same_day[1]), int(same_day[0]))


def _safety(report: Report, cohort) -> None:
    alerts = db.session.execute(
        sa.select(sa.func.count(Alert.id), sa.func.count(sa.distinct(Alert.journey_id)))
        .join(cohort, cohort.c.id == Alert.journey_id)
        .where(Alert.kind == "red_flag")
    ).one()
    report.red_flag_alerts = alerts[0]
    report.red_flag_patients = Share(alerts[1], report.patients)
    returns = db.session.execute(
        sa.select(
            sa.func.count(TheatreReturn.id), sa.func.count(sa.distinct(TheatreReturn.journey_id))
        )
        .join(cohort, cohort.c.id == TheatreReturn.journey_id)
        .where(TheatreReturn.voided_at.is_(None))
    ).one()
    report.theatre_returns = returns[0]
    report.theatre_patients = Share(returns[1], report.patients)


def _per_instrument(instrument, definitions: dict[str, dict], value_of) -> sa.ColumnElement:
    """A CASE on the instrument giving each one's constant (its thresholds, its direction).

    Constants, not a joined table: the timepoint values come out of a window function whose
    row count the planner cannot estimate, and joining them invites a nested loop.
    """
    whens = [(instrument == key, value_of(d)) for key, d in definitions.items()]
    whens = [(cond, value) for cond, value in whens if value is not None]
    return sa.case(*whens, else_=sa.null()) if whens else sa.null()


def _direction(definition: dict) -> float:
    return 1.0 if definition["scoring"].get("better", "lower") == "lower" else -1.0


def _substantial(definition: dict) -> float | None:
    rule = definition.get("substantial")
    return float(rule["points"]) if rule else None


def _timepoint_query(values, definitions: dict[str, dict]):
    """One statement per report for every measure and timepoint: median and quartiles; the
    MCID and substantial benefit (the rule of :func:`tracker.outcomes.scoring.mcid_reached`,
    each value against its journey's baseline, found by a window, not a self-join); the share
    answering a "success" option (global change, MacNab)."""
    scales = {k: d for k, d in definitions.items() if "mcid" in d and is_scale(d)}
    paired = sa.select(
        *values.c,
        sa.func.max(sa.case((values.c.timepoint == "baseline", values.c.value)))
        .over(partition_by=(values.c.journey_id, values.c.instrument))
        .label("base"),
    ).cte("paired")

    def counts(c) -> list:
        direction = _per_instrument(c.instrument, scales, _direction)
        points = _per_instrument(c.instrument, scales, lambda d: float(d["mcid"]["points"]))
        percent = _per_instrument(
            c.instrument, scales, lambda d: float(d["mcid"].get("percent") or 0)
        )
        needed = _per_instrument(c.instrument, scales, _substantial)
        gain = (c.base - c.value) * direction
        follow_up = sa.and_(c.timepoint != "baseline", c.base.is_not(None), points.is_not(None))
        mcid = sa.and_(
            follow_up,
            gain > EPSILON,
            sa.or_(
                gain >= points - EPSILON,
                sa.and_(percent > 0, c.base > 0, gain * 100 >= percent * c.base - EPSILON),
            ),
        )
        substantial = sa.and_(follow_up, needed.is_not(None), gain >= needed - EPSILON)
        hits = [
            sa.and_(c.instrument == key, c.value.in_([float(v) for v in success_values(d)]))
            for key, d in definitions.items()
            if key in CATEGORIES and success_values(d)
        ]
        success = sa.or_(*hits) if hits else sa.false()
        return [
            sa.func.sum(sa.case((follow_up, 1), else_=0)).label("paired"),
            sa.func.sum(sa.case((mcid, 1), else_=0)).label("mcid"),
            sa.func.sum(sa.case((substantial, 1), else_=0)).label("substantial"),
            sa.func.sum(sa.case((success, 1), else_=0)).label("success"),
        ]

    return sql.percentiles(paired, ["instrument", "timepoint"], extra=counts).subquery("by_point")


def _aggregates(report: Report, rows: dict[str, TimepointRow], cohort, values) -> None:
    """The timepoint table and the weekly chart in one statement: the timepoint values are
    worked out once (a CTE both halves read) instead of once per figure."""
    point = _timepoint_query(values, report.definitions)
    week = _weekly_query(cohort, values)
    no_text, no_number = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Integer)
    query = sa.union_all(
        sa.select(
            sa.literal("point").label("kind"),
            point.c.instrument,
            point.c.timepoint,
            no_number.label("week"),
            point.c.n,
            point.c.p25,
            point.c.p50,
            point.c.p75,
            point.c.paired,
            point.c.mcid,
            point.c.substantial,
            point.c.success,
        ),
        sa.select(
            sa.literal("week").label("kind"),
            week.c.measure.label("instrument"),
            no_text.label("timepoint"),
            week.c.week,
            week.c.n,
            week.c.p25,
            week.c.p50,
            week.c.p75,
            *(no_number.label(name) for name in ("paired", "mcid", "substantial", "success")),
        ),
    )
    report.weekly = {m: [] for m in MEASURES}
    for row in db.session.execute(query):
        if row.kind == "week":
            if row.instrument in report.weekly:
                report.weekly[row.instrument].append(WeekPoint(int(row.week), _stat(row)))
            continue
        _read_point(rows[row.timepoint], row, report.definitions)
    for points in report.weekly.values():
        points.sort(key=lambda p: p.week)


def _read_point(target: TimepointRow, row, definitions: dict[str, dict]) -> None:
    if row.instrument in MEASURES:
        target.stats[row.instrument] = _stat(row)
        if row.timepoint != "baseline" and row.paired:
            target.mcid[row.instrument] = Share(int(row.mcid), int(row.paired))
            if "substantial" in definitions.get(row.instrument, {}):
                share = Share(int(row.substantial), int(row.paired))
                target.substantial[row.instrument] = share
    elif row.instrument in CATEGORIES:
        target.success[row.instrument] = Share(int(row.success), int(row.n))


def _completion(rows, cohort, windows, templates, today: date) -> None:
    """Completed every questionnaire of the timepoint, among patients whose window has closed."""
    r = QuestionnaireResponse
    done = (
        sa.select(
            r.journey_id,
            r.timepoint,
            sa.func.count(sa.distinct(r.instrument_key)).label("n"),
        )
        .join(cohort, cohort.c.id == r.journey_id)
        .where(
            r.status == "completed",
            scheduled(templates, cohort.c.template_id, r.timepoint, r.instrument_key),
        )
        .group_by(r.journey_id, r.timepoint)
        .subquery()
    )
    closed = sa.or_(
        windows.c.timepoint == "baseline",  # the cohort is operated: the baseline window closed
        cohort.c.sday + windows.c.to_day < sql.date_literal(today),
    )
    query = (
        sa.select(
            windows.c.timepoint,
            sa.func.count().label("eligible"),
            sa.func.sum(sa.case((done.c.n >= windows.c.n_instruments, 1), else_=0)).label("done"),
        )
        .select_from(cohort)
        .join(windows, windows.c.template_id == cohort.c.template_id)
        .outerjoin(
            done, sa.and_(done.c.journey_id == cohort.c.id, done.c.timepoint == windows.c.timepoint)
        )
        .where(windows.c.n_instruments > 0, closed)
        .group_by(windows.c.timepoint)
    )
    for row in db.session.execute(query):
        rows[row.timepoint].completion = Share(int(row.done or 0), int(row.eligible))
    for tp, row in rows.items():
        if row.completion is None and tp != "2w":
            row.completion = Share(0, 0)


def _weekly_query(cohort, values):
    """Median and IQR by week since the operation; week -1 is the baseline.

    Pain: every check-in, and each questionnaire answer at its timepoint's week
    (``TIMEPOINT_WEEKS``); a patient with several in a week counts once, with their mean.
    The ODI: its timepoint values.
    """
    week = sa.case(
        *((values.c.timepoint == key, week) for key, week in TIMEPOINT_WEEKS.items()),
        else_=sa.null(),
    )
    answered = sa.select(
        values.c.journey_id,
        values.c.instrument.label("measure"),
        week.label("week"),
        values.c.value,
    ).where(
        values.c.instrument.in_(MEASURES),
        sa.or_(values.c.timepoint == "baseline", values.c.source == "questionnaire"),
    )
    offset = sql.day_number(CheckIn.day) - cohort.c.sday
    daily = [
        sa.select(
            CheckIn.journey_id,
            sa.literal(key).label("measure"),
            (offset // 7).label("week"),
            sa.cast(getattr(CheckIn, column), sa.Float).label("value"),
        )
        .join(cohort, cohort.c.id == CheckIn.journey_id)
        .where(offset >= 0, offset < WEEKS * 7)
        for key, column in CHECK_IN_FIELDS.items()
    ]
    observations = sa.union_all(answered, *daily).subquery("observations")
    o = observations.c
    per_patient = (
        sa.select(o.measure, o.week, sa.func.avg(o.value).label("value"))
        .group_by(o.journey_id, o.measure, o.week)
        .cte("weekly_values")
    )
    return sql.percentiles(per_patient, ["measure", "week"]).subquery("weekly")
