"""Forms of the message pages: the patient's message with photos, staff replies and actions."""

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from tracker.i18n import lazy_gettext as _l
from tracker.messages.models import PHOTO_REVIEWS
from tracker.messages.services import BODY_MAX


class PortalMessageForm(FlaskForm):
    """``POST /portal/messages``: ``body`` and up to three ``photos`` (multipart)."""

    body = TextAreaField(
        _l("Your message"),
        validators=[
            InputRequired(message=_l("Write a message.")),
            Length(max=BODY_MAX, message=_l("Keep the message shorter.")),
        ],
    )
    photos = MultipleFileField(_l("Photos (up to 3)"))

    def uploads(self) -> list[bytes]:
        return [f.read() for f in (self.photos.data or []) if getattr(f, "filename", "")]


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Reply"),
        validators=[Optional(), Length(max=BODY_MAX, message=_l("Keep it shorter."))],
    )
    saved_reply = SelectField(_l("Saved reply"), choices=[], validate_choice=True)


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=True)


class ReviewForm(FlaskForm):
    review = RadioField(
        _l("Reviewed"),
        choices=[
            SelectChoice(value, label)
            for value, label in zip(
                PHOTO_REVIEWS, (_l("Looks as expected"), _l("Needs a visit")), strict=True
            )
        ],
        validators=[InputRequired(message=_l("Choose one."))],
    )
