"""Forms of the journey pages. They check the shape of what was typed; services check the rules."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from tracker.i18n import lazy_gettext as _l
from tracker.journeys.models import ANESTHESIA, APPOINTMENT_KINDS, APPROACHES, CONDITIONS, SIDES
from tracker.vocabulary import label


def choices(values: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(v, label(v)) for v in values]


def _reason(label, required: bool = True) -> TextAreaField:
    checks = [InputRequired(message=_l("Give a reason."))] if required else [Optional()]
    return TextAreaField(label, validators=[*checks, Length(max=2000)])


class StartJourneyForm(FlaskForm):
    template_id = SelectField(_l("Pathway"), coerce=int, validators=[InputRequired()])
    condition = SelectField(_l("Condition"), choices=choices(CONDITIONS))
    levels = StringField(
        _l("Spinal level(s)"),
        validators=[InputRequired(message=_l("Enter the spinal level(s).")), Length(max=60)],
        description=_l("For example L4-L5, or L4-L5, L5-S1 for two levels."),
    )
    side = SelectField(_l("Side"), choices=choices(SIDES))
    approach = SelectField(_l("Approach"), choices=choices(APPROACHES))
    anesthesia = SelectField(_l("Anesthesia"), choices=choices(ANESTHESIA))
    surgeon_id = SelectField(_l("Surgeon"), coerce=int, default=0)
    consultation_date = DateField(
        _l("Consultation date"),
        validators=[InputRequired(message=_l("Enter the consultation date."))],
    )
    surgery_date = DateField(_l("Surgery date"), validators=[Optional()])
    surgery_time = TimeField(
        _l("Surgery start time"),
        validators=[Optional()],
        description=_l("Clinic local time. Leave both empty if the surgery is not booked yet."),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        date_given, time_given = bool(self.surgery_date.raw_data), bool(self.surgery_time.raw_data)
        date_given = date_given and bool(self.surgery_date.raw_data[0])
        time_given = time_given and bool(self.surgery_time.raw_data[0])
        if date_given != time_given:
            missing = self.surgery_time if date_given else self.surgery_date
            missing.errors = [
                *missing.errors,
                "Give both the surgery date and its start time, or neither.",
            ]
            return False
        return valid


class RescheduleForm(FlaskForm):
    surgery_date = DateField(
        _l("New surgery date"), validators=[InputRequired(message=_l("Enter the new date."))]
    )
    surgery_time = TimeField(
        _l("New start time"),
        validators=[InputRequired(message=_l("Enter the new start time."))],
        description=_l("Clinic local time."),
    )
    reason = _reason(_l("Reason (optional)"), required=False)
    #: set by the preview page: the next POST applies the change
    confirmed = HiddenField(default="")


class AdvanceForm(FlaskForm):
    override_reason = _reason(_l("Reason to go on with unfinished tasks"), required=False)


class ReasonForm(FlaskForm):
    reason = _reason(_l("Reason"))


class AppointmentForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=choices(APPOINTMENT_KINDS))
    title = StringField(
        _l("Title"),
        validators=[InputRequired(message=_l("Give the appointment a title.")), Length(max=200)],
    )
    date = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    time = TimeField(
        _l("Start time"),
        validators=[InputRequired(message=_l("Enter the start time."))],
        description=_l("Clinic local time."),
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=30,
        validators=[
            InputRequired(message=_l("Enter the duration in minutes.")),
            NumberRange(
                min=1, max=1440, message=_l("The duration must be between 1 and 1440 minutes.")
            ),
        ],
    )
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])


class EditAppointmentForm(AppointmentForm):
    status = SelectField(_l("Status"), choices=choices(("scheduled", "completed", "no_show")))


class AppointmentStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices(("completed", "no_show")))


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("New note"),
        validators=[InputRequired(message=_l("Write the note first.")), Length(max=5000)],
        description=_l("Notes cannot be edited; add a new note to correct one."),
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
