"""The steps of a staff sign-in shared by the password page and the two-factor pages: the
session, the half-way state between password and code, the per-address limit and its message.

A password that matches does not sign anyone in when a second factor is needed: the session
only remembers who is half-way (for a few minutes), and the code page finishes the sign-in.
"""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, session, url_for
from flask_babel import format_date, ngettext
from flask_login import login_user

from tracker.auth import services, two_factor
from tracker.auth.forms import LoginForm
from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import db
from tracker.extensions import limiter
from tracker.i18n import gettext as _
from tracker.timeutil import clinic_tz

#: the session key holding the time of the last request (seconds since the epoch)
SEEN_KEY = "seen_at"
#: who has given the right password and still owes a code: {user, version, at, next}
PENDING_KEY = "pending_sign_in"
#: an authenticator secret being set up, until its first code confirms it
SETUP_KEY = "pending_totp_secret"
PENDING_SECONDS = 300


def _failed(response) -> bool:
    """Only failed attempts count against an address, so a busy clinic's NAT is no problem."""
    return response.status_code >= 400


#: failed sign-ins and codes per address (LOGIN_RATE_LIMIT), shared by both steps
sign_in_limit = limiter.shared_limit(
    lambda: current_app.config.get("LOGIN_RATE_LIMIT", "20 per minute;100 per hour"),
    scope="sign-in",
    methods=["POST"],
    deduct_when=_failed,
)


def home_for(user: StaffUser) -> str:
    return url_for("auth.users") if user.role == "admin" else url_for("dashboard.index")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def clear_session() -> None:
    """Forget everything in the session, including the CSRF token cached for this request."""
    session.clear()
    g.pop("csrf_token", None)


def start_session(user: StaffUser) -> None:
    clear_session()
    login_user(user)
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
    session[SEEN_KEY] = int(utcnow().timestamp())


def password_accepted(user: StaffUser, next_url: str | None):
    """The password matched: finish, or go on to the code (or to set one up first)."""
    if not user.has_two_factor and not two_factor.is_required(user):
        return finish(user, next_url)
    clear_session()
    session[PENDING_KEY] = {
        "user": user.id,
        "version": user.session_version,
        "at": int(utcnow().timestamp()),
        "next": safe_next(next_url) or "",
    }
    if user.has_two_factor:
        return redirect(url_for("two_factor.verify"), code=303)
    return redirect(url_for("two_factor.setup_at_sign_in"), code=303)


def pending_user() -> StaffUser | None:
    """Who is half-way through signing in on this browser, for a few minutes."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if int(utcnow().timestamp()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(StaffUser, pending["user"])
    if user is None or not user.active or user.session_version != pending.get("version"):
        return None
    return user


def pending_next() -> str | None:
    return (session.get(PENDING_KEY) or {}).get("next") or None


def finish(user: StaffUser, next_url: str | None):
    """Both factors given: start the session and tell of failed attempts since the last one."""
    notice = services.note_sign_in(user, now=utcnow())
    db.session.commit()
    start_session(user)
    if notice is not None:
        flash(failure_notice(notice), "error")
    return redirect(safe_next(next_url) or home_for(user))


def failure_notice(notice: services.FailureNotice) -> str:
    count, ip = notice.count, notice.last_ip
    if notice.last_at is None:
        text = _("%(count)s failed sign-in attempt(s) on your account since you last signed in.")
    elif not ip:
        text = _(
            "%(count)s failed sign-in attempt(s) on your account since you last signed in, "
            "the last on %(when)s."
        )
    else:
        text = _(
            "%(count)s failed sign-in attempt(s) on your account since you last signed in, "
            "the last on %(when)s from %(ip)s."
        )
    when = clock_text(notice.last_at) if notice.last_at is not None else ""
    text = text % {"count": count, "when": when, "ip": ip}
    return text + " " + _("If that was not you, change your password and tell your admin.")


def clock_text(instant: datetime) -> str:
    local = instant.astimezone(clinic_tz())
    return _("%(day)s at %(time)s", day=format_date(local, "d MMM y"), time=f"{local:%H:%M}")


def retry_message(until: datetime, now: datetime, *, network: bool = False) -> str:
    """ "Too many attempts …; try again at 10:42 (in 4 minutes)." in clinic time."""
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    local = until.astimezone(clinic_tz())
    time = f"{local:%H:%M}"
    if network:
        return ngettext(
            "Too many failed attempts for your network. Try again at %(time)s (in %(num)d minute).",
            "Too many failed attempts for your network. "
            "Try again at %(time)s (in %(num)d minutes).",
            minutes,
            time=time,
        )
    return ngettext(
        "Too many failed attempts for this account. Try again at %(time)s (in %(num)d minute).",
        "Too many failed attempts for this account. Try again at %(time)s (in %(num)d minutes).",
        minutes,
        time=time,
    )


def too_many(error):
    """The per-address limit on the sign-in pages: say when to try again."""
    db.session.rollback()
    now = utcnow()
    limit = limiter.current_limit
    message = _("Too many failed attempts from your network. Wait a few minutes and try again.")
    retry_after = 60
    if limit is not None:
        until = datetime.fromtimestamp(limit.reset_at, UTC)
        retry_after = max(1, int((until - now).total_seconds()))
        message = retry_message(until, now, network=True)
    form = LoginForm(formdata=None)
    form.form_errors.append(message)
    html = render_template("auth/login.html", form=form)
    return html, 429, {"Retry-After": str(retry_after)}
