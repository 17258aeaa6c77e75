from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length


class ContactForm(FlaskForm):
    """A phone number or email address to tell about urgent alerts; the service checks it."""

    tier = SelectField(
        "List",
        choices=[
            SelectChoice("on_duty", "On duty: told at once"),
            SelectChoice("escalation", "Escalation: told when nobody acknowledged in time"),
        ],
    )
    name = StringField("Who it reaches", validators=[Length(max=120)])
    address = StringField("Mobile number or email address", validators=[Length(max=254)])
