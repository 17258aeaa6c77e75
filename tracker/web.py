"""The web side shared by every page: blueprints, sign-in loading, idle timeout, Jinja helpers,
error pages and the health check."""

from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, get_locale
from flask_login import logout_user

from tracker import (
    i18n,
    models,  # noqa: F401  (every table known to the metadata)
    vocabulary,
)
from tracker.audit.views import bp as audit_bp
from tracker.auth.models import StaffUser
from tracker.auth.two_factor_views import bp as two_factor_bp
from tracker.auth.views import SEEN_KEY, clear_session
from tracker.auth.views import bp as auth_bp
from tracker.clock import utcnow
from tracker.dashboard.views import bp as dashboard_bp
from tracker.db import db
from tracker.discharge.views import bp as discharge_bp
from tracker.exports.views import bp as exports_bp
from tracker.extensions import login_manager
from tracker.i18n import gettext as _
from tracker.i18n import lazy_gettext as _l
from tracker.journeys import wording
from tracker.journeys.views import bp as journeys_bp
from tracker.messages import portal_views as portal_message_views
from tracker.messages.views import bp as messages_bp
from tracker.on_duty.views import bp as on_duty_bp
from tracker.outcomes import portal_views as questionnaire_views
from tracker.outcomes.views import bp as outcomes_bp
from tracker.pathways.models import STAGES
from tracker.pathways.names import pathway_name
from tracker.patients.views import bp as patients_bp
from tracker.portal import access_log as portal_access_log
from tracker.portal import device_views as portal_device_views
from tracker.portal import staff_views as portal_staff_views
from tracker.portal import views as portal_views
from tracker.timeutil import clinic_tz
from tracker.vocabulary import humanize, stage_label

BLUEPRINTS = (
    auth_bp,
    two_factor_bp,
    dashboard_bp,
    patients_bp,
    journeys_bp,
    discharge_bp,
    portal_views.bp,
    portal_staff_views.bp,
    exports_bp,
    on_duty_bp,
    portal_device_views.bp,
    audit_bp,
    outcomes_bp,
    questionnaire_views.bp,
    messages_bp,
    portal_message_views.bp,
)


#: what an error page says when the view gave no reason of its own
ERROR_DESCRIPTIONS = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("Your account does not give access to this page."),
    404: _l("There is no page at this address. Check the link, or start again from the dashboard."),
    405: _l("This page cannot be used this way."),
    422: _l("Some of what was sent could not be used."),
    429: _l("Too many requests in a short time."),
    500: _l("Something went wrong on our side. Please try again."),
}


def init_app(app: Flask) -> None:
    # The session cookie lasts as long as the idle limit; end_idle_session checks it too.
    app.permanent_session_lifetime = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.localize_callback = _  # the message is extracted below
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.before_request(end_idle_session)
    portal_access_log.install()
    app.add_url_rule("/healthz", "healthz", healthz)
    for code in (400, 403, 404, 405, 422, 429, 500):
        app.register_error_handler(code, error_page)
    i18n.install(app)
    app.jinja_env.filters.update(
        local_datetime=local_datetime,
        local_date=local_date_filter,
        local_time=local_time,
        stage_label=stage_label,
        number=number,
        humanize=humanize,
        audit_label=vocabulary.audit_label,
        read_label=vocabulary.read_label,
        alert_summary=alert_words,
        audit_rows=audit_rows,
        reminder_reason=vocabulary.reminder_reason,
        reminder_error=vocabulary.reminder_error,
        pathway_name=pathway_name,
        reader_text=reader_text,
        appointment_title=wording.staff_title,
        appointment_place=wording.staff_location,
    )
    app.jinja_env.globals.update(
        has_endpoint=has_endpoint,
        has_static=has_static,
        stages=STAGES,
        vocabulary=vocabulary,
        current_locale=current_locale,
    )


def alert_words(alert) -> str:
    """A portal alert's summary in the reader's language (see :func:`vocabulary.alert_summary`)."""
    return vocabulary.alert_summary(alert.kind, alert.details, alert.summary)


def audit_rows(event) -> list[tuple[str, str]]:
    """An audit event's details as (label, text) pairs in the reader's language."""
    return vocabulary.audit_details(event.action, event.details)


@login_manager.user_loader
def load_user(cookie_id: str) -> StaffUser | None:
    user_id, _, version = cookie_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    # A bumped session version (sign-out, password change, deactivation) ends old cookies.
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_idle_session():
    """Sign out a session that has been idle longer than SESSION_IDLE_MINUTES.

    The cookie also expires on the browser side (PERMANENT_SESSION_LIFETIME); checking the
    last-seen time here means a copied cookie is no good after the idle time either.
    """
    if "_user_id" not in session or request.endpoint == "static":
        return None
    now = int(utcnow().timestamp())
    seen = session.get(SEEN_KEY)
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if not isinstance(seen, int) or now - seen > idle_limit:
        logout_user()
        clear_session()
        flash(_("You were signed out after a period of inactivity. Please sign in again."), "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=target))
    session[SEEN_KEY] = now
    return None


def reader_text(texts: dict | None) -> str:
    """A text the data gives in several languages ({"en": …, "id": …}), in the reader's."""
    if not texts:
        return ""
    return texts.get(current_locale()) or texts.get("en") or ""


def current_locale() -> str:
    """The language of the page, for <html lang>."""
    return str(get_locale() or "en")


#: Flask-Login's message, for the catalog (it is translated through localize_callback)
_l("Please sign in to continue.")


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def has_static(filename: str) -> bool:
    """Whether a static file exists (another feature's stylesheet may not be there yet)."""
    folder = current_app.static_folder
    return bool(folder) and (Path(folder) / filename).is_file()


def _instant(value: datetime) -> datetime:
    return value.astimezone(clinic_tz())


def local_datetime(value: datetime | None) -> str:
    """A UTC instant as clinic time in the reader's language, e.g. "Thu 10 Dec 2026, 08:30"."""
    if value is None:
        return ""
    return i18n.format_local(_instant(value), "EEE d MMM y")


def local_date_filter(
    value: date | datetime | None, weekday: bool = True, year: bool = True
) -> str:
    """A date, or the clinic-local date of an instant, e.g. "Thu 10 Dec 2026"."""
    if value is None:
        return ""
    day = _instant(value).date() if isinstance(value, datetime) else value
    pattern = ("EEE " if weekday else "") + "d MMM" + (" y" if year else "")
    return i18n.format_day(day, pattern)


def local_time(value: datetime | None) -> str:
    return "" if value is None else i18n.format_local(_instant(value), None)


def number(value: float | int | None, signed: bool = False) -> str:
    """A score or count in the reader's language: 3.5 in English, 3,5 in Indonesian."""
    if value is None:
        return ""
    return format_decimal(value, format="+#,##0.##;-#,##0.##" if signed else "#,##0.##")


def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok")


def error_page(error):
    db.session.rollback()
    code = getattr(error, "code", 500) or 500
    # Keep the error's own headers: Allow on a 405, Retry-After on a 429.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return (
            jsonify(
                code=code,
                status=getattr(error, "name", "Error"),
                message=getattr(error, "description", "Something went wrong."),
            ),
            code,
            headers,
        )
    description = getattr(error, "description", None)
    if description == getattr(type(error), "description", None):  # Werkzeug's English default
        description = ERROR_DESCRIPTIONS.get(code)
    return (
        render_template("errors/error.html", error=error, code=code, description=description),
        code,
        headers,
    )
