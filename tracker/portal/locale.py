"""Which language a page is shown in, and the portal session that holds it."""

from datetime import datetime

from flask import Response, current_app, g, has_request_context, request, session
from flask_login import current_user

from tracker.clock import utcnow
from tracker.portal import sessions
from tracker.portal.models import PortalInvitation, PortalSession

#: the portal's own cookie: the random id of the device's server-side session, nothing else
PORTAL_COOKIE = "tracker_portal"
#: where an older version kept the portal sign-in inside the staff session cookie
PORTAL_KEY = "portal_invitation"
LANGUAGE_KEY = "portal_language"
#: the blueprints whose pages patients read (the questionnaires live in the outcomes domain)
PATIENT_BLUEPRINTS = ("portal", "questionnaires", "portal_messages")


def languages() -> tuple[str, ...]:
    return tuple(current_app.config.get("LANGUAGES", ("en", "id")))


def current_portal_session() -> PortalSession | None:
    """This device's good portal session (looked up once per request), or None."""
    if "portal_session" not in g:
        if PORTAL_KEY in session:
            session.pop(PORTAL_KEY)
        g.portal_session = sessions.find(request.cookies.get(PORTAL_COOKIE), now=utcnow())
    return g.portal_session


def current_invitation() -> PortalInvitation | None:
    """The invitation the device's portal session stands on."""
    portal_session = current_portal_session()
    return portal_session.invitation if portal_session is not None else None


def remember_device(response: Response, token: str, expires_at: datetime) -> None:
    """Give the device its session id: HTTP-only, for the portal's paths only."""
    response.set_cookie(
        PORTAL_COOKIE,
        token,
        expires=expires_at,
        path="/portal",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    g.portal_session = None


def forget_device(response: Response) -> None:
    response.delete_cookie(
        PORTAL_COOKIE,
        path="/portal",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    g.portal_session = None


def select_locale() -> str:
    """Portal pages: the language chosen with the switch, then the patient's preferred one,
    then the browser's. Staff pages: the signed-in user's language, else the browser's.
    The JSON API and work outside a request stay in the default language."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    if not has_request_context() or request.path.startswith("/api/"):
        return default
    if request.blueprint not in PATIENT_BLUEPRINTS:
        return staff_locale(default)
    chosen = session.get(LANGUAGE_KEY)
    if chosen in languages():
        return chosen
    patient_language = g.get("portal_link_language")  # the link's patient, before continuing
    invitation = current_invitation()
    if invitation is not None:
        patient_language = (
            invitation.caregiver.reads
            if invitation.caregiver_id is not None
            else invitation.patient.language
        )
    if patient_language in languages():
        return patient_language
    return request.accept_languages.best_match(languages()) or default


def staff_locale(default: str) -> str:
    if current_user.is_authenticated and getattr(current_user, "language", None) in languages():
        return current_user.language
    return request.accept_languages.best_match(languages()) or default


def select_timezone() -> str:
    """Staff read times in the clinic's time zone."""
    return current_app.config["CLINIC_TIMEZONE"]
