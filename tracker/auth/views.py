"""Signing in and out, one's own password, and the admin pages for staff users."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_login import current_user, login_required, logout_user

from tracker.auth import services, signin
from tracker.auth.access import admin_required
from tracker.auth.forms import (
    PASSWORD_HINT,
    ChangePasswordForm,
    ConfirmForm,
    EditUserForm,
    LanguageForm,
    LoginForm,
    NewUserForm,
    SetPasswordForm,
)
from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.forms import apply_errors
from tracker.i18n import gettext as _

bp = Blueprint("auth", __name__)

# Shared with tracker.web (the idle timeout) and the two-factor pages.
SEEN_KEY = signin.SEEN_KEY
home_for = signin.home_for
safe_next = signin.safe_next
clear_session = signin.clear_session
start_session = signin.start_session


bp.register_error_handler(429, signin.too_many)


@bp.route("/sign-in", methods=["GET", "POST"])
@signin.sign_in_limit
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        now = utcnow()
        check = services.check_sign_in(
            form.email.data, form.password.data, now=now, ip=request.remote_addr
        )
        db.session.commit()  # the failure counted, or a rehashed password kept
        if check.user is not None:
            return signin.password_accepted(check.user, form.next.data)
        if check.locked_until is not None:
            status = 429
            form.form_errors.append(signin.retry_message(check.locked_until, now))
        else:
            form.form_errors.append(_("That email and password do not match an active account."))
    return render_template("auth/login.html", form=form), status


@bp.post("/sign-out")
@login_required
def logout():
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The sign-out form has expired. Reload the page and try again."))
    services.sign_out(current_user, now=utcnow())
    db.session.commit()
    logout_user()
    clear_session()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(
                user, form.current_password.data, form.new_password.data, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            start_session(user)  # the version changed: other sessions end, this one goes on
            flash(_("Your password is changed. Other devices were signed out."), "success")
            return redirect(home_for(user))
    status = 422 if form.errors else 200
    return render_template("auth/change_password.html", form=form, hint=PASSWORD_HINT), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Who one is, and the language of one's pages."""
    user = current_user._get_current_object()
    form = LanguageForm(data={"language": user.language})
    if form.validate_on_submit():
        services.set_language(user, form.language.data, now=utcnow())
        db.session.commit()
        with force_locale(user.language):  # said in the language just chosen
            if user.language == "id":
                flash(_("Your pages are now in Indonesian."), "success")
            else:
                flash(_("Your pages are now in English."), "success")
        return redirect(url_for("auth.account"), code=303)
    status = 422 if form.errors else 200
    return render_template("auth/account.html", user=user, form=form), status


@bp.get("/admin/users")
@admin_required
def users():
    rows = db.session.scalars(
        sa.select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id)
    )
    return render_template("auth/users.html", users=list(rows), confirm=ConfirmForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data,
                form.name.data,
                form.role.data,
                form.password.data,
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(
                _("%(name)s can now sign in as %(email)s.", name=user.name, email=user.email),
                "success",
            )
            return redirect(url_for("auth.users"))
    status = 422 if form.errors else 200
    return render_template("auth/new_user.html", form=form, hint=PASSWORD_HINT), status


def _user_or_404(user_id: int) -> StaffUser:
    return db.session.get(StaffUser, user_id) or abort(404, _("There is no such staff user."))


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = _user_or_404(user_id)
    form = EditUserForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                actor=current_user,
                now=utcnow(),
                name=form.name.data.strip(),
                role=form.role.data,
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=user.name), "success")
            return redirect(url_for("auth.users"))
    status = 422 if form.errors else 200
    return _edit_page(user, form, SetPasswordForm(formdata=None)), status


def _edit_page(user, form, password_form):
    return render_template(
        "auth/edit_user.html",
        user=user,
        form=form,
        password_form=password_form,
        confirm=ConfirmForm(),
        hint=PASSWORD_HINT,
    )


@bp.post("/admin/users/<int:user_id>/active")
@admin_required
def set_user_active(user_id: int):
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The form has expired. Reload the page and try again."))
    active = request.form.get("active") == "1"
    try:
        services.update_user(user, actor=current_user, now=utcnow(), active=active)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    db.session.commit()
    if active:
        flash(_("%(name)s is reactivated and can sign in again.", name=user.name), "success")
    else:
        flash(_("%(name)s is deactivated and signed out.", name=user.name), "success")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/password")
@admin_required
def set_user_password(user_id: int):
    user = _user_or_404(user_id)
    password_form = SetPasswordForm()
    if password_form.validate_on_submit():
        try:
            services.set_password(
                user, password_form.new_password.data, actor=current_user, now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(password_form, error)
        else:
            db.session.commit()
            if user.id == current_user.id:
                start_session(user)
            flash(
                _("New password set for %(name)s; their other sessions ended.", name=user.name),
                "success",
            )
            return redirect(url_for("auth.users"))
    return _edit_page(user, EditUserForm(obj=user, formdata=None), password_form), 422
