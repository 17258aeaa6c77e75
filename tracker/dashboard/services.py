"""The queries behind the coordinator's dashboard. Each is one statement (no N+1).

Every list is bounded (:data:`ROWS`) and says how long it really is (a window count in the same
statement), so the page costs the same in a clinic of a thousand patients or of a hundred
thousand: the indexes in ``20261202_speed_indexes`` let each statement read only its rows.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.db import constant, db
from tracker.journeys.models import Appointment, Journey, Task
from tracker.pathways.models import STAGES, TEMPLATE_LABEL
from tracker.timeutil import at_local

MIDNIGHT = datetime.min.time()
#: rows each dashboard list shows; its heading says how many there are in all
ROWS = 25


def stage_counts() -> dict[str, int]:
    """Active journeys per stage, every stage present."""
    rows = db.session.execute(
        sa.select(Journey.stage, sa.func.count())
        .where(Journey.status == constant("active"))
        .group_by(Journey.stage)
    )
    counts = dict.fromkeys(STAGES, 0)
    counts.update({stage: n for stage, n in rows})
    return counts


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants from the start of local day ``first`` to the end of local day ``last``."""
    return at_local(first, MIDNIGHT, tz), at_local(last + timedelta(days=1), MIDNIGHT, tz)


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week ``day`` is in."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _with_total(query: sa.Select) -> tuple[list, int]:
    """The rows of ``query`` (an entity and a ``count(*) OVER ()``) and the count."""
    rows = db.session.execute(query).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def procedures_between(
    start: datetime, end: datetime, limit: int = ROWS
) -> tuple[list[Journey], int]:
    """Active journeys whose surgery starts in [start, end), earliest first; and how many."""
    return _with_total(
        sa.select(Journey, sa.func.count().over())
        .where(
            Journey.status == constant("active"),
            Journey.surgery_at >= start,
            Journey.surgery_at < end,
        )
        .options(
            joinedload(Journey.patient),
            joinedload(Journey.surgeon),
            joinedload(Journey.template).load_only(*TEMPLATE_LABEL),
        )
        .order_by(Journey.surgery_at, Journey.id)
        .limit(limit)
    )


def overdue_tasks(today: date, limit: int = ROWS) -> tuple[list[Task], int]:
    """Open tasks of active journeys due before ``today`` (oldest first), and how many there are.

    Both read the index of work still to do (``ix_tasks_to_do_due_on``): the count touches only
    the index, the list only its first rows.
    """
    to_do = (Task.status == constant("open"), Task.journey_active, Task.due_on < today)
    total = db.session.scalar(sa.select(sa.func.count(Task.id)).where(*to_do))
    tasks = db.session.scalars(
        sa.select(Task)
        .where(*to_do)
        .options(joinedload(Task.journey).joinedload(Journey.patient))
        .order_by(Task.due_on, Task.id)
        .limit(limit)
    )
    return list(tasks), total or 0


def upcoming_appointments(now: datetime, days: int = 7, limit: int = ROWS) -> list[Appointment]:
    """Scheduled appointments of active journeys from ``now`` for ``days`` days."""
    return list(
        db.session.scalars(
            sa.select(Appointment)
            .join(Appointment.journey)
            .where(
                Appointment.status == "scheduled",
                Appointment.starts_at >= now,
                Appointment.starts_at < now + timedelta(days=days),
                Journey.status == constant("active"),
            )
            .options(joinedload(Appointment.journey).joinedload(Journey.patient))
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(limit)
        )
    )
