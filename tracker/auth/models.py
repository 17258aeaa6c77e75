from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import UTCDateTime, db

ROLES = ("admin", "coordinator", "clinician")
#: roles that may see and change clinical records
CLINICAL_ROLES = ("coordinator", "clinician")


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'coordinator', 'clinician')", name="role"),
        # Emails are stored lower-cased so the unique constraint is case-insensitive.
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    #: argon2id hash
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    #: bumped on sign-out and password change so old session cookies stop working
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES

    def get_id(self) -> str:  # Flask-Login: the cookie names the user and the session version
        return f"{self.id}:{self.session_version}"

    def __str__(self) -> str:
        return self.name


class ApiToken(db.Model):
    """A bearer token for the JSON API, bound to one staff user. Only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    #: sha256 of the token (tokens are 256 random bits, so a fast hash is enough)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the first characters, to tell tokens apart in lists
    prefix: Mapped[str] = mapped_column(sa.String(16))
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship(back_populates="tokens")
