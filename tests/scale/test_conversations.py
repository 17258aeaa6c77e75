"""Generated secure messages: what the messages services would have written, and the inbox."""

from collections import Counter, defaultdict

import sqlalchemy as sa

from tests.conftest import NOW
from tests.scale.conftest import coordinator_client
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.messages.models import Conversation, Message, MessagePhoto
from tracker.portal.models import PortalInvitation
from tracker.reminders.models import Reminder
from tracker.scale import make_context
from tracker.scale.context import Rows
from tracker.scale.stories import generate_patient


def test_conversations_are_as_the_services_leave_them(generate):
    generate(600, years=0.12)
    conversations = db.session.scalars(sa.select(Conversation)).all()
    messages = db.session.scalars(sa.select(Message).order_by(Message.id)).all()
    assert len(conversations) > 10 and len(messages) > len(conversations)
    by_conversation = defaultdict(list)
    for message in messages:
        by_conversation[message.conversation_id].append(message)
    invited = set(db.session.scalars(sa.select(PortalInvitation.journey_id)))
    statuses = Counter(c.status for c in conversations)
    assert statuses["open"] and statuses["closed"], statuses
    assert any(c.waiting_since for c in conversations), "some patients wait for an answer"
    assert any(c.assignee_id for c in conversations) and any(
        c.assignee_id is None for c in conversations
    )
    for conversation in conversations:
        thread = by_conversation[conversation.id]
        assert thread and thread[0].author_kind == "patient"
        assert conversation.journey_id in invited
        assert conversation.created_at == thread[0].created_at
        assert conversation.last_message_at == max(m.created_at for m in thread)
        for message in thread:
            assert message.journey_id == conversation.journey_id
            assert message.patient_id == conversation.patient_id
            assert message.created_at <= NOW
            assert message.read_at is None or message.created_at <= message.read_at <= NOW
            assert (message.author_kind == "staff") == (message.staff_author_id is not None)
        unread = [m for m in thread if m.author_kind == "patient" and m.read_at is None]
        assert conversation.staff_unread == len(unread)
        if conversation.status == "closed":
            assert conversation.closed_at and conversation.closed_by_id
            assert conversation.closed_at >= conversation.last_message_at
            assert conversation.waiting_since is None and not unread
        else:
            assert conversation.closed_at is None and conversation.closed_by_id is None
            # waiting since the first patient message after the last staff reply
            replies = [i for i, m in enumerate(thread) if m.author_kind == "staff"]
            after = thread[replies[-1] + 1 :] if replies else thread
            assert conversation.waiting_since == (after[0].created_at if after else None)
            if unread:
                assert conversation.waiting_since is not None
    assert sum(c.staff_unread > 0 for c in conversations if c.status == "open")
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(MessagePhoto))
    # Every write is audited as the services record it.
    audited = Counter(
        db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.object_id).where(
                AuditEvent.action.like("message.%")
            )
        ).all()
    )
    for message in messages:
        action = "message.reply" if message.author_kind == "staff" else "message.send"
        assert audited[(action, message.id)] == 1, (action, message.id)
    for conversation in conversations:
        assert audited[("message.close", conversation.id)] == (conversation.status == "closed")
        if any(m.read_at for m in by_conversation[conversation.id] if m.author_kind == "patient"):
            assert audited[("message.read", conversation.id)] >= 1
    reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "message.read"))
    assert {event.kind for event in reads} == {"read"}
    # Each reply tells the patient (by a notice with a link, never the text).
    notices = db.session.scalars(
        sa.select(Reminder).where(Reminder.message_key == "new_message")
    ).all()
    replies = [m for m in messages if m.author_kind == "staff"]
    assert 0 < len(notices) <= len(replies)
    for notice in notices:
        assert notice.rule_key == "notice" and notice.audience == "patient"
        if notice.status == "sent":
            assert "[personal link]" in notice.body and notice.sent_at <= NOW


def test_the_same_seed_makes_the_same_conversations(app, demo_staff):
    def made(seed: int) -> dict:
        ctx = make_context(400, seed=seed, years=0.5, now=NOW)
        rows = Rows()
        for index in range(400):
            generate_patient(ctx, index, rows)
        tables = ("conversations", "messages", "audit_events")
        return {t: [sorted(r.items()) for r in rows.tables[t]] for t in tables}

    first = made(3)
    assert first["conversations"] and first["messages"]
    assert made(3) == first
    assert made(4) != first
    db.session.rollback()


def test_the_inbox_shows_the_patients_waiting(app, generate, clock):
    generate(600, years=0.12)
    waiting = db.session.scalars(
        sa.select(Conversation)
        .where(Conversation.status == "open", Conversation.staff_unread > 0)
        .order_by(Conversation.waiting_since)
    ).all()
    assert waiting
    mrns = [c.patient.mrn for c in waiting]
    client = coordinator_client(app)
    inbox = client.get("/messages")
    assert inbox.status_code == 200
    html = inbox.get_data(as_text=True)
    assert 'class="is-unread"' in html
    assert mrns[0] in html  # the one waiting longest comes first among the unread
    closed = client.get("/messages?status=closed").get_data(as_text=True)
    assert 'class="table message-inbox"' in closed
