"""The alert rules, run on every check-in and once a day, and the coordinator's alert actions.

Thresholds come from the journey's pathway template (``alerts:``); the defaults below are used
only where a template leaves one out.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.journeys.models import Journey
from tracker.on_duty import services as on_duty
from tracker.portal.models import UNRESOLVED, Alert, CheckIn, PortalInvitation
from tracker.vocabulary import record_alert_summary

DEFAULT_THRESHOLDS = {
    "pain_high": 8,
    "pain_rise": 3,
    "rise_window_days": 3,
    "leg_pain_return_fraction": 0.8,
    "leg_pain_relief_points": 2,
    "missed_checkin_days": 3,
    "checkin_days": 14,
    "settled_pain": 2,
    "settled_days": 3,
}
#: urgent: red flags; high: possible re-herniation, pain of 8 or more; the rest normal
SEVERITY = {"red_flag": "urgent", "pain_high": "high", "leg_pain_return": "high"}
SEVERITY_ORDER = ("urgent", "high", "normal")
NOTE_MAX = 2000


@dataclass(frozen=True)
class Thresholds:
    pain_high: int
    pain_rise: float
    rise_window_days: int
    leg_pain_return_fraction: float
    leg_pain_relief_points: float
    missed_checkin_days: int
    checkin_days: int
    #: daily check-ins stop once back and leg pain stayed at or under settled_pain, with no
    #: warning sign, on the last settled_days days the patient checked in, one after the other
    settled_pain: int
    settled_days: int


def thresholds(journey: Journey) -> Thresholds:
    values = {**DEFAULT_THRESHOLDS, **(journey.template.definition.get("alerts") or {})}
    return Thresholds(**{k: values[k] for k in DEFAULT_THRESHOLDS})


def patient_tz(journey: Journey) -> ZoneInfo:
    return ZoneInfo(journey.patient.timezone)


def surgery_day(journey: Journey) -> date | None:
    return journey.anchor_date("surgery", patient_tz(journey))


def _raise(
    journey: Journey,
    kind: str,
    details: dict,
    *,
    dedup_key: str,
    now: datetime,
    check_in: CheckIn | None = None,
) -> Alert | None:
    """Add an alert unless one with the same key exists; urgent ones tell the on-duty staff.

    ``details`` keeps the facts the summary is made of (:func:`vocabulary.alert_summary`), so
    each reader sees it in their language; the English line is stored too, for the API.
    """
    if db.session.scalar(sa.select(Alert.id).where(Alert.dedup_key == dedup_key)):
        return None
    severity = SEVERITY.get(kind, "normal")
    summary = record_alert_summary(kind, details)
    alert = Alert(
        journey_id=journey.id,
        patient_id=journey.patient_id,
        check_in=check_in,
        kind=kind,
        severity=severity,
        status="open",
        summary=summary[:300],
        details=details,
        dedup_key=dedup_key,
        created_at=now,
    )
    db.session.add(alert)
    record(
        "alert.raise",
        alert,
        patient_id=journey.patient_id,
        now=now,
        details={"kind": kind, "severity": severity, "summary": alert.summary, "facts": details},
    )
    if severity == "urgent":
        on_duty.notify(alert, tier="on_duty", now=now)
    return alert


@dataclass(frozen=True)
class _Facts:
    """What the check-in rules read besides the check-in itself (one statement)."""

    #: check-ins on the days of the rise window before the check-in's day: count, sums
    before: int
    before_back: int
    before_leg: int
    #: leg pain of the last check-in before surgery; the least leg pain since, before this one
    baseline: int | None
    best_after: int | None
    #: alert kinds of the journey not yet resolved (of those the rules raise once at a time)
    unresolved: frozenset


ONE_AT_A_TIME = ("pain_high", "pain_rise", "leg_pain_return")


FACT_PARAMS = ("f_journey_id", "f_start", "f_day", "f_operated", "f_recorded_at", "f_exclude_id")


@cache
def facts_columns(*, operated: bool, exclude: bool = False) -> tuple:
    """The scalar subqueries of :class:`_Facts` (read them with :func:`read_facts`), over the
    bound parameters of :func:`facts_params`: a SELECT of their own, or the RETURNING of the
    check-in's INSERT. Built once per shape (the journey operated or not; this check-in left
    out or, in a RETURNING, not yet there), so a check-in builds no SQL of its own."""
    of_journey = CheckIn.journey_id == sa.bindparam("f_journey_id")
    window = (
        of_journey,
        CheckIn.day >= sa.bindparam("f_start"),
        CheckIn.day < sa.bindparam("f_day"),
    )

    def value(column, *where, order=None):
        query = sa.select(column).where(*where)
        if order is not None:
            query = query.order_by(*order).limit(1)
        return query.scalar_subquery()

    columns = [
        value(sa.func.count(CheckIn.id), *window),
        value(sa.func.coalesce(sa.func.sum(CheckIn.back_pain), 0), *window),
        value(sa.func.coalesce(sa.func.sum(CheckIn.leg_pain), 0), *window),
    ]
    if operated:
        since = [
            of_journey,
            CheckIn.day >= sa.bindparam("f_operated"),
            CheckIn.recorded_at <= sa.bindparam("f_recorded_at"),
        ]
        if exclude:
            since.append(CheckIn.id != sa.bindparam("f_exclude_id"))
        columns += [
            value(
                CheckIn.leg_pain,
                of_journey,
                CheckIn.day < sa.bindparam("f_operated"),
                order=(CheckIn.day.desc(), CheckIn.recorded_at.desc(), CheckIn.id.desc()),
            ),
            value(sa.func.min(CheckIn.leg_pain), *since),
        ]
    else:
        columns += [sa.null(), sa.null()]
    columns += [
        sa.exists().where(
            Alert.journey_id == sa.bindparam("f_journey_id"),
            Alert.kind == kind,
            Alert.status != "resolved",
        )
        for kind in ONE_AT_A_TIME
    ]
    return tuple(columns)


def facts_params(
    journey_id: int,
    day: date,
    recorded_at: datetime,
    limits: Thresholds,
    operated: date | None,
    *,
    exclude_id: int | None = None,
) -> dict:
    """The values of :func:`facts_columns`' parameters for a check-in of ``day``."""
    return {
        "f_journey_id": journey_id,
        "f_start": day - timedelta(days=limits.rise_window_days),
        "f_day": day,
        "f_operated": operated,
        "f_recorded_at": recorded_at,
        "f_exclude_id": exclude_id,
    }


def read_facts(row) -> _Facts:
    flags = zip(ONE_AT_A_TIME, row[5:], strict=True)
    unresolved = frozenset(kind for kind, still_open in flags if still_open)
    return _Facts(int(row[0]), int(row[1]), int(row[2]), row[3], row[4], unresolved)


@cache
def _facts_select(operated: bool) -> sa.Select:
    return sa.select(*facts_columns(operated=operated, exclude=True))


def _facts(check_in: CheckIn, limits: Thresholds, operated: date | None) -> _Facts:
    params = facts_params(
        check_in.journey_id,
        check_in.day,
        check_in.recorded_at,
        limits,
        operated,
        exclude_id=check_in.id,
    )
    return read_facts(db.session.execute(_facts_select(operated is not None), params).one())


def evaluate_check_in(
    check_in: CheckIn, *, now: datetime, facts: _Facts | None = None
) -> list[Alert]:
    """Run every rule that looks at one new check-in; return the alerts raised.

    What the rules read is one statement (:func:`facts_columns`), or none when ``facts`` came
    back with the check-in's INSERT; raising an alert costs more.
    """
    journey = check_in.journey
    limits = thresholds(journey)
    operated = surgery_day(journey)
    if facts is None:
        facts = _facts(check_in, limits, operated)
    raised: list[Alert | None] = []
    who = "taken by phone" if check_in.entered_by == "staff" else "in the portal"
    if check_in.red_flags:
        raised.append(
            _raise(
                journey,
                "red_flag",
                {"flags": check_in.red_flags, "entered": who},
                dedup_key=f"red_flag:{check_in.id}",
                check_in=check_in,
                now=now,
            )
        )
    high = max(check_in.back_pain, check_in.leg_pain)
    if high >= limits.pain_high and "pain_high" not in facts.unresolved:
        raised.append(
            _raise(
                journey,
                "pain_high",
                {"back": check_in.back_pain, "leg": check_in.leg_pain},
                dedup_key=f"pain_high:{check_in.id}",
                check_in=check_in,
                now=now,
            )
        )
    raised.append(_pain_rise(check_in, limits, facts, now))
    raised.append(_leg_pain_return(check_in, limits, operated, facts, now))
    return [a for a in raised if a is not None]


def _pain_rise(check_in: CheckIn, limits: Thresholds, facts: _Facts, now: datetime) -> Alert | None:
    if not facts.before or "pain_rise" in facts.unresolved:
        return None
    rises = []
    for part, total in (("back", facts.before_back), ("leg", facts.before_leg)):
        average = total / facts.before
        score = getattr(check_in, f"{part}_pain")
        if score - average >= limits.pain_rise:
            rises.append([part, round(average, 1), score])
    if not rises:
        return None
    return _raise(
        check_in.journey,
        "pain_rise",
        {"window_days": limits.rise_window_days, "rises": rises},
        dedup_key=f"pain_rise:{check_in.id}",
        check_in=check_in,
        now=now,
    )


def _leg_pain_return(
    check_in: CheckIn, limits: Thresholds, operated: date | None, facts: _Facts, now: datetime
) -> Alert | None:
    """Leg pain back near its pre-surgery level after early relief (possible re-herniation)."""
    if operated is None or check_in.day <= operated:
        return None
    baseline, best_after = facts.baseline, facts.best_after
    if baseline is None or baseline < limits.leg_pain_relief_points:
        return None
    relieved = best_after is not None and best_after <= baseline - limits.leg_pain_relief_points
    if not relieved or check_in.leg_pain < baseline * limits.leg_pain_return_fraction:
        return None
    if "leg_pain_return" in facts.unresolved:
        return None
    return _raise(
        check_in.journey,
        "leg_pain_return",
        {"leg": check_in.leg_pain, "baseline": baseline, "best": best_after},
        dedup_key=f"leg_pain_return:{check_in.id}",
        check_in=check_in,
        now=now,
    )


def settled_window(journey: Journey) -> int:
    """How many of the latest check-ins :func:`settled` reads."""
    return thresholds(journey).settled_days * 5  # a few check-ins a day at most, in practice one


def latest_check_ins(journeys: list[Journey], count: int) -> dict[int, list[CheckIn]]:
    """Each journey's latest ``count`` check-ins, latest day first, in one statement."""
    if not journeys or count < 1:
        return {j.id: [] for j in journeys}
    rank = (
        sa.func.row_number()
        .over(partition_by=CheckIn.journey_id, order_by=(CheckIn.day.desc(), CheckIn.id.desc()))
        .label("rank")
    )
    ranked = (
        sa.select(CheckIn.id, rank)
        .where(CheckIn.journey_id.in_([j.id for j in journeys]))
        .subquery()
    )
    rows = db.session.scalars(
        sa.select(CheckIn)
        .join(ranked, ranked.c.id == CheckIn.id)
        .where(ranked.c.rank <= count)
        .order_by(CheckIn.journey_id, CheckIn.day.desc(), CheckIn.id.desc())
    ).all()
    found: dict[int, list[CheckIn]] = {j.id: [] for j in journeys}
    for check_in in rows:
        found[check_in.journey_id].append(check_in)
    return found


def settled(journey: Journey, latest: list[CheckIn] | None = None) -> bool:
    """Whether the patient's recovery no longer needs daily check-ins (see Thresholds).

    It looks at the latest check-in days after surgery, not at today: a patient who stopped
    checking in once settled stays settled; a new painful check-in starts them again.
    ``latest``: the journey's latest check-ins (:func:`latest_check_ins`, at least
    :func:`settled_window` of them) when already loaded.
    """
    limits = thresholds(journey)
    operated = surgery_day(journey)
    if operated is None or limits.settled_days < 1:
        return False
    if latest is not None:
        rows = [c for c in latest if c.day > operated][: settled_window(journey)]
    else:
        rows = db.session.scalars(
            sa.select(CheckIn)
            .where(CheckIn.journey_id == journey.id, CheckIn.day > operated)
            .order_by(CheckIn.day.desc())
            .limit(settled_window(journey))
        ).all()
    days: dict[date, bool] = {}
    for check_in in rows:
        calm = max(check_in.back_pain, check_in.leg_pain) <= limits.settled_pain
        days[check_in.day] = days.get(check_in.day, True) and calm and not check_in.red_flags
    latest = sorted(days, reverse=True)[: limits.settled_days]
    if len(latest) < limits.settled_days:
        return False
    consecutive = (latest[0] - latest[-1]).days == limits.settled_days - 1
    return consecutive and all(days[day] for day in latest)


def missed_check_ins(journey: Journey, *, now: datetime) -> Alert | None:
    """Alert when check-ins are expected and none came for ``missed_checkin_days`` whole days."""
    if not journey.is_active:
        return None
    operated = surgery_day(journey)
    if operated is None:
        return None
    invitation = db.session.scalar(
        sa.select(PortalInvitation)
        .where(
            PortalInvitation.journey_id == journey.id,
            PortalInvitation.revoked_at.is_(None),
            PortalInvitation.expires_at > now,
        )
        .order_by(PortalInvitation.created_at)
        .limit(1)
    )
    if invitation is None:
        return None  # nobody asked the patient to check in
    limits = thresholds(journey)
    tz = patient_tz(journey)
    today = now.astimezone(tz).date()
    last = db.session.scalar(
        sa.select(sa.func.max(CheckIn.day)).where(CheckIn.journey_id == journey.id)
    )
    window_end = operated + timedelta(days=limits.checkin_days)
    if today - timedelta(days=1) > window_end or settled(journey):
        return None  # daily check-ins are no longer expected
    invited = invitation.created_at.astimezone(tz).date()
    reference = max(d for d in (last, operated, invited) if d is not None)
    # Whole days with no check-in, counted only inside the window where one is expected.
    first_missing = reference + timedelta(days=1)
    last_expected = min(today - timedelta(days=1), window_end)
    missed = (last_expected - first_missing).days + 1
    if missed < limits.missed_checkin_days:
        return None
    since = None if last is None or last < operated else last.isoformat()
    return _raise(
        journey,
        "missed_checkins",
        {"reference": reference.isoformat(), "days": missed, "last": since},
        dedup_key=f"missed_checkins:{journey.id}:{reference.isoformat()}",
        now=now,
    )


def run_daily_checks(*, now: datetime) -> list[Alert]:
    """The daily job: missed check-ins for every active journey with a portal invitation."""
    journeys = db.session.scalars(
        sa.select(Journey)
        .where(
            Journey.status == "active",
            Journey.surgery_at.is_not(None),
            Journey.id.in_(
                sa.select(PortalInvitation.journey_id).where(PortalInvitation.revoked_at.is_(None))
            ),
        )
        .order_by(Journey.id)
    ).all()
    raised = [missed_check_ins(journey, now=now) for journey in journeys]
    return [a for a in raised if a is not None]


# ---- the coordinator's actions ---------------------------------------------------------------


def acknowledge(alert: Alert, *, actor: StaffUser, now: datetime) -> Alert:
    if alert.status != "open":
        raise Conflict(f"This alert is already {alert.status}.")
    alert.status = "acknowledged"
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.id
    record("alert.acknowledge", alert, actor=actor, patient_id=alert.patient_id, now=now)
    return alert


def resolve(alert: Alert, note: str, *, actor: StaffUser, now: datetime) -> Alert:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed.on("note", "Say what was done, e.g. 'Called, advised to rest'.")
    if len(note) > NOTE_MAX:
        raise ValidationFailed.on("note", f"Keep the note under {NOTE_MAX} characters.")
    if alert.status == "resolved":
        raise Conflict("This alert is already resolved.")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = actor.id
    alert.status = "resolved"
    alert.resolved_at = now
    alert.resolved_by_id = actor.id
    alert.resolution_note = note
    record(
        "alert.resolve",
        alert,
        actor=actor,
        patient_id=alert.patient_id,
        now=now,
        details={"note": note},
    )
    return alert


def queue(status: str = "unresolved", limit: int = 200) -> list[Alert]:
    """The coordinator's queue: urgent first, then high, then normal; newest first in each.

    Each level is found apart, newest first along an index (one ordering by level would sort
    every resolved alert); then the page's alerts are loaded with their patient, check-in and
    staff in one statement.
    """
    where = Alert.status.in_(UNRESOLVED) if status == "unresolved" else Alert.status == status
    newest = (Alert.created_at.desc(), Alert.id.desc())
    ids: list[int] = []
    for severity in SEVERITY_ORDER:  # one statement each, whatever the data
        ids += db.session.scalars(
            sa.select(Alert.id)
            .where(where, Alert.severity == severity)
            .order_by(*newest)
            .limit(max(limit - len(ids), 0))
        ).all()
    loaded = db.session.scalars(
        sa.select(Alert)
        .where(Alert.id.in_(ids))
        .options(
            joinedload(Alert.patient),
            joinedload(Alert.check_in),
            joinedload(Alert.acknowledged_by),
            joinedload(Alert.resolved_by),
        )
    )
    by_id = {alert.id: alert for alert in loaded}
    return [by_id[i] for i in ids]


def open_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Alert.severity, sa.func.count())
        .where(Alert.status == "open")
        .group_by(Alert.severity)
    ).all()
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    counts.update({severity: n for severity, n in rows})
    counts["total"] = sum(counts[s] for s in SEVERITY_ORDER)
    return counts


def urgent_unresolved(limit: int = 20) -> list[Alert]:
    """Urgent alerts not yet resolved, oldest first: the patients the dashboard names."""
    return list(
        db.session.scalars(
            sa.select(Alert)
            .options(selectinload(Alert.patient))
            .where(Alert.severity == "urgent", Alert.status.in_(UNRESOLVED))
            .order_by(Alert.created_at, Alert.id)
            .limit(limit)
        )
    )


def journey_alerts(journey: Journey, limit: int = 10) -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert)
            .where(Alert.journey_id == journey.id)
            .order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )
