"""The outcomes report of a large cohort, made in the background and kept a while.

The report is a median over every value of its cohort, so its cost grows with the clinic: a
few hundred milliseconds at a thousand operated patients, many seconds at a hundred thousand.
A cohort of up to ``OUTCOMES_REPORT_LIVE_LIMIT`` journeys (counted with a bounded count, which
stops there) is summed up on every view, as before. A larger one is read from its snapshot,
one per set of filters: shown at once, with the time it was made; when older than
``OUTCOMES_REPORT_MAX_AGE_MINUTES`` it is made again in the background (one maker at a time,
across processes and hosts, by a conditional UPDATE), and the scheduler keeps the snapshots
people have read in the last day fresh. A snapshot never seen before shows "being prepared"
until its first report is made.

Services here never commit; :func:`make` is the background job's own transaction boundary.
"""

import hashlib
import json
import logging
import threading
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from tracker.clock import clinic_today, utcnow
from tracker.db import db, insert_or_skip
from tracker.journeys.models import Journey
from tracker.outcomes import report as reports
from tracker.outcomes.models import ReportSnapshot
from tracker.outcomes.report import Report, ReportFilters, Share, Stat, TimepointRow, WeekPoint

log = logging.getLogger(__name__)
#: a refresh with no sign of life for this long is taken over by the next view or tick
STALLED = timedelta(minutes=10)
#: a failed report is tried again by the next view or tick after this long
RETRY_AFTER = timedelta(minutes=1)
#: the scheduler keeps fresh the reports read within this long
READ_RECENTLY = timedelta(days=1)


@dataclass(frozen=True)
class Shown:
    """What the report page shows: a report (None while the first one is made) and its state."""

    report: Report | None
    #: summed up for this view (a cohort within the live limit)
    live: bool = True
    #: a newer report is being made
    refreshing: bool = False
    #: why the last attempt failed (the page says so; the next view tries again)
    error: str | None = None
    #: the snapshot whose refresh this view claimed: start it after the commit
    start: int | None = None


def live_limit() -> int:
    return int(current_app.config.get("OUTCOMES_REPORT_LIVE_LIMIT", 5000))


def max_age() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("OUTCOMES_REPORT_MAX_AGE_MINUTES", 15)))


def tick_seconds(app: Flask) -> int:
    """How often the scheduler looks for old reports: a third of their longest age."""
    return max(60, int(app.config.get("OUTCOMES_REPORT_MAX_AGE_MINUTES", 15)) * 20)


def cohort_size(filters: ReportFilters, now: datetime, limit: int) -> int:
    """The cohort's size, counted no further than ``limit + 1`` (cheap at any size)."""
    first = (
        sa.select(Journey.id).where(*reports.cohort_where(filters, now)).limit(limit + 1).subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(first)) or 0


def for_page(filters: ReportFilters, *, now: datetime) -> Shown:
    """The report to show for ``filters``: summed up now, or the kept one (claiming its
    refresh when it is missing or old). The caller commits, then starts ``Shown.start``."""
    if cohort_size(filters, now, live_limit()) <= live_limit():
        return Shown(reports.build(filters, now=now, today=clinic_today(now)))
    snapshot = _snapshot(filters, now)
    snapshot.viewed_at = now
    fresh = snapshot.made_at is not None and now - snapshot.made_at < max_age()
    claimed = not fresh and claim(snapshot.id, now)
    return Shown(
        decode(snapshot.report) if snapshot.report else None,
        live=False,
        refreshing=claimed or (snapshot.status == "running" and not fresh),
        error=snapshot.error if snapshot.status == "failed" and not claimed else None,
        start=snapshot.id if claimed else None,
    )


def for_reader(filters: ReportFilters, *, now: datetime) -> tuple[Report, int | None]:
    """The report for a reader who cannot come back later (the API): as :func:`for_page`, but
    while no report is kept yet one is summed up now (and kept, when this view claimed the
    snapshot). Returns it and the snapshot whose refresh to start after the commit, if any."""
    shown = for_page(filters, now=now)
    if shown.report is not None:
        return shown.report, shown.start
    made = reports.build(filters, now=now, today=clinic_today(now))
    if shown.start is not None:
        keep(db.session.get(ReportSnapshot, shown.start), made, now)
    return made, None


def keep(snapshot: ReportSnapshot, made: Report, now: datetime) -> None:
    """Keep ``made`` as the snapshot's report, made at ``now``."""
    snapshot.report, snapshot.made_at = encode(made), now
    snapshot.status, snapshot.error, snapshot.updated_at = "ready", None, utcnow()


def _snapshot(filters: ReportFilters, now: datetime) -> ReportSnapshot:
    args = _filters_json(filters)
    key = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()
    db.session.execute(
        insert_or_skip(ReportSnapshot, "key").values(
            key=key, filters=args, status="new", updated_at=now, viewed_at=now
        )
    )
    return db.session.scalar(sa.select(ReportSnapshot).where(ReportSnapshot.key == key))


def claim(snapshot_id: int, now: datetime) -> bool:
    """Take the snapshot's refresh unless someone is already making it (a stalled maker is
    replaced) or it failed just now. One conditional UPDATE, so two views or hosts never both
    take it."""
    status = ReportSnapshot.status
    result = db.session.execute(
        sa.update(ReportSnapshot)
        .where(
            ReportSnapshot.id == snapshot_id,
            sa.or_(
                status.in_(("new", "ready")),
                sa.and_(status == "failed", ReportSnapshot.updated_at < now - RETRY_AFTER),
                sa.and_(status == "running", ReportSnapshot.updated_at < now - STALLED),
            ),
        )
        .values(status="running", updated_at=now, error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def start(app: Flask, snapshot_id: int) -> bool:
    """Make the snapshot's report in a background thread, or right here when so configured
    (``OUTCOMES_REPORT_IN_BACKGROUND`` off); True when it was made here."""
    if not app.config.get("OUTCOMES_REPORT_IN_BACKGROUND", True):
        make(snapshot_id)
        return True
    threading.Thread(
        target=_in_app, args=(app, snapshot_id), name=f"outcomes-report-{snapshot_id}", daemon=True
    ).start()
    return False


def _in_app(app: Flask, snapshot_id: int) -> None:
    with app.app_context():
        try:
            make(snapshot_id)
        finally:
            db.session.remove()


def make(snapshot_id: int) -> None:
    """Sum the snapshot's cohort up now and keep the report (commits)."""
    snapshot = db.session.get(ReportSnapshot, snapshot_id)
    if snapshot is None:
        return
    filters = decode_filters(snapshot.filters)
    try:
        now = utcnow()
        keep(snapshot, reports.build(filters, now=now, today=clinic_today(now)), now)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - the page says so and the next view tries again
        log.exception("outcomes report %s failed", snapshot_id)
        db.session.rollback()
        snapshot = db.session.get(ReportSnapshot, snapshot_id)
        snapshot.status, snapshot.updated_at = "failed", utcnow()
        snapshot.error = f"{type(error).__name__}: {error}"[:500]
        db.session.commit()


def tick(app: Flask) -> None:
    """The scheduler's job: make again every report read in the last day that has grown old,
    one after the other, so the page finds it fresh."""
    with app.app_context():
        try:
            now = utcnow()
            stale = db.session.scalars(
                sa.select(ReportSnapshot.id).where(
                    ReportSnapshot.viewed_at >= now - READ_RECENTLY,
                    sa.or_(
                        ReportSnapshot.made_at.is_(None),
                        # old by the next tick: made again before anyone sees it too old
                        ReportSnapshot.made_at
                        < now - max_age() + timedelta(seconds=tick_seconds(app)),
                    ),
                )
            ).all()
            for snapshot_id in stale:
                if claim(snapshot_id, utcnow()):
                    db.session.commit()
                    make(snapshot_id)
                else:
                    db.session.rollback()
        except Exception:  # keep the clock running; the next tick tries again
            db.session.rollback()
            log.exception("outcomes: refreshing reports failed")
        finally:
            db.session.remove()


# ---- the report as JSON and back -------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _filters_json(filters: ReportFilters) -> dict:
    return json.loads(json.dumps(asdict(filters), default=_plain))


def encode(made: Report) -> dict:
    """The report as plain JSON (dates as ISO text)."""
    return json.loads(json.dumps(asdict(made), default=_plain))


def decode_filters(data: dict) -> ReportFilters:
    day = {
        k: date.fromisoformat(data[k]) if data.get(k) else None
        for k in ("surgery_from", "surgery_to")
    }
    return ReportFilters(
        pathway=data.get("pathway"),
        condition=data.get("condition"),
        surgeon_id=data.get("surgeon_id"),
        **day,
    )


def _shares(data: dict) -> dict[str, Share]:
    return {k: Share(**v) for k, v in data.items()}


def decode(data: dict) -> Report:
    """The report :func:`encode` wrote, as the dataclasses the page and charts read."""
    rows = [
        TimepointRow(
            timepoint=row["timepoint"],
            stats={k: Stat(**v) for k, v in row["stats"].items()},
            mcid=_shares(row["mcid"]),
            substantial=_shares(row["substantial"]),
            success=_shares(row["success"]),
            completion=Share(**row["completion"]) if row["completion"] else None,
        )
        for row in data["rows"]
    ]
    weekly = {
        measure: [WeekPoint(point["week"], Stat(**point["stat"])) for point in points]
        for measure, points in data["weekly"].items()
    }
    return Report(
        filters=decode_filters(data["filters"]),
        generated_at=datetime.fromisoformat(data["generated_at"]),
        patients=data["patients"],
        length_of_stay=Stat(**data["length_of_stay"]),
        same_day=Share(**data["same_day"]),
        red_flag_alerts=data["red_flag_alerts"],
        red_flag_patients=Share(**data["red_flag_patients"]),
        theatre_returns=data["theatre_returns"],
        theatre_patients=Share(**data["theatre_patients"]),
        rows=rows,
        weekly=weekly,
        definitions=data["definitions"],
    )
