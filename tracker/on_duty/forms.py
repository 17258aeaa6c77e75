from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from tracker.auth.forms import LANGUAGE_CHOICES
from tracker.i18n import lazy_gettext as _l


class ContactForm(FlaskForm):
    """A phone number or email address to tell about urgent alerts; the service checks it."""

    tier = SelectField(
        _l("List"),
        choices=[
            SelectChoice("on_duty", _l("On duty: told at once")),
            SelectChoice("escalation", _l("Escalation: told when nobody acknowledged in time")),
        ],
    )
    name = StringField(_l("Who it reaches"), validators=[Length(max=120)])
    address = StringField(_l("Mobile number or email address"), validators=[Length(max=254)])
    language = SelectField(_l("Language of the messages"), choices=LANGUAGE_CHOICES, default="en")
