"""Which language a page is shown in, and the portal session that holds it."""

from flask import current_app, g, has_request_context, request, session

from tracker.clock import utcnow
from tracker.portal.models import PortalInvitation
from tracker.portal.services import session_invitation

#: the portal's own key in the session cookie, apart from Flask-Login's staff sign-in
PORTAL_KEY = "portal_invitation"
LANGUAGE_KEY = "portal_language"
#: the blueprints whose pages patients read (the questionnaires live in the outcomes domain)
PATIENT_BLUEPRINTS = ("portal", "questionnaires")


def languages() -> tuple[str, ...]:
    return tuple(current_app.config.get("LANGUAGES", ("en", "id")))


def current_invitation() -> PortalInvitation | None:
    """The portal session's invitation (cached per request); an invalid one ends the session."""
    if "portal_invitation" not in g:
        invitation = session_invitation(session.get(PORTAL_KEY), now=utcnow())
        if invitation is None and PORTAL_KEY in session:
            session.pop(PORTAL_KEY)
        g.portal_invitation = invitation
    return g.portal_invitation


def select_locale() -> str:
    """Portal pages: the language chosen with the switch, then the patient's preferred one,
    then the browser's. Staff pages stay in the default language (they are not translated)."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    if not has_request_context() or request.blueprint not in PATIENT_BLUEPRINTS:
        return default
    chosen = session.get(LANGUAGE_KEY)
    if chosen in languages():
        return chosen
    patient_language = g.get("portal_link_language")  # the link's patient, before continuing
    invitation = current_invitation()
    if invitation is not None:
        patient_language = invitation.patient.language
    if patient_language in languages():
        return patient_language
    return request.accept_languages.best_match(languages()) or default
