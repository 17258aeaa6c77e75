"""Forms of the patient portal and of the staff side (phone check-ins, alerts, invitations)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

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
        names = ("flag_weakness", "flag_saddle", "flag_fever", "flag_wound")
        return {name for name in names if self[name].data}

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


class LanguageForm(FlaskForm):
    language = HiddenField(validators=[InputRequired()])
    next = HiddenField()


class PlainForm(FlaskForm):
    """A button only (continue, sign out, acknowledge, invite, withdraw): the CSRF token."""


class ResolveForm(FlaskForm):
    note = TextAreaField(
        "What was done",
        validators=[InputRequired(message="Say what was done."), Length(max=2000)],
        description="E.g. “Called the patient, advised rest; review booked for Friday.”",
    )


class AlertFilterForm(FlaskForm):
    status = StringField()
