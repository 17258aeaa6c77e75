"""Claiming due reminders for a dispatcher and writing their outcomes while the claim is its
own: the order rows are sent in, the lease a claim holds, the hand-over mark committed before
sending, and the outcomes committed after (see :mod:`tracker.reminders.dispatch`)."""

import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from tracker.db import db
from tracker.reminders.models import Reminder

#: messages due at the same moment: urgent first, then in their template's order
SEND_ORDER = (
    Reminder.next_attempt_at,
    Reminder.urgent.desc(),
    Reminder.rule_order,
    Reminder.id,
)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _due_clause(now: datetime):
    return sa.or_(
        sa.and_(Reminder.status == "pending", Reminder.next_attempt_at <= now),
        # A dispatcher died after claiming but before sending: its lease ran out, nothing left.
        sa.and_(
            Reminder.status == "sending",
            Reminder.claimed_until < now,
            Reminder.send_started_at.is_(None),
        ),
    )


def claim(*, now: datetime, limit: int, lease_seconds: int, worker: str) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due reminders for one batch and commit the claim.

    On PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP LOCKED`` so concurrent
    dispatchers take different rows without waiting; the UPDATE repeats the due condition, which
    keeps SQLite (which has no row locks) correct with one writer at a time.
    """
    token = f"{worker}:{uuid.uuid4().hex[:8]}"
    ids = db.session.scalars(
        sa.select(Reminder.id)
        .where(_due_clause(now))
        .order_by(*SEND_ORDER)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        db.session.commit()
        return token, []
    claimed = db.session.scalars(
        sa.update(Reminder)
        .where(Reminder.id.in_(ids), _due_clause(now))
        .values(
            status="sending",
            claimed_by=token,
            claimed_until=now + timedelta(seconds=lease_seconds),
            attempts=Reminder.attempts + 1,
            updated_at=now,
        )
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return token, list(claimed)


class Outcomes:
    """Writes claimed rows' outcomes, each only while the claim is still ours.

    A batch costs two commits: one before sending (every row's hand-over mark, with the
    outcomes of rows that need not go) and one after (what became of each send). If the process
    dies in between, the batch's rows are left "maybe sent" (needs a check), never resent.
    """

    def __init__(self, token: str):
        self.token = token
        self.sent: list[dict] = []

    def _ours(self, table, rid):
        return sa.and_(
            table.c.id == rid, table.c.claimed_by == self.token, table.c.status == "sending"
        )

    def write(self, rid: int, **values) -> bool:
        """Write one row's outcome (not committed); whether the claim was still ours."""
        table = Reminder.__table__
        result = db.session.execute(table.update().where(self._ours(table, rid)).values(**values))
        return result.rowcount == 1

    def mark_sending(self, ids: list[int], now: datetime) -> set[int]:
        """The hand-over mark of the rows about to be sent, committed; the ids still ours."""
        table = Reminder.__table__
        marked = set()
        if ids:
            marked = set(
                db.session.scalars(
                    table.update()
                    .where(
                        table.c.id.in_(ids),
                        table.c.claimed_by == self.token,
                        table.c.status == "sending",
                    )
                    .values(send_started_at=now)
                    .returning(table.c.id)
                )
            )
        db.session.commit()
        return marked

    def stage_sent(self, rid: int, **values) -> None:
        self.sent.append({"rid": rid, **{f"v_{key}": value for key, value in values.items()}})

    def commit(self) -> None:
        """Write the staged sends (one executemany) with what else was written; commit."""
        if self.sent:
            table = Reminder.__table__
            names = [key[2:] for key in self.sent[0] if key != "rid"]
            db.session.execute(
                table.update()
                .where(self._ours(table, sa.bindparam("rid")))
                .values({name: sa.bindparam(f"v_{name}") for name in names}),
                self.sent,
            )
            self.sent.clear()
        db.session.commit()
