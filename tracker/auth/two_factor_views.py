"""Two-factor pages: the code step of signing in, setting up an authenticator app (at sign-in
when it is required, or from one's account), recovery codes, and the admin's switch."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from tracker.auth import services, signin, two_factor
from tracker.auth.access import admin_required
from tracker.auth.forms import CodeForm, ConfirmForm, SecurityForm
from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError, ValidationFailed
from tracker.forms import apply_errors
from tracker.i18n import gettext as _

bp = Blueprint("two_factor", __name__)
bp.register_error_handler(429, signin.too_many)


def _restart():
    flash(_("Please sign in again."), "info")
    return redirect(url_for("auth.login"))


def _setup_secret() -> str:
    """The secret being set up on this browser (kept until its first code confirms it)."""
    secret = session.get(signin.SETUP_KEY)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = two_factor.new_secret()
        session[signin.SETUP_KEY] = secret
    return secret


def _setup_page(user: StaffUser, form: CodeForm, *, at_sign_in: bool, status: int = 200):
    secret = _setup_secret()
    uri = two_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        user=user,
        qr=two_factor.qr_svg(uri),
        key=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        at_sign_in=at_sign_in,
        required=two_factor.is_required(user),
    ), status


def _codes_page(codes: list[str], next_url: str):
    return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)


# ---- signing in -----------------------------------------------------------------------------


@bp.route("/sign-in/code", methods=["GET", "POST"])
@signin.sign_in_limit
def verify():
    user = signin.pending_user()
    if user is None or not user.has_two_factor:
        return _restart()
    form = CodeForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        now = utcnow()
        if services.is_locked(user, now):
            form.code.errors = [signin.retry_message(user.locked_until, now)]
            return render_template("auth/sign_in_code.html", form=form), 429
        used = two_factor.verify(user, form.code.data, now=now)
        if used:
            if used == "recovery":
                left = two_factor.recovery_codes_left(user)
                flash(
                    _(
                        "You signed in with a recovery code; %(left)s left. "
                        "Make new ones under Two-factor sign-in if you are running out.",
                        left=left,
                    ),
                    "info",
                )
            return signin.finish(user, signin.pending_next())
        locked_until = services.note_failure(user, now=now, ip=request.remote_addr)
        db.session.commit()
        form.code.errors = ["That code does not match. Type the newest code from your app."]
        if locked_until is not None:
            form.code.errors.append(signin.retry_message(locked_until, now))
            status = 429
    return render_template("auth/sign_in_code.html", form=form), status


@bp.route("/sign-in/two-factor-setup", methods=["GET", "POST"])
@signin.sign_in_limit
def setup_at_sign_in():
    """Two-factor is required and not set up yet: set it up before reaching any page."""
    user = signin.pending_user()
    if user is None:
        return _restart()
    if user.has_two_factor:
        return redirect(url_for(".verify"))
    form = CodeForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            codes = two_factor.enable(user, _setup_secret(), form.code.data, now=now)
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
            return _setup_page(user, form, at_sign_in=True, status=422)
        next_url = signin.pending_next()
        signin.finish(user, next_url)  # commits; the session starts now
        return _codes_page(codes, signin.safe_next(next_url) or signin.home_for(user))
    status = 422 if request.method == "POST" else 200
    return _setup_page(user, form, at_sign_in=True, status=status)


# ---- one's own account ----------------------------------------------------------------------


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = CodeForm()
    if user.has_two_factor:
        return render_template(
            "auth/two_factor.html",
            form=CodeForm(formdata=None),
            left=two_factor.recovery_codes_left(user),
            required=two_factor.is_required(user),
        )
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(user, _setup_secret(), form.code.data, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
            return _setup_page(user, form, at_sign_in=False, status=422)
        db.session.commit()
        session.pop(signin.SETUP_KEY, None)
        return _codes_page(codes, url_for(".account"))
    status = 422 if request.method == "POST" else 200
    return _setup_page(user, form, at_sign_in=False, status=status)


def _own_action(action):
    """Run ``action(user, code)`` for the signed-in user; 422 with the form on a bad code."""
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for(".account"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            result = action(user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            return result
    return render_template(
        "auth/two_factor.html",
        form=form,
        left=two_factor.recovery_codes_left(user),
        required=two_factor.is_required(user),
    ), 422


@bp.post("/account/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    def replace(user, code):
        codes = two_factor.new_recovery_codes(user, code, now=utcnow())
        return _codes_page(codes, url_for(".account"))

    return _own_action(replace)


@bp.post("/account/two-factor/off")
@login_required
def turn_off():
    def off(user, code):
        now = utcnow()
        if not two_factor.verify(user, code, now=now, allow_recovery=False):
            raise ValidationFailed.on("code", _("That code does not match your authenticator app."))
        two_factor.disable(user, actor=user, now=now)
        flash(_("Two-factor sign-in is off for your account."), "success")
        return redirect(url_for(".account"))

    return _own_action(off)


# ---- admin ----------------------------------------------------------------------------------


@bp.route("/admin/security", methods=["GET", "POST"])
@admin_required
def security():
    form = SecurityForm()
    if form.validate_on_submit():
        signed_out = two_factor.set_required_for_everyone(
            form.everyone.data, actor=current_user, now=utcnow()
        )
        db.session.commit()
        if form.everyone.data:
            flash(
                _(
                    "Two-factor sign-in is now required for everyone. %(signed_out)s person(s) "
                    "without it were signed out and set it up at their next sign-in.",
                    signed_out=signed_out,
                ),
                "success",
            )
        else:
            flash(_("Two-factor sign-in is now required for admins only."), "success")
        return redirect(url_for(".security"))
    if not form.is_submitted():
        form.everyone.data = two_factor.required_for_everyone()
    users = db.session.scalars(
        sa.select(StaffUser).where(StaffUser.active).order_by(StaffUser.name, StaffUser.id)
    )
    return render_template("auth/security.html", form=form, users=list(users))


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@admin_required
def reset(user_id: int):
    user = db.session.get(StaffUser, user_id) or abort(404, _("There is no such staff user."))
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The form has expired. Reload the page and try again."))
    if user.id == current_user.id:
        abort(403, _("Ask another admin to reset your own two-factor sign-in."))
    two_factor.disable(user, actor=current_user, now=utcnow())
    db.session.commit()
    flash(
        _(
            "Two-factor sign-in of %(name)s was reset; they were signed out and set up "
            "a new authenticator at their next sign-in.",
            name=user.name,
        ),
        "success",
    )
    return redirect(url_for("auth.edit_user", user_id=user.id))
