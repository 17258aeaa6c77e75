"""The demo has conversations: a wound photo waiting, an answer, a caregiver."""

import sqlalchemy as sa

from tracker.db import db
from tracker.messages.models import Conversation, Message, MessagePhoto
from tracker.portal.models import Caregiver, CheckIn


def test_the_demo_shows_messages_a_photo_and_a_caregiver(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MessagePhoto)) == 1
    kinds = set(db.session.scalars(sa.select(Message.author_kind)))
    assert kinds == {"patient", "staff", "caregiver"}
    caregiver = db.session.scalar(sa.select(Caregiver))
    assert caregiver.name == "Dewi" and caregiver.relation == "daughter"
    assert db.session.scalar(sa.select(CheckIn).where(CheckIn.caregiver_id == caregiver.id))
    waiting = db.session.scalars(
        sa.select(Conversation).where(Conversation.waiting_since.is_not(None))
    ).all()
    assert len(waiting) >= 2
