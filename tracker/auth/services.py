"""Staff users, passwords and API tokens."""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from tracker.audit.services import diff, record
from tracker.auth.models import ROLES, ApiToken, StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors, NotFound, ValidationFailed

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10
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


def check_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.on(
            field, f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
        )


def user_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))


def create_user(
    email: str, name: str, role: str, password: str, *, actor=None, now: datetime | None = None
) -> StaffUser:
    errors = FieldErrors()
    if role not in ROLES:
        errors.add("role", f"Choose one of: {', '.join(ROLES)}.")
    if not (name or "").strip():
        errors.add("name", "Enter the person's name.")
    errors.raise_if_any()
    email = normalize_email(email)
    check_password(password)
    if user_by_email(email) is not None:
        raise Conflict.on("email", "A staff user with this email already exists.")
    user = StaffUser(
        email=email, name=name.strip(), role=role, password_hash=hash_password(password)
    )
    db.session.add(user)
    record("user.create", user, actor=actor, details={"email": email, "role": role}, now=now)
    return user


def update_user(user: StaffUser, *, actor, now: datetime | None = None, **changes) -> StaffUser:
    if "role" in changes and changes["role"] not in ROLES:
        raise ValidationFailed.on("role", f"Choose one of: {', '.join(ROLES)}.")
    if changes.get("active") is False or ("role" in changes and changes["role"] != "admin"):
        _keep_an_admin(user)
    changed = diff(user, changes)
    if "active" in changed and not user.active:
        user.session_version += 1  # sign them out everywhere
    if changed:
        record("user.update", user, actor=actor, details=changed, now=now)
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
        raise Conflict("The clinic must keep at least one active admin.")


def change_password(
    user: StaffUser, current: str, new: str, *, now: datetime | None = None
) -> None:
    if not verify_password(user, current):
        raise ValidationFailed.on("current_password", "That is not your current password.")
    set_password(user, new, actor=user, now=now)


def set_password(user: StaffUser, new: str, *, actor, now: datetime | None = None) -> None:
    check_password(new, "new_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    record("user.password", user, actor=actor, now=now)


def authenticate(email: str, password: str) -> StaffUser | None:
    user = user_by_email(email)
    if user is None:
        _hasher.hash(password)  # same work either way, so timing does not reveal accounts
        return None
    if not verify_password(user, password) or not user.active:
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: StaffUser, label: str = "", *, actor=None, now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Make a new API token for ``user``; the plain token is returned once and never stored."""
    if not user.active:
        raise Conflict("This staff user is deactivated.")
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


def note_sign_in(user: StaffUser, *, now: datetime) -> None:
    record("user.sign_in", user, actor=user, now=now)


def sign_out(user: StaffUser, *, now: datetime) -> None:
    """End every session of ``user``: cookies carry the session version, so old ones fail."""
    user.session_version += 1
    record("user.sign_out", user, actor=user, now=now)
