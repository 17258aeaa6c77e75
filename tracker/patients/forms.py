from functools import cache
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from tracker.i18n import lazy_gettext as _l
from tracker.patients.services import FIELDS

SEX_CHOICES = [
    SelectChoice("female", _l("Female")),
    SelectChoice("male", _l("Male")),
    SelectChoice("other", _l("Other")),
    SelectChoice("unknown", _l("Unknown")),
]
LANGUAGE_CHOICES = [SelectChoice("en", _l("English")), SelectChoice("id", _l("Bahasa Indonesia"))]


@cache
def _zones() -> tuple[str, ...]:
    hidden = ("Etc/", "SystemV/")
    return tuple(sorted(n for n in available_timezones() if "/" in n and not n.startswith(hidden)))


def timezone_choices() -> list[SelectChoice]:
    names = _zones()
    return [SelectChoice(name, name.replace("_", " ")) for name in names]


class PatientForm(FlaskForm):
    """Every patient field. The service checks the values; the form only parses them."""

    mrn = StringField(_l("Medical record number (MRN)"), validators=[Length(max=40)])
    given_name = StringField(_l("Given name"), validators=[Length(max=100)])
    family_name = StringField(_l("Family name"), validators=[Length(max=100)])
    birth_date = DateField(
        _l("Date of birth"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"placeholder": "YYYY-MM-DD"},
    )
    sex = SelectField(_l("Sex"), choices=[SelectChoice("", _l("Choose…")), *SEX_CHOICES])
    phone = TelField(_l("Mobile phone"), validators=[Length(max=30)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    language = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES, default="en")
    timezone = SelectField(_l("Time zone"))
    consent_email = BooleanField(_l("Agrees to reminders by email"))
    consent_sms = BooleanField(_l("Agrees to reminders by SMS"))
    preferred_channel = SelectField(
        _l("Messages go by"),
        choices=[
            SelectChoice("sms", _l("SMS first, email if not possible")),
            SelectChoice("email", _l("Email first, SMS if not possible")),
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
