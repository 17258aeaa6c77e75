"""Who may open which page: signed-in staff everywhere, a clinical role on clinical pages."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from tracker.auth.models import CLINICAL_ROLES


def clinical_required(view):
    """Coordinators and clinicians only; admins manage users and get a 403 page here."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role not in CLINICAL_ROLES:
            abort(403, "Only coordinators and clinicians may open patient records.")
        return view(*args, **kwargs)

    return wrapper


@clinical_required
def require_clinical_staff() -> None:
    """A blueprint's ``before_request`` when every page of it is clinical."""


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != "admin":
            abort(403, "Only administrators may manage staff users.")
        return view(*args, **kwargs)

    return wrapper
