from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import utcnow
from tracker.db import UTCDateTime, db

SEXES = ("female", "male", "other", "unknown")
LANGUAGES = ("en", "id")
#: the channel a patient's messages go by first; the other is the fallback
CHANNELS = ("sms", "email")


class Patient(db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        sa.CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"),
        sa.CheckConstraint("language IN ('en', 'id')", name="language"),
        sa.CheckConstraint("preferred_channel IN ('sms', 'email')", name="preferred_channel"),
        # Search by any part of a name or MRN: a trigram index on PostgreSQL (pg_trgm); on
        # SQLite the same declaration is a plain index on the three columns.
        sa.Index(
            "ix_patients_search",
            "family_name",
            "given_name",
            "mrn",
            postgresql_using="gin",
            postgresql_ops={
                "family_name": "gin_trgm_ops",
                "given_name": "gin_trgm_ops",
                "mrn": "gin_trgm_ops",
            },
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: medical record number, the clinic's own patient identifier
    mrn: Mapped[str] = mapped_column(sa.String(40), unique=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(sa.String(10))
    #: E.164, e.g. +6281234567890
    phone: Mapped[str | None] = mapped_column(sa.String(16))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: preferred language for messages and the portal
    language: Mapped[str] = mapped_column(sa.String(5), default="en")
    #: IANA time zone; reminders follow it
    timezone: Mapped[str] = mapped_column(sa.String(64))
    consent_email: Mapped[bool] = mapped_column(default=False)
    consent_sms: Mapped[bool] = mapped_column(default=False)
    #: messages go by this channel when the patient agreed to it, else by the other one
    preferred_channel: Mapped[str] = mapped_column(
        sa.String(10), default="sms", server_default="sms"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"
