"""Staff users, passwords and API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from tracker.audit.services import diff, record
from tracker.auth import passwords
from tracker.auth.models import LANGUAGES, ROLES, ApiToken, StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from tracker.i18n import gettext as _

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
TOKEN_PREFIX = "trk_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: StaffUser, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed.on("email", str(exc)) from None


def check_password(password: str, field: str = "password", *, email="", name="") -> None:
    """At least 12 characters and not common or guessable (see :mod:`tracker.auth.passwords`)."""
    passwords.check(password, field, email=email, name=name)


def user_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))


def create_user(
    email: str,
    name: str,
    role: str,
    password: str,
    *,
    language: str = "en",
    actor=None,
    now: datetime | None = None,
) -> StaffUser:
    errors = FieldErrors()
    if role not in ROLES:
        errors.add("role", _("Choose one of: %(join)s.", join=", ".join(ROLES)))
    if language not in LANGUAGES:
        errors.add("language", _("Choose one of: %(join)s.", join=", ".join(LANGUAGES)))
    if not (name or "").strip():
        errors.add("name", _("Enter the person's name."))
    errors.raise_if_any()
    email = normalize_email(email)
    check_password(password, email=email, name=name)
    if user_by_email(email) is not None:
        raise Conflict.on("email", _("A staff user with this email already exists."))
    user = StaffUser(
        email=email,
        name=name.strip(),
        role=role,
        language=language,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    record("user.create", user, actor=actor, details={"email": email, "role": role}, now=now)
    return user


def update_user(user: StaffUser, *, actor, now: datetime | None = None, **changes) -> StaffUser:
    if "role" in changes and changes["role"] not in ROLES:
        raise ValidationFailed.on("role", _("Choose one of: %(join)s.", join=", ".join(ROLES)))
    if changes.get("active") is False or ("role" in changes and changes["role"] != "admin"):
        _keep_an_admin(user)
    changed = diff(user, changes)
    if "active" in changed and not user.active:
        user.session_version += 1  # sign them out everywhere
    if "role" in changed and user.role == "admin" and not user.has_two_factor:
        user.session_version += 1  # admins need two-factor: set it up at the next sign-in
    if changed:
        record("user.update", user, actor=actor, details=changed, now=now)
    return user


def set_language(user: StaffUser, language: str, *, now: datetime | None = None) -> StaffUser:
    """The language of the user's own pages (their choice on the account page)."""
    if language not in LANGUAGES:
        raise ValidationFailed.on(
            "language", _("Choose one of: %(join)s.", join=", ".join(LANGUAGES))
        )
    changed = diff(user, {"language": language})
    if changed:
        record("user.language", user, actor=user, details=changed, now=now)
    return user


def _keep_an_admin(user: StaffUser) -> None:
    if user.role != "admin" or not user.active:
        return
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == "admin", StaffUser.active, StaffUser.id != user.id)
    )
    if not others:
        raise Conflict(_("The clinic must keep at least one active admin."))


def change_password(
    user: StaffUser, current: str, new: str, *, now: datetime | None = None
) -> None:
    if not verify_password(user, current):
        raise ValidationFailed.on("current_password", _("That is not your current password."))
    set_password(user, new, actor=user, now=now)


def set_password(user: StaffUser, new: str, *, actor, now: datetime | None = None) -> None:
    check_password(new, "new_password", email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.session_version += 1
    record("user.password", user, actor=actor, now=now)


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active user whose email and password these are, else None (no counting)."""
    user = user_by_email(email)
    if user is None:
        _hasher.hash(password)  # same work either way, so timing does not reveal accounts
        return None
    if not verify_password(user, password) or not user.active:
        return None
    return user


@dataclass
class SignInCheck:
    #: the account, when the email and password matched it
    user: StaffUser | None
    #: when the account may try again, when it is waiting out a delay
    locked_until: datetime | None = None


def check_sign_in(email: str, password: str, *, now: datetime, ip: str | None) -> SignInCheck:
    """Check a password sign-in, counting failures per account."""
    user = user_by_email(email)
    if user is not None and is_locked(user, now):
        return SignInCheck(None, user.locked_until)
    matched = authenticate(email, password)
    if matched is None:
        locked_until = note_failure(user, now=now, ip=ip) if user is not None else None
        return SignInCheck(None, locked_until)
    return SignInCheck(matched)


def is_locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def lock_delay(failures: int) -> timedelta | None:
    """How long an account waits after ``failures`` failures in a row: from LOGIN_LOCK_AFTER
    on, 1 minute, then 2, 4, 8 … up to LOGIN_LOCK_MAX_MINUTES (never for ever)."""
    after = int(current_app.config.get("LOGIN_LOCK_AFTER", 5))
    longest = int(current_app.config.get("LOGIN_LOCK_MAX_MINUTES", 30))
    if failures < after:
        return None
    return timedelta(minutes=min(2 ** min(failures - after, 20), longest))


def note_failure(user: StaffUser, *, now: datetime, ip: str | None) -> datetime | None:
    """Count a failed password or code; returns the end of the delay it starts, if any."""
    user.failed_logins += 1
    user.last_failed_login_at = now
    user.last_failed_login_ip = ip
    delay = lock_delay(user.failed_logins)
    user.locked_until = now + delay if delay else None
    record(
        "user.sign_in_failed",
        user,
        actor=user,
        now=now,
        details={"failures": user.failed_logins, "locked_until": user.locked_until},
    )
    return user.locked_until


@dataclass
class FailureNotice:
    """Failed attempts on the account since its last sign-in, to tell its owner."""

    count: int
    last_at: datetime | None
    last_ip: str | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: StaffUser, label: str = "", *, actor=None, now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Make a new API token for ``user``; the plain token is returned once and never stored."""
    if not user.active:
        raise Conflict(_("This staff user is deactivated."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_token_hash(token), prefix=token[:12], label=label)
    if now is not None:
        row.created_at = now
    db.session.add(row)
    record("token.create", row, actor=actor or user, details={"label": label}, now=now)
    return token, row


def revoke_token(row: ApiToken, *, actor=None, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        record("token.revoke", row, actor=actor, details={"prefix": row.prefix}, now=now)


def token_by_prefix(prefix: str) -> ApiToken:
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == prefix))
    if row is None:
        raise NotFound(f"No token starts with {prefix!r}.")
    return row


def user_for_token(token: str, *, now: datetime) -> StaffUser | None:
    """The active staff user a bearer token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    # Note use at most every few minutes, so reads do not turn into writes on every request.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
    return row.user


def note_sign_in(user: StaffUser, *, now: datetime) -> FailureNotice | None:
    """A complete sign-in: the failure count starts again; returns the failures to report."""
    notice = None
    if user.failed_logins:
        notice = FailureNotice(
            user.failed_logins, user.last_failed_login_at, user.last_failed_login_ip
        )
    user.failed_logins = 0
    user.locked_until = None
    record("user.sign_in", user, actor=user, now=now)
    return notice


def sign_out(user: StaffUser, *, now: datetime) -> None:
    """End every session of ``user``: cookies carry the session version, so old ones fail."""
    user.session_version += 1
    record("user.sign_out", user, actor=user, now=now)
