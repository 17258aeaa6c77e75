from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from tracker.auth.models import ROLES
from tracker.auth.services import MIN_PASSWORD_LENGTH
from tracker.i18n import lazy_gettext as _l

ROLE_CHOICES = [
    SelectChoice("coordinator", _l("Coordinator")),
    SelectChoice("clinician", _l("Clinician")),
    SelectChoice("admin", _l("Administrator")),
]
assert {choice.value for choice in ROLE_CHOICES} == set(ROLES)

PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters, not a common or guessable one (no names, "
    "dates or keyboard patterns). A short sentence of unusual words is easy to remember."
)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Enter a new password."))]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the new password again.")),
            EqualTo("new_password", _l("The two new passwords are not the same.")),
        ],
    )


class NewUserForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's name."))])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter an email address."))])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[InputRequired()])
    password = PasswordField(
        _l("First password"), validators=[DataRequired(_l("Enter a first password."))]
    )
    confirm = PasswordField(
        _l("First password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class EditUserForm(FlaskForm):
    name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)]
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[InputRequired()])


class SetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Enter a new password."))]
    )


#: each language named in itself, so anyone can find their own
LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("id", "Bahasa Indonesia")]


class LanguageForm(FlaskForm):
    language = RadioField(_l("Language of my pages"), choices=LANGUAGE_CHOICES)


class ConfirmForm(FlaskForm):
    """A button-only form: just the CSRF token (sign-out, deactivate, reactivate)."""


class CodeForm(FlaskForm):
    """A code from the authenticator app, or one of the recovery codes."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class SecurityForm(FlaskForm):
    everyone = BooleanField(_l("Require two-factor sign-in for every staff member"))
