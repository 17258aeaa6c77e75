"""The on-duty page: who hears about urgent patient alerts. Staff see it; admins change it."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.auth.access import admin_required
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.forms import apply_errors
from tracker.i18n import gettext as _
from tracker.on_duty import services
from tracker.on_duty.forms import ContactForm
from tracker.on_duty.models import TIERS, OnDutyContact
from tracker.portal.forms import PlainForm
from tracker.vocabulary import VALUES

bp = Blueprint("on_duty", __name__)


def _page(form: ContactForm, status: int = 200):
    config = current_app.config
    defaults = {
        tier: services.parse_contacts(config.get(key, ""), tier)
        for tier, key in services.CONFIG_KEYS.items()
    }
    return render_template(
        "on_duty/index.html",
        form=form,
        tiers=TIERS,
        labels=VALUES,
        listed={tier: services.page_contacts(tier) for tier in TIERS},
        in_use={tier: services.contacts(tier) for tier in TIERS},
        defaults=defaults,
        config_keys=services.CONFIG_KEYS,
        minutes=int(config.get("ALERT_ESCALATE_MINUTES", 15)),
        can_edit=current_user.role == "admin",
        plain=PlainForm(),
    ), status


@bp.get("/on-duty")
@login_required
def index():
    return _page(ContactForm(formdata=None, language=current_user.language))


@bp.post("/on-duty")
@admin_required
def add():
    form = ContactForm()
    if form.validate_on_submit():
        try:
            contact = services.add_contact(
                form.tier.data,
                form.name.data,
                form.address.data,
                actor=current_user,
                now=utcnow(),
                language=form.language.data,
            )
        except DomainError as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            flash(
                _("%(name)s (%(address)s) added.", name=contact.name, address=contact.address),
                "success",
            )
            return redirect(url_for(".index"), code=303)
    return _page(form, 422)


@bp.post("/on-duty/<int:contact_id>/remove")
@admin_required
def remove(contact_id: int):
    contact = db.get_or_404(OnDutyContact, contact_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        services.remove_contact(contact, actor=current_user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "%(name)s (%(address)s) taken off the list.",
                name=contact.name,
                address=contact.address,
            ),
            "success",
        )
    return redirect(url_for(".index"), code=303)
