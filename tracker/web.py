"""The web side shared by every page: sign-in loading, error pages, health check."""

import sqlalchemy as sa
from flask import Flask, jsonify, render_template, request

from tracker import models  # noqa: F401  (every table known to the metadata)
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.extensions import login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"
    app.add_url_rule("/healthz", "healthz", healthz)
    for code in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(code, error_page)


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
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(
            code=code,
            status=getattr(error, "name", "Error"),
            message=getattr(error, "description", "Something went wrong."),
        ), code
    return render_template("errors/error.html", error=error, code=code), code
