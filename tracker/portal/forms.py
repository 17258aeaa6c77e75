"""Forms of the patient portal and of the staff side (phone check-ins, alerts, invitations)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from tracker.i18n import lazy_gettext as _l
from tracker.portal.models import RED_FLAGS
from tracker.portal.services import CheckInValues

SCORES = [SelectChoice(str(n), str(n)) for n in range(11)]
SCORE_VALUES = frozenset(str(n) for n in range(11))


class ScoreField(RadioField):
    """0-10 as big radio buttons; anything else gets one plain message."""

    def __init__(self, label, **kwargs):
        super().__init__(
            label,
            choices=SCORES,
            validators=[InputRequired(message=_l("Choose a number from 0 to 10."))],
            **kwargs,
        )

    def pre_validate(self, form):
        if self.data not in SCORE_VALUES:
            raise ValidationError(_l("Choose a number from 0 to 10."))

    @property
    def score(self) -> int | None:
        return int(self.data) if self.data in SCORE_VALUES else None


class CheckInForm(FlaskForm):
    back_pain = ScoreField(_l("Back pain now"))
    leg_pain = ScoreField(_l("Leg pain now"))
    took_pain_medicine = RadioField(
        _l("Did you take pain medicine today?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[InputRequired(message=_l("Choose yes or no."))],
    )
    flag_weakness = BooleanField(_l("New or worse weakness or numbness in a leg or foot"))
    flag_both_legs = BooleanField(_l("New weakness or numbness in both legs"))
    flag_saddle = BooleanField(
        _l("Numbness between the legs or around the bottom, or new problems passing urine or stool")
    )
    flag_fever = BooleanField(_l("Fever or chills"))
    flag_wound = BooleanField(_l("The wound is red, swollen or leaking"))
    note = TextAreaField(
        _l("Anything else to tell us? (optional)"), validators=[Optional(), Length(max=1000)]
    )
    idempotency_key = HiddenField()

    @property
    def flags(self) -> set[str]:
        return {name for name in RED_FLAGS if self[name].data}

    def values(self) -> CheckInValues:
        return CheckInValues(
            back_pain=self.back_pain.score,
            leg_pain=self.leg_pain.score,
            took_pain_medicine=self.took_pain_medicine.data == "yes",
            note=self.note.data,
            flags=self.flags,
            idempotency_key=self.idempotency_key.data,
        )


class MilestoneForm(FlaskForm):
    #: "today" or "yesterday" from the big buttons; "date" uses reached_on
    when = HiddenField()
    reached_on = DateField(_l("Another day"), validators=[Optional()])


class DayField(DateField):
    """A YYYY-MM-DD date whose parse error speaks the patient's language."""

    def __init__(self, label, invalid: str, **kwargs):
        super().__init__(label, format="%Y-%m-%d", **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.invalid) from None


BIRTH_DATE_HELP = _l("Enter your date of birth as year-month-day, e.g. 1970-05-17.")


class LinkRequestForm(FlaskForm):
    """A patient who lost their link: the date of birth and the contact the clinic has."""

    birth_date = DayField(_l("Your date of birth"), invalid=BIRTH_DATE_HELP)
    contact = StringField(
        _l("Your mobile number or email address"),
        validators=[
            InputRequired(message=_l("Enter the mobile number or email address we have for you.")),
            Length(max=254, message=_l("That is too long for a phone number or email address.")),
        ],
    )

    def validate_birth_date(self, field):
        if field.errors:
            return  # the value did not parse; that message says it
        if field.data is None or field.data.year < 1900:
            raise ValidationError(BIRTH_DATE_HELP)

    def validate_contact(self, field):
        value = (field.data or "").strip()
        digits = sum(ch.isdigit() for ch in value)
        if "@" not in value and digits < 8:
            raise ValidationError(
                _l("Enter a mobile number (at least 8 digits) or an email address.")
            )


class LanguageForm(FlaskForm):
    language = HiddenField(validators=[InputRequired()])
    next = HiddenField()


class PlainForm(FlaskForm):
    """A button only (continue, sign out, acknowledge, invite, withdraw): the CSRF token."""


class InviteForm(FlaskForm):
    """Staff: how the new personal link reaches the patient."""

    send_sms = BooleanField(_l("By SMS"))
    send_email = BooleanField(_l("By email"))
    show_link = BooleanField(_l("Show the link and its QR code now, to hand over in person"))

    @property
    def send_by(self) -> list[str]:
        return [c for c in ("sms", "email") if self[f"send_{c}"].data]


class StaffMilestoneForm(FlaskForm):
    """Staff: the day a milestone was reached (a correction replaces the earlier day)."""

    reached_on = DateField(
        _l("Day reached"), validators=[InputRequired(message=_l("Choose the day."))]
    )


class ResolveForm(FlaskForm):
    note = TextAreaField(
        _l("What was done"),
        validators=[InputRequired(message=_l("Say what was done.")), Length(max=2000)],
        description=_l("E.g. “Called the patient, advised rest; review booked for Friday.”"),
    )


class AlertFilterForm(FlaskForm):
    status = StringField()


class CaregiverForm(FlaskForm):
    """Staff: a named caregiver, and how their own personal link reaches them."""

    name = StringField(
        _l("Name"), validators=[InputRequired(message=_l("Give a name.")), Length(max=120)]
    )
    relationship = StringField(
        _l("Relationship to the patient"),
        validators=[InputRequired(message=_l("E.g. daughter, son, husband.")), Length(max=60)],
    )
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    language = SelectField(
        _l("Language of their messages and pages"),
        choices=[
            SelectChoice("", _l("The patient's")),
            SelectChoice("en", "English"),
            SelectChoice("id", "Bahasa Indonesia"),
        ],
        default="",
    )
    send_sms = BooleanField(_l("Send the link by SMS"))
    send_email = BooleanField(_l("Send the link by email"))
    show_link = BooleanField(_l("Show the link and its QR code now, to hand over in person"))

    @property
    def send_by(self) -> list[str]:
        return [c for c in ("sms", "email") if self[f"send_{c}"].data]
