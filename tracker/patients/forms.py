from functools import cache
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from tracker.patients.services import FIELDS

SEX_CHOICES = [
    SelectChoice("female", "Female"),
    SelectChoice("male", "Male"),
    SelectChoice("other", "Other"),
    SelectChoice("unknown", "Unknown"),
]
LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("id", "Bahasa Indonesia")]


@cache
def _zones() -> tuple[str, ...]:
    hidden = ("Etc/", "SystemV/")
    return tuple(sorted(n for n in available_timezones() if "/" in n and not n.startswith(hidden)))


def timezone_choices() -> list[SelectChoice]:
    names = _zones()
    return [SelectChoice(name, name.replace("_", " ")) for name in names]


class PatientForm(FlaskForm):
    """Every patient field. The service checks the values; the form only parses them."""

    mrn = StringField("Medical record number (MRN)", validators=[Length(max=40)])
    given_name = StringField("Given name", validators=[Length(max=100)])
    family_name = StringField("Family name", validators=[Length(max=100)])
    birth_date = DateField(
        "Date of birth",
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"placeholder": "YYYY-MM-DD"},
    )
    sex = SelectField("Sex", choices=[SelectChoice("", "Choose…"), *SEX_CHOICES])
    phone = TelField("Mobile phone", validators=[Length(max=30)])
    email = EmailField("Email", validators=[Length(max=254)])
    language = SelectField("Preferred language", choices=LANGUAGE_CHOICES, default="en")
    timezone = SelectField("Time zone")
    consent_email = BooleanField("Agrees to reminders by email")
    consent_sms = BooleanField("Agrees to reminders by SMS")
    preferred_channel = SelectField(
        "Messages go by",
        choices=[
            SelectChoice("sms", "SMS first, email if not possible"),
            SelectChoice("email", "Email first, SMS if not possible"),
        ],
        default="sms",
    )

    def __init__(self, *args, default_timezone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
        if not self.timezone.data:
            self.timezone.data = default_timezone

    def values(self) -> dict:
        return {name: self[name].data for name in FIELDS}
