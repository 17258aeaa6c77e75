"""What a reschedule would change, its reminders and notices included, before it is confirmed."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tracker.db import db
from tracker.journeys.models import Journey
from tracker.journeys.reschedule import Move, plan_reschedule, reschedule_surgery
from tracker.reminders.models import Reminder


@dataclass
class MessageMove:
    """A message to the patient (or staff) that a reschedule adds, moves or cancels."""

    reminder: Reminder
    #: when it was due before (None: a new message)
    old: datetime | None
    #: when it will be due (None: it will not be sent)
    new: datetime | None


def preview_reschedule(
    journey: Journey, new_surgery_at: datetime, *, now: datetime
) -> tuple[list[Move], list[MessageMove]]:
    """What moving the surgery would move, its reminders and messages included; changes nothing.

    The reschedule is played in a savepoint that is rolled back, so the preview is exactly what
    confirming it does.
    """
    moves = plan_reschedule(journey, new_surgery_at)

    def pending() -> dict[int, Reminder]:
        rows = db.session.scalars(
            sa.select(Reminder).where(
                Reminder.journey_id == journey.id, Reminder.status == "pending"
            )
        )
        return {row.id: row for row in rows}

    before = {rid: row.due_at for rid, row in pending().items()}
    savepoint = db.session.begin_nested()
    try:
        reschedule_surgery(journey, new_surgery_at, actor=None, now=now)
        db.session.flush()
        after = pending()
        changes = [
            MessageMove(row, before.get(rid), row.due_at)
            for rid, row in after.items()
            if before.get(rid) != row.due_at
        ]
        gone = [db.session.get(Reminder, rid) for rid in before if rid not in after]
        changes += [MessageMove(row, before[row.id], None) for row in gone]
        # Read what the page shows before the rollback expires it.
        for change in changes:
            row = change.reminder
            _ = (row.rule_key, row.channel, row.message_key, row.audience, row.rule_order)
    finally:
        savepoint.rollback()
    changes.sort(key=lambda c: (c.new or c.old, c.reminder.rule_order, c.reminder.channel))
    return moves, changes
