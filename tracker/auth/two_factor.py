"""Two-factor sign-in for staff: an authenticator app's codes (TOTP, RFC 6238) and ten
one-time recovery codes.

- Required for admins always, and for everyone once an admin turns on the clinic-wide switch
  (a :class:`ClinicSetting`). Someone who needs it and has none sets it up at their next
  sign-in, before they reach any page.
- A code is accepted within one 30-second step either side (phone clocks drift), and never
  twice: the step of the last accepted code is kept.
- Recovery codes are 80 random bits each, shown once; only their sha256 is stored.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from tracker.audit.services import record
from tracker.auth.models import ClinicSetting, RecoveryCode, StaffUser
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n import gettext as _

EVERYONE_KEY = "two_factor_for_everyone"
RECOVERY_CODES = 10
#: Crockford's base32 without look-alikes; 16 characters = 80 bits
_ALPHABET = "abcdefghjkmnpqrstvwxyz0123456789"
STEP_SECONDS = 30


# ---- who needs it ---------------------------------------------------------------------------


def required_for_everyone() -> bool:
    setting = db.session.get(ClinicSetting, EVERYONE_KEY)
    return bool(setting and setting.value)


def is_required(user: StaffUser) -> bool:
    return user.role == "admin" or required_for_everyone()


def set_required_for_everyone(value: bool, *, actor: StaffUser, now: datetime) -> int:
    """Turn the clinic-wide switch on or off; returns how many people were signed out.

    Turning it on signs out everyone who has no second factor yet, so they set one up at
    their next sign-in instead of working on without it.
    """
    setting = db.session.get(ClinicSetting, EVERYONE_KEY)
    if setting is None:
        setting = ClinicSetting(key=EVERYONE_KEY, value=False)
        db.session.add(setting)
    if bool(setting.value) == value:
        return 0
    setting.value = value
    setting.updated_at = now
    setting.updated_by_id = actor.id
    signed_out = 0
    if value:
        for user in db.session.scalars(
            sa.select(StaffUser).where(StaffUser.active, StaffUser.totp_enabled_at.is_(None))
        ):
            if user.id != actor.id:
                user.session_version += 1
                signed_out += 1
    record(
        "settings.two_factor",
        actor,
        actor=actor,
        now=now,
        details={"everyone": value, "signed_out": signed_out},
    )
    return signed_out


# ---- enrolment ------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: StaffUser, secret: str) -> str:
    issuer = current_app.config.get("CLINIC_NAME", "Tracker")
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> Markup:
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, title="Two-factor QR code"))


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to (one step of drift either way), or None."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable(user: StaffUser, secret: str, code: str, *, now: datetime) -> list[str]:
    """Confirm enrolment with a first code; returns the new recovery codes (shown once)."""
    step = _step(secret, code, now)
    if step is None:
        raise ValidationFailed.on(
            "code", _("That code does not match. Check the time on your phone and type the newest.")
        )
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = replace_recovery_codes(user, now=now)
    record("user.two_factor_on", user, actor=user, now=now)
    return codes


def replace_recovery_codes(user: StaffUser, *, now: datetime) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code), created_at=now))
    return codes


def new_recovery_codes(user: StaffUser, code: str, *, now: datetime) -> list[str]:
    if not verify(user, code, now=now, allow_recovery=False):
        raise ValidationFailed.on("code", _("That code does not match your authenticator app."))
    codes = replace_recovery_codes(user, now=now)
    record("user.recovery_codes", user, actor=user, now=now)
    return codes


def disable(user: StaffUser, *, actor: StaffUser, now: datetime) -> None:
    """Remove the second factor (the person themself, or an admin after a lost phone)."""
    if actor.id == user.id and is_required(user):
        raise Conflict(_("Two-factor sign-in is required for you; it cannot be turned off."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if actor.id != user.id:
        user.session_version += 1  # signed out; they set it up again at the next sign-in
    record("user.two_factor_off", user, actor=actor, now=now)


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal_recovery(code: str) -> str:
    raw = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


# ---- signing in -----------------------------------------------------------------------------


def verify(user: StaffUser, code: str, *, now: datetime, allow_recovery: bool = True) -> str | None:
    """What signed ``user`` in ("app" or "recovery"), or None when ``code`` does not.

    An accepted app code is never accepted again; a recovery code is used up.
    """
    if not user.has_two_factor or not code:
        return None
    step = _step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return None
        user.totp_last_step = step
        return "app"
    if not allow_recovery or len(code) > 40:
        return None
    row = db.session.scalar(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(_normal_recovery(code)),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return None
    row.used_at = now
    record("user.recovery_code_used", user, actor=user, now=now)
    return "recovery"


def recovery_codes_left(user: StaffUser) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
