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
    scheduled_cte,
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
    values = values_cte(cohort, windows)
    report.definitions = catalogue.definitions([*MEASURES, *CATEGORIES])
    _stay(report, cohort)
    _safety(report, cohort)
    rows = {tp: TimepointRow(tp) for tp in TIMEPOINTS}
    for row in db.session.execute(sql.percentiles(values, ["instrument", "timepoint"])):
        if row.instrument in MEASURES:
            rows[row.timepoint].stats[row.instrument] = _stat(row)
    _changes(rows, values, report.definitions)
    _success(rows, values, report.definitions)
    _completion(rows, cohort, windows, scheduled_cte(templates), today)
    report.rows = [rows[tp] for tp in TIMEPOINTS]
    report.weekly = _weekly(cohort, windows, values)
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


def _thresholds(definitions: dict[str, dict]):
    rows = [
        (
            key,
            float(d["mcid"]["points"]),
            float(d["mcid"].get("percent") or 0),
            float(d["substantial"]["points"]) if "substantial" in d else None,
            1 if d["scoring"].get("better", "lower") == "lower" else -1,
        )
        for key, d in definitions.items()
        if "mcid" in d and is_scale(d)
    ]
    return sql.literal_table(
        "thresholds",
        [
            ("instrument", sa.String()),
            ("points", sa.Float()),
            ("percent", sa.Float()),
            ("substantial", sa.Float()),
            ("direction", sa.Integer()),
        ],
        rows,
    )


def _changes(rows: dict[str, TimepointRow], values, definitions) -> None:
    """MCID and substantial benefit: the rule of :func:`tracker.outcomes.scoring.mcid_reached`."""
    base = values.alias("base")
    limits = _thresholds(definitions)
    gain = (base.c.value - values.c.value) * limits.c.direction
    mcid = sa.and_(
        gain > EPSILON,
        sa.or_(
            gain >= limits.c.points - EPSILON,
            sa.and_(
                limits.c.percent > 0,
                base.c.value > 0,
                gain * 100 >= limits.c.percent * base.c.value - EPSILON,
            ),
        ),
    )
    substantial = sa.and_(limits.c.substantial.is_not(None), gain >= limits.c.substantial - EPSILON)
    query = (
        sa.select(
            values.c.instrument,
            values.c.timepoint,
            sa.func.count().label("paired"),
            sa.func.sum(sa.case((mcid, 1), else_=0)).label("mcid"),
            sa.func.sum(sa.case((substantial, 1), else_=0)).label("substantial"),
            sa.func.max(sa.case((limits.c.substantial.is_not(None), 1), else_=0)).label("has_sub"),
        )
        .join(
            base,
            sa.and_(
                base.c.journey_id == values.c.journey_id,
                base.c.instrument == values.c.instrument,
                base.c.timepoint == "baseline",
            ),
        )
        .join(limits, limits.c.instrument == values.c.instrument)
        .where(values.c.timepoint != "baseline")
        .group_by(values.c.instrument, values.c.timepoint)
    )
    for row in db.session.execute(query):
        if row.instrument not in MEASURES:
            continue
        target = rows[row.timepoint]
        target.mcid[row.instrument] = Share(int(row.mcid), int(row.paired))
        if row.has_sub:
            target.substantial[row.instrument] = Share(int(row.substantial), int(row.paired))


def _success(rows: dict[str, TimepointRow], values, definitions) -> None:
    """Global change and MacNab: the share answering a "success" option."""
    pairs = [
        (key, float(value))
        for key in CATEGORIES
        if key in definitions
        for value in success_values(definitions[key])
    ]
    good = sql.literal_table(
        "success_values", [("instrument", sa.String()), ("value", sa.Float())], pairs
    )
    hit = sa.exists().where(
        good.c.instrument == values.c.instrument, good.c.value == values.c.value
    )
    query = (
        sa.select(
            values.c.instrument,
            values.c.timepoint,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((hit, 1), else_=0)).label("success"),
        )
        .where(values.c.instrument.in_(CATEGORIES))
        .group_by(values.c.instrument, values.c.timepoint)
    )
    for row in db.session.execute(query):
        rows[row.timepoint].success[row.instrument] = Share(int(row.success), int(row.n))


def _completion(rows, cohort, windows, scheduled, today: date) -> None:
    """Completed every questionnaire of the timepoint, among patients whose window has closed."""
    r = QuestionnaireResponse
    done = (
        sa.select(
            r.journey_id,
            r.timepoint,
            sa.func.count(sa.distinct(r.instrument_key)).label("n"),
        )
        .join(cohort, cohort.c.id == r.journey_id)
        .join(
            scheduled,
            sa.and_(
                scheduled.c.template_id == cohort.c.template_id,
                scheduled.c.timepoint == r.timepoint,
                scheduled.c.instrument == r.instrument_key,
            ),
        )
        .where(r.status == "completed")
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


def _weekly(cohort, windows, values) -> dict[str, list[WeekPoint]]:
    """Median and IQR by week since the operation; week -1 is the baseline.

    Pain: every check-in, and each questionnaire answer at its timepoint's week; a patient
    with several in a week counts once, with their mean. The ODI: its timepoint values.
    """
    answered = (
        sa.select(
            values.c.journey_id,
            values.c.instrument.label("measure"),
            sa.case((values.c.timepoint == "baseline", -1), else_=windows.c.day // 7).label("week"),
            values.c.value,
        )
        .join(cohort, cohort.c.id == values.c.journey_id)
        .join(
            windows,
            sa.and_(
                windows.c.template_id == cohort.c.template_id,
                windows.c.timepoint == values.c.timepoint,
            ),
        )
        .where(
            values.c.instrument.in_(MEASURES),
            sa.or_(values.c.timepoint == "baseline", values.c.source == "questionnaire"),
        )
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
    out: dict[str, list[WeekPoint]] = {m: [] for m in MEASURES}
    for row in db.session.execute(sql.percentiles(per_patient, ["measure", "week"])):
        if row.measure in out:
            out[row.measure].append(WeekPoint(int(row.week), _stat(row)))
    for points in out.values():
        points.sort(key=lambda p: p.week)
    return out
