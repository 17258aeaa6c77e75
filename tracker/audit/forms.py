from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from tracker.i18n import lazy_gettext as _l

KIND_CHOICES = [
    SelectChoice("", _l("Changes and reads")),
    SelectChoice("change", _l("Changes only")),
    SelectChoice("read", _l("Reads only")),
]


class AuditFilterForm(FlaskForm):
    """The audit page's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    patient = StringField(_l("Patient (MRN or number)"), validators=[Optional(), Length(max=40)])
    user = SelectField(_l("Staff user"), choices=[], validators=[Optional()])
    action = SelectField(_l("Action"), choices=[], validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
