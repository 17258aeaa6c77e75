from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from tracker.auth.models import ROLES
from tracker.auth.services import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [
    SelectChoice("coordinator", "Coordinator"),
    SelectChoice("clinician", "Clinician"),
    SelectChoice("admin", "Administrator"),
]
assert {choice.value for choice in ROLE_CHOICES} == set(ROLES)

PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters, not a common or guessable one (no names, "
    "dates or keyboard patterns). A short sentence of unusual words is easy to remember."
)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password.")])
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("new_password", "The two new passwords are not the same."),
        ],
    )


class NewUserForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Enter the person's name.")])
    email = EmailField("Email", validators=[DataRequired("Enter an email address.")])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    password = PasswordField("First password", validators=[DataRequired("Enter a first password.")])
    confirm = PasswordField(
        "First password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )


class EditUserForm(FlaskForm):
    name = StringField(
        "Full name", validators=[DataRequired("Enter the person's name."), Length(max=200)]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])


class SetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password.")])


class ConfirmForm(FlaskForm):
    """A button-only form: just the CSRF token (sign-out, deactivate, reactivate)."""


class CodeForm(FlaskForm):
    """A code from the authenticator app, or one of the recovery codes."""

    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code."), Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class SecurityForm(FlaskForm):
    everyone = BooleanField("Require two-factor sign-in for every staff member")
