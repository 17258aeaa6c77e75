from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

KIND_CHOICES = [
    SelectChoice("", "Changes and reads"),
    SelectChoice("change", "Changes only"),
    SelectChoice("read", "Reads only"),
]


class AuditFilterForm(FlaskForm):
    """The audit page's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    patient = StringField("Patient (MRN or number)", validators=[Optional(), Length(max=40)])
    user = SelectField("Staff user", choices=[], validators=[Optional()])
    action = SelectField("Action", choices=[], validators=[Optional()])
    kind = SelectField("Kind", choices=KIND_CHOICES, validators=[Optional()])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
