from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import UTCDateTime, db

ROLES = ("admin", "coordinator", "clinician")
#: the languages a staff user reads the pages in
LANGUAGES = ("en", "id")
#: roles that may see and change clinical records
CLINICAL_ROLES = ("coordinator", "clinician")


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'coordinator', 'clinician')", name="role"),
        # Emails are stored lower-cased so the unique constraint is case-insensitive.
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
        sa.CheckConstraint("language IN ('en', 'id')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    #: argon2id hash
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    #: the language of their pages: "en" or "id"
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    #: bumped on sign-out and password change so old session cookies stop working
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the authenticator app's shared secret (base32); set once enrolment is confirmed
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the 30-second step of the last code accepted, so a code is never accepted twice
    totp_last_step: Mapped[int | None]
    #: failed sign-ins (password or code) since the last successful one
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_login_ip: Mapped[str | None] = mapped_column(sa.String(45))
    #: no sign-in, even with the right password, before this (growing with the failures)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")
    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(
        back_populates="user", order_by="RecoveryCode.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

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


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app. Only its hash is stored."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    #: sha256 of the code (80 random bits, so a fast hash is enough)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship(back_populates="recovery_codes")


class ClinicSetting(db.Model):
    """A setting an admin changes in the app (not the environment), e.g. two-factor for all."""

    __tablename__ = "clinic_settings"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
