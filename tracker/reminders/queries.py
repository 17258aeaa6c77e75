"""Read-only queries for the outbox page, the journey page, the dashboard and the API."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.journeys.models import Appointment, Journey
from tracker.pathways.models import PathwayTemplate
from tracker.patients import search
from tracker.patients.models import Patient
from tracker.reminders.models import PROBLEM_STATUSES, Reminder
from tracker.timeutil import at_local


def journey_reminders(journey: Journey) -> list[Reminder]:
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.journey_id == journey.id)
            .options(joinedload(Reminder.appointment))
            .order_by(Reminder.due_at, Reminder.id)
        )
    )


def pathway_templates() -> list[PathwayTemplate]:
    """Every pathway template version, in one statement: a page that words appointments from
    their pathways (the outbox) then finds each journey's template without asking again."""
    return list(db.session.scalars(sa.select(PathwayTemplate)))


def local_iso(instant: datetime, tz_name: str) -> str:
    """``2026-12-09T18:00:00+07:00``: an instant as the patient's wall clock, with its offset."""
    return instant.astimezone(ZoneInfo(tz_name)).isoformat()


def problem_counts() -> dict[str, int]:
    """Failed and needs-check reminders (the dashboard card)."""
    rows = db.session.execute(
        sa.select(Reminder.status, sa.func.count())
        .where(Reminder.status.in_(PROBLEM_STATUSES))
        .group_by(Reminder.status)
    ).all()
    counts = {status: 0 for status in PROBLEM_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


@dataclass
class OutboxFilters:
    status: str = ""
    channel: str = ""
    audience: str = ""
    q: str = ""
    day: date | None = None


def outbox_segments(filters: OutboxFilters, tz: ZoneInfo) -> list[sa.Select]:
    """The clinic outbox: failures and unclear sends first, then the newest.

    Two parts read one after the other (``tracker.paging.paginate_segments``): problems, few and
    found by status, then everything else newest first along the due-time index; one ``ORDER
    BY`` over both would sort every reminder the clinic ever planned.
    """
    # An outer join (joinedload) keeps the reminders the driving table, read along the index.
    query = (
        sa.select(Reminder)
        .options(
            joinedload(Reminder.patient),
            # the appointment's title is worded from its pathway (journeys.wording.staff_title);
            # the templates themselves come from pathway_templates() (one statement)
            joinedload(Reminder.appointment).joinedload(Appointment.journey),
        )
        .order_by(Reminder.due_at.desc(), Reminder.id.desc())
    )
    if filters.channel:
        query = query.where(Reminder.channel == filters.channel)
    if filters.audience:
        query = query.where(Reminder.audience == filters.audience)
    if filters.day is not None:
        start = at_local(filters.day, time(0), tz)
        query = query.where(Reminder.due_at >= start, Reminder.due_at < start + timedelta(1))
    if (filters.q or "").split():
        # The patients first (few, from the search index), then their reminders: not every
        # reminder's patient's name.
        patients = search.matching(sa.select(Patient.id), filters.q)
        query = query.where(Reminder.patient_id.in_(patients))
    newest = (Reminder.status, Reminder.due_at.desc(), Reminder.id.desc())  # the status index
    if filters.status:
        return [query.where(Reminder.status == filters.status).order_by(None).order_by(*newest)]
    # Problems by kind (failed, then unclear), each newest first: read off the status index.
    problems = query.where(Reminder.status.in_(PROBLEM_STATUSES)).order_by(None)
    return [
        problems.order_by(*newest),
        query.where(Reminder.status.not_in(PROBLEM_STATUSES)),
    ]
