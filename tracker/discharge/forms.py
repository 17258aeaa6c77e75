from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from tracker.discharge.services import MAX_EXTRA, MAX_MEDICATIONS, DraftValues
from tracker.errors import DomainError
from tracker.i18n import lazy_gettext as _l

BLANK_ROWS = 3


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MedicationForm(Form):
    """One row of the medicine list; a row left empty is dropped."""

    name = StringField(_l("Medicine"), filters=[_strip])
    dose = StringField(_l("Dose"), filters=[_strip])
    frequency = StringField(_l("How often"), filters=[_strip])
    until = StringField(_l("Until"), filters=[_strip])


class DraftForm(FlaskForm):
    language = SelectField(
        _l("Language of the sheet"),
        choices=[SelectChoice("en", _l("English")), SelectChoice("id", _l("Bahasa Indonesia"))],
    )
    medications = FieldList(FormField(MedicationForm), max_entries=MAX_MEDICATIONS + BLANK_ROWS)
    extra_instructions = TextAreaField(
        _l("Other instructions for the patient"),
        validators=[Length(max=MAX_EXTRA)],
        description=_l("Printed as written, under “Other instructions from your doctor”."),
    )
    save = SubmitField(_l("Save draft"))
    issue = SubmitField(_l("Save, sign off and issue"))

    def values(self) -> DraftValues:
        return DraftValues(
            language=self.language.data,
            extra_instructions=self.extra_instructions.data or "",
            medications=[row.form.data for row in self.medications],
        )

    def pad(self) -> None:
        """Offer a few empty medicine rows after the filled ones."""
        trailing = 0
        for row in reversed(self.medications):
            if any(row.form.data.values()):
                break
            trailing += 1
        for _ in range(BLANK_ROWS - trailing):
            if len(self.medications) >= self.medications.max_entries:
                break
            self.medications.append_entry()

    def apply_errors(self, error: DomainError) -> None:
        """Put a service's messages (``medications-2-dose``) next to their inputs."""
        for name, messages in error.errors.items():
            parts = name.split("-")
            if len(parts) == 3 and parts[0] == "medications" and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self.medications):
                    self.medications[index].form[parts[2]].errors = list(messages)
                    continue
            field = self._fields.get(name)
            if field is not None and name != "csrf_token":
                field.errors = list(messages)
            else:
                self.form_errors.extend(messages)


class BatchForm(FlaskForm):
    """Prepare today's PDF: signed-off sheets, and drafts only when asked for."""

    size = HiddenField()
    drafts = BooleanField(_l("Also print the drafts not signed off yet (marked DRAFT)"))
