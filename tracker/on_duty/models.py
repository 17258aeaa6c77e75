from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import LANGUAGES, StaffUser
from tracker.clock import utcnow
from tracker.db import UTCDateTime, db

#: on_duty: told of an urgent patient alert at once; escalation: told when nobody acknowledged it
TIERS = ("on_duty", "escalation")
CHANNELS = ("sms", "email")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OnDutyContact(db.Model):
    """A phone number or email address told about urgent patient alerts, set by an admin.

    Contacts are never deleted: one taken off the list keeps its row, with who did it and when.
    """

    __tablename__ = "on_duty_contacts"
    __table_args__ = (
        sa.CheckConstraint(_in("tier", TIERS), name="tier"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
        sa.CheckConstraint(_in("language", LANGUAGES), name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(sa.String(12))
    #: who it reaches, e.g. "Surgeon on call"
    name: Mapped[str] = mapped_column(sa.String(120))
    channel: Mapped[str] = mapped_column(sa.String(8))
    #: E.164 phone number or email address
    address: Mapped[str] = mapped_column(sa.String(254))
    #: the language its messages are written in: "en" or "id"
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])
    removed_by: Mapped[StaffUser | None] = relationship(foreign_keys=[removed_by_id])
