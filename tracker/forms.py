"""What every web form shares: putting a service's field errors back onto the form."""

from flask_wtf import FlaskForm

from tracker.errors import DomainError


def apply_errors(form: FlaskForm, error: DomainError) -> None:
    """Show ``error`` next to the fields it names; anything else goes to the top of the form."""
    placed = False
    for name, messages in error.errors.items():
        field = form._fields.get(name)
        if field is None or name == "csrf_token":
            form.form_errors.extend(messages)
        elif not field.errors:  # the form's own message (e.g. "not a valid date") comes first
            field.errors = list(messages)
        placed = True
    if not placed:
        form.form_errors.append(error.message)


def form_values(form: FlaskForm, *names: str) -> dict:
    return {name: form[name].data for name in names}
