"""Forms: staff entering a paper questionnaire, corrections, returns to theatre, report filters;
the patient's one-item answer screen."""

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from tracker.i18n import gettext as _
from tracker.i18n import lazy_gettext as _l
from tracker.journeys.models import CONDITIONS
from tracker.outcomes.definitions import options

SOURCES = [
    SelectChoice("paper", _l("Paper form filled in by the patient")),
    SelectChoice("phone", _l("Read out to the patient over the phone")),
]


class PaperEntryForm(FlaskForm):
    """The item answers are fields named ``<instrument>-<item>``, read by :func:`item_answers`."""

    completed_on = DateField(
        _l("Day the patient answered"),
        validators=[InputRequired(message=_l("Give the day the patient answered."))],
    )
    source = RadioField(
        _l("How the answers were given"),
        choices=SOURCES,
        default="paper",
        validators=[InputRequired(message=_l("Choose paper or phone."))],
    )


def item_field(instrument: str, item: dict) -> str:
    return f"{instrument}-{item['key']}"


def item_answers(formdata, instrument: str, definition: dict) -> list:
    """One value per item from the posted form: a number, None (left empty) or the raw text
    (which the service then refuses, naming the item)."""
    values = []
    for item in definition["items"]:
        raw = (formdata.get(item_field(instrument, item)) or "").strip()
        if raw == "":
            values.append(None)
        elif raw.lstrip("-").isdigit():
            values.append(int(raw))
        else:
            values.append(raw)
    return values


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Why"),
        validators=[InputRequired(message=_l("Say why.")), Length(max=2000)],
    )


class TheatreReturnForm(FlaskForm):
    occurred_on = DateField(
        _l("Day of the return to theatre"),
        validators=[InputRequired(message=_l("Give the day of the return to theatre."))],
    )
    reason = TextAreaField(
        _l("Reason (e.g. recurrent disc herniation, haematoma, wound infection)"),
        validators=[
            InputRequired(message=_l("Say why the patient went back to theatre.")),
            Length(max=2000),
        ],
    )


class ReportFilterForm(FlaskForm):
    """GET filters of the outcomes report (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    pathway = SelectField(_l("Pathway"), choices=[], validators=[Optional()])
    condition = SelectField(
        _l("Condition"),
        choices=[SelectChoice("", _l("All conditions"))]
        + [SelectChoice(c, c.replace("_", " ").capitalize()) for c in CONDITIONS],
        validators=[Optional()],
    )
    surgeon_id = SelectField(_l("Surgeon"), choices=[], validators=[Optional()])
    surgery_from = DateField(_l("Surgery from"), validators=[Optional()])
    surgery_to = DateField(_l("Surgery to"), validators=[Optional()])

    def validate_surgery_to(self, field) -> None:
        if field.data and self.surgery_from.data and field.data < self.surgery_from.data:
            raise ValidationError(_("The end of the period is before its start."))


class AnswerForm(FlaskForm):
    """One item: its options as big buttons; ``skip`` leaves it unanswered."""

    answer = RadioField(choices=[], validate_choice=False, validators=[Optional()])
    skip = HiddenField()

    def set_item(self, item: dict, language: str) -> None:
        self.answer.choices = [SelectChoice(str(v), label) for v, label in options(item, language)]

    @property
    def value(self) -> int | None | str:
        raw = (self.answer.data or "").strip()
        if not raw:
            return None
        return int(raw) if raw.isdigit() else raw
