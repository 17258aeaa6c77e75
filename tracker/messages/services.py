"""Secure messages: writing, replying, reading, assigning, closing; photo reviews.

Services never commit. A patient-side message (the patient's or their caregiver's) lands in the
journey's open conversation, or starts one; a staff reply tells the patient side by SMS or email
with a personal link and no content (``tracker.reminders.notices.new_message``). Every staff
read is audited; nothing is edited or deleted.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker import yamlfile
from tracker.audit.services import record, record_read
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.messages.models import PHOTO_REVIEWS, Conversation, Message, MessagePhoto
from tracker.messages.photos import clean_photos
from tracker.portal.models import Caregiver
from tracker.reminders import notices
from tracker.timeutil import clinic_tz

BODY_MAX = 2000
SAVED_REPLIES = Path(__file__).with_name("saved_replies.yaml")


@dataclass(frozen=True)
class SavedReply:
    key: str
    title: dict[str, str]
    text: dict[str, str]

    def in_language(self, language: str) -> str:
        return self.text.get(language) or self.text["en"]


@cache
def saved_replies() -> tuple[SavedReply, ...]:
    entries = yamlfile.read(SAVED_REPLIES)
    return tuple(SavedReply(e["key"], e["title"], e["text"]) for e in entries)


def saved_reply(key: str) -> SavedReply | None:
    return next((r for r in saved_replies() if r.key == key), None)


def working_day_before(now: datetime) -> datetime:
    """The instant one working day (Monday to Friday, clinic time) before ``now``."""
    tz = clinic_tz()
    cutoff = now - timedelta(days=1)
    while cutoff.astimezone(tz).weekday() >= 5:
        cutoff -= timedelta(days=1)
    return cutoff


def _body(text: str | None) -> str:
    body = (text or "").strip()
    if not body:
        raise ValidationFailed.on("body", _("Write a message."))
    if len(body) > BODY_MAX:
        raise ValidationFailed.on("body", _("Keep the message under %(n)d characters.", n=BODY_MAX))
    return body


def open_conversation(journey: Journey) -> Conversation | None:
    return db.session.scalar(
        sa.select(Conversation)
        .where(Conversation.journey_id == journey.id, Conversation.status == "open")
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def _conversation_for(journey: Journey, now: datetime) -> Conversation:
    conversation = open_conversation(journey)
    if conversation is None:
        conversation = Conversation(
            journey=journey,
            patient_id=journey.patient_id,
            status="open",
            created_at=now,
            last_message_at=now,
            staff_unread=0,
        )
        db.session.add(conversation)
    return conversation


def send_from_patient(
    journey: Journey,
    text: str | None,
    uploads: list[bytes],
    *,
    now: datetime,
    caregiver: Caregiver | None = None,
) -> Message:
    """A message from the patient (or their caregiver) with up to three photos.

    Every photo is checked and cleaned before anything is added: one refused photo refuses
    the whole message, and nothing is stored.
    """
    body = _body(text)
    photos = clean_photos(uploads)
    conversation = _conversation_for(journey, now)
    message = Message(
        conversation=conversation,
        journey_id=journey.id,
        patient_id=journey.patient_id,
        author_kind="caregiver" if caregiver else "patient",
        caregiver=caregiver,
        author_name=caregiver.name if caregiver else journey.patient.full_name,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    for photo in photos:
        db.session.add(
            MessagePhoto(
                message=message,
                journey_id=journey.id,
                patient_id=journey.patient_id,
                data=photo.data,
                thumbnail=photo.thumbnail,
                width=photo.width,
                height=photo.height,
                original_format=photo.original_format,
                created_at=now,
            )
        )
    conversation.last_message_at = now
    conversation.waiting_since = conversation.waiting_since or now
    conversation.staff_unread = (conversation.staff_unread or 0) + 1
    db.session.flush()  # a new conversation's id, for the audit row
    record(
        "message.send",
        message,
        actor=f"{caregiver.name} (caregiver)" if caregiver else "patient portal",
        patient_id=journey.patient_id,
        now=now,
        details={"conversation": conversation.id, "photos": len(photos)},
    )
    return message


def reply(
    journey: Journey,
    text: str | None,
    *,
    actor: StaffUser,
    now: datetime,
    saved: str | None = None,
    conversation: Conversation | None = None,
) -> Message:
    """A staff message to the patient side; they are told by SMS or email, without its text.

    A saved reply fills an empty text, in the patient's language.
    """
    template = saved_reply(saved) if saved else None
    if saved and template is None:
        raise ValidationFailed.on("saved_reply", _("Unknown saved reply."))
    if template is not None and not (text or "").strip():
        text = template.in_language(journey.patient.language)
    body = _body(text)
    conversation = conversation or _conversation_for(journey, now)
    if conversation.journey_id not in (None, journey.id):
        raise NotFound("No such conversation.")
    if conversation.status == "closed":
        conversation.status, conversation.closed_at, conversation.closed_by_id = "open", None, None
    message = Message(
        conversation=conversation,
        journey_id=journey.id,
        patient_id=journey.patient_id,
        author_kind="staff",
        staff_author_id=actor.id,
        author_name=actor.name,
        body=body,
        saved_reply=template.key if template else None,
        created_at=now,
    )
    db.session.add(message)
    conversation.last_message_at = now
    conversation.waiting_since = None
    record(
        "message.reply",
        message,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"conversation": conversation.id, "saved_reply": message.saved_reply},
    )
    _notify(journey, conversation, now=now)
    return message


def _notify(journey: Journey, conversation: Conversation, *, now: datetime) -> None:
    """The patient, and a caregiver who wrote in this conversation, hear of the reply."""
    notices.new_message(journey, now=now)
    db.session.flush()
    writers = db.session.scalars(
        sa.select(Caregiver)
        .join(Message, Message.caregiver_id == Caregiver.id)
        .where(Message.conversation_id == conversation.id, Caregiver.revoked_at.is_(None))
        .distinct()
    ).all()
    for caregiver in writers:
        notices.new_message(journey, now=now, caregiver=caregiver)


# ---- reading ----------------------------------------------------------------------------------


def journey_messages(journey: Journey) -> list[Message]:
    """Every message of the journey, newest last, with its photos (not their bytes)."""
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.journey_id == journey.id)
            .options(selectinload(Message.photos))
            .order_by(Message.created_at, Message.id)
        )
    )


def conversation_messages(conversation: Conversation) -> list[Message]:
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.conversation_id == conversation.id)
            .options(selectinload(Message.photos))
            .order_by(Message.created_at, Message.id)
        )
    )


def read_by_staff(conversation: Conversation, *, actor: StaffUser, now: datetime) -> int:
    """A staff user opened the conversation: its patient-side messages are read (audited)."""
    unread = db.session.scalars(
        sa.select(Message).where(
            Message.conversation_id == conversation.id,
            Message.author_kind != "staff",
            Message.read_at.is_(None),
        )
    ).all()
    for message in unread:
        message.read_at = now
    conversation.staff_unread = 0
    record_read(
        "message.read",
        conversation,
        actor=actor,
        patient_id=conversation.patient_id,
        now=now,
        details={"newly_read": len(unread)},
    )
    return len(unread)


def read_by_patient(journey: Journey, *, now: datetime) -> int:
    """The patient side opened their messages: the care team's are read."""
    return (
        db.session.execute(
            sa.update(Message)
            .where(
                Message.journey_id == journey.id,
                Message.author_kind == "staff",
                Message.read_at.is_(None),
            )
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def unread_for_patient(journey: Journey) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Message.id)).where(
            Message.journey_id == journey.id,
            Message.author_kind == "staff",
            Message.read_at.is_(None),
        )
    )


def journey_photo(journey_id: int, photo_id: int) -> MessagePhoto:
    """A photo of this journey (with its bytes), or NotFound: never another patient's."""
    photo = db.session.get(MessagePhoto, photo_id)
    if photo is None or photo.journey_id != journey_id:
        raise NotFound("No such photo.")
    return photo


def photo(photo_id: int) -> MessagePhoto:
    found = db.session.get(MessagePhoto, photo_id)
    if found is None:
        raise NotFound("No such photo.")
    return found


# ---- staff actions ----------------------------------------------------------------------------


def conversation(conversation_id: int) -> Conversation:
    found = db.session.get(
        Conversation, conversation_id, options=[joinedload(Conversation.patient)]
    )
    if found is None:
        raise NotFound("No such conversation.")
    return found


def assign(
    conversation: Conversation, assignee: StaffUser | None, *, actor: StaffUser, now: datetime
) -> None:
    conversation.assignee_id = getattr(assignee, "id", None)
    record(
        "message.assign",
        conversation,
        actor=actor,
        patient_id=conversation.patient_id,
        now=now,
        details={"assignee": getattr(assignee, "name", None)},
    )


def close(conversation: Conversation, *, actor: StaffUser, now: datetime) -> None:
    """Close a conversation; refused while a patient-side message in it is unread (one that
    came in after the page was opened): closing would hide it from the inbox's open list."""
    if conversation.status == "closed":
        raise Conflict(_("The conversation is already closed."))
    if conversation.staff_unread:
        raise Conflict(
            _("A new message came in after you opened the conversation. Read it before closing.")
        )
    conversation.status = "closed"
    conversation.closed_at, conversation.closed_by_id = now, actor.id
    conversation.waiting_since = None
    record("message.close", conversation, actor=actor, patient_id=conversation.patient_id, now=now)


def review_photo(photo: MessagePhoto, review: str, *, actor: StaffUser, now: datetime) -> None:
    if review not in PHOTO_REVIEWS:
        raise ValidationFailed.on("review", "Choose: looks as expected, or needs a visit.")
    photo.review, photo.reviewed_at, photo.reviewed_by_id = review, now, actor.id
    record(
        "message.photo_review",
        photo,
        actor=actor,
        patient_id=photo.patient_id,
        now=now,
        details={"review": review},
    )


# ---- lists -----------------------------------------------------------------------------------

INBOX_ROWS = 50


def inbox(
    *, status: str = "open", assignee: str = "all", user: StaffUser | None = None
) -> list[Conversation]:
    """Open conversations unread first, then the oldest waiting first, then the latest message;
    closed ones by their latest message (nothing waits in them: see :func:`close`), read off
    their index in that order however many years of them the clinic keeps.

    ``assignee``: ``all``, ``me`` (``user``'s), ``unassigned``, or a staff user's id.
    """
    query = (
        sa.select(Conversation)
        .where(Conversation.status == status)
        .options(joinedload(Conversation.patient), joinedload(Conversation.assignee))
    )
    if assignee == "me" and user is not None:
        query = query.where(Conversation.assignee_id == user.id)
    elif assignee == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    elif assignee.isdigit():
        query = query.where(Conversation.assignee_id == int(assignee))
    if status == "closed":
        query = query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    else:
        query = query.order_by(
            (Conversation.staff_unread > 0).desc(),
            Conversation.waiting_since.is_(None),
            Conversation.waiting_since,
            Conversation.last_message_at.desc(),
            Conversation.id,
        )
    query = query.limit(INBOX_ROWS)
    return list(db.session.scalars(query))


def waiting_too_long(now: datetime, limit: int = 25) -> tuple[list[Conversation], int]:
    """Open conversations whose patient has waited over a working day, oldest first; how many.

    One statement (a window count), for the dashboard.
    """
    rows = db.session.execute(
        sa.select(Conversation, sa.func.count().over())
        .where(
            Conversation.status == "open",
            Conversation.waiting_since < working_day_before(now),
        )
        .options(joinedload(Conversation.patient))
        .order_by(Conversation.waiting_since, Conversation.id)
        .limit(limit)
    ).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)
