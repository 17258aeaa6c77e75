"""Secure messages between a patient (or their caregiver) and the care team, with wound photos.

Nothing here is edited or deleted: a message, once written, stays as written; a conversation is
closed, not removed.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import UTCDateTime, db
from tracker.journeys.models import Journey
from tracker.patients.models import Patient
from tracker.portal.models import Caregiver

AUTHOR_KINDS = ("patient", "caregiver", "staff")
CONVERSATION_STATUSES = ("open", "closed")
#: a photo looked at by staff: as expected, or the patient should come in
PHOTO_REVIEWS = ("as_expected", "needs_visit")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Conversation(db.Model):
    """A thread between a journey's patient side and the care team, open until staff close it.

    A patient message after it was closed starts a new one.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        sa.CheckConstraint(_in("status", CONVERSATION_STATUSES), name="status"),
        # The inbox and the dashboard: open ones, oldest waiting first.
        sa.Index("ix_conversations_status_waiting_since", "status", "waiting_since"),
        # Closed ones, the latest message first (a clinic closes thousands a year).
        sa.Index("ix_conversations_status_last_message_at_id", "status", "last_message_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    #: the staff user who answers it (None: anyone)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the first patient message not yet answered by staff (None: nothing waits)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: patient-side messages no staff user has opened yet
    staff_unread: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

    journey: Mapped[Journey] = relationship()
    patient: Mapped[Patient] = relationship()
    assignee: Mapped[StaffUser | None] = relationship(foreign_keys=[assignee_id])
    messages: Mapped[list["Message"]] = relationship(
        back_populates="conversation", order_by="Message.id"
    )


class Message(db.Model):
    """One message, never changed once written (only its read time is noted)."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.CheckConstraint(_in("author_kind", AUTHOR_KINDS), name="author_kind"),
        sa.CheckConstraint(
            "(author_kind = 'staff') = (staff_author_id IS NOT NULL)", name="staff_author"
        ),
        sa.CheckConstraint(
            "(author_kind = 'caregiver') = (caregiver_id IS NOT NULL)", name="caregiver_author"
        ),
        sa.Index("ix_messages_journey_id_id", "journey_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversations.id"), index=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    author_kind: Mapped[str] = mapped_column(sa.String(10))
    staff_author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    caregiver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("portal_caregivers.id"))
    #: who wrote it, as shown then (the staff user's, caregiver's or patient's name)
    author_name: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    #: the saved reply it started from, if any
    saved_reply: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: read by the other side: staff for a patient's message, the patient side for staff's
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    caregiver: Mapped[Caregiver | None] = relationship()
    photos: Mapped[list["MessagePhoto"]] = relationship(
        back_populates="message", order_by="MessagePhoto.id"
    )

    @property
    def from_staff(self) -> bool:
        return self.author_kind == "staff"


class MessagePhoto(db.Model):
    """A photo sent with a message: re-encoded JPEG without metadata, stored in the database."""

    __tablename__ = "message_photos"
    __table_args__ = (sa.CheckConstraint(_in("review", PHOTO_REVIEWS), name="review"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"))
    #: JPEG, at most 2,048 px on its longer side, no EXIF, GPS or camera data
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    #: JPEG, at most 320 px
    thumbnail: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    width: Mapped[int]
    height: Mapped[int]
    #: the type the upload really was (by its content): jpeg, png or heif
    original_format: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review: Mapped[str | None] = mapped_column(sa.String(12))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

    message: Mapped[Message] = relationship(back_populates="photos")
    reviewed_by: Mapped[StaffUser | None] = relationship()
