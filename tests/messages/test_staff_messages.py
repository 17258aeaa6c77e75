"""Staff read, reply, assign and close; the patient hears of a reply without its content."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.messages.conftest import Browser, jpeg_with_gps, send
from tracker.audit.models import AuditEvent
from tracker.clock import utcnow
from tracker.db import db
from tracker.messages import services
from tracker.messages.models import Conversation, Message, MessagePhoto
from tracker.reminders.models import Reminder
from tracker.reminders.rendering import needs_portal_link, render


def _patient_writes(recovering, invite, phone, body="Is this normal?", **patient):
    journey = recovering(**patient)
    portal = phone()
    portal.open(invite(journey))
    assert send(portal, body, ("w.jpg", jpeg_with_gps((800, 600)))).status_code == 303
    return journey, portal


def test_staff_read_is_audited_and_a_reply_sends_a_content_free_notice(
    recovering, invite, phone, staff_browser
):
    journey, portal = _patient_writes(recovering, invite, phone, consent_sms=True)
    conversation = db.session.scalar(sa.select(Conversation))
    inbox = staff_browser.get("/messages").get_data(as_text=True)
    assert journey.patient.full_name in inbox and "1 unread" in inbox
    page = staff_browser.get(f"/messages/{conversation.id}").get_data(as_text=True)
    photo = db.session.scalar(sa.select(MessagePhoto))
    assert f"/messages/photos/{photo.id}/thumb" in page
    reads = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "message.read")
    ).all()
    assert len(reads) == 1 and reads[0].patient_id == journey.patient_id
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).staff_unread == 0

    secret = "Keep the dressing dry for two more days"
    response = staff_browser.post(
        f"/messages/{conversation.id}/reply",
        {"body": secret, "saved_reply": ""},
        page=f"/messages/{conversation.id}",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    notice = db.session.scalar(sa.select(Reminder).where(Reminder.message_key == "new_message"))
    assert notice is not None and notice.audience == "patient" and notice.caregiver_id is None
    subject, text, html = render(notice, portal_link="https://portal.example/portal/i/tok")
    assert needs_portal_link(notice)
    assert "You have a new message from" in subject
    assert "https://portal.example/portal/i/tok" in text
    for part in (subject, text, html):
        assert secret not in part and "dressing" not in part
    # The patient reads it in the portal; the staff message is then read.
    assert secret in portal.page("/portal/messages")
    db.session.expire_all()
    staff_message = db.session.scalar(sa.select(Message).where(Message.author_kind == "staff"))
    assert staff_message.read_at is not None
    assert db.session.get(Conversation, conversation.id).waiting_since is None


def test_a_saved_reply_goes_in_the_patients_language(recovering, invite, phone, staff_browser):
    journey, _portal = _patient_writes(recovering, invite, phone, language="id")
    conversation = db.session.scalar(sa.select(Conversation))
    response = staff_browser.post(
        f"/messages/{conversation.id}/reply",
        {"body": "", "saved_reply": "wound_normal"},
        page=f"/messages/{conversation.id}",
    )
    assert response.status_code == 303
    reply = db.session.scalar(sa.select(Message).where(Message.author_kind == "staff"))
    assert reply.body.startswith("Terima kasih atas fotonya")
    assert reply.saved_reply == "wound_normal"


def test_assign_filter_and_close(recovering, invite, phone, staff_browser, coordinator, make_user):
    _patient_writes(recovering, invite, phone, given_name="Ani", mrn="M-1")
    _patient_writes(recovering, invite, phone, given_name="Budi", mrn="M-2")
    first, second = db.session.scalars(sa.select(Conversation).order_by(Conversation.id)).all()
    staff_browser.post(
        f"/messages/{second.id}/assign",
        {"assignee": str(coordinator.id)},
        page=f"/messages/{second.id}",
    )
    mine = staff_browser.get("/messages?assignee=me").get_data(as_text=True)
    assert "Budi" in mine and "Ani" not in mine
    nobody = staff_browser.get("/messages?assignee=unassigned").get_data(as_text=True)
    assert "Ani" in nobody and "Budi" not in nobody
    response = staff_browser.post(f"/messages/{first.id}/close", page=f"/messages/{first.id}")
    assert response.status_code == 303
    assert "Ani" not in staff_browser.get("/messages").get_data(as_text=True)
    assert "Ani" in staff_browser.get("/messages?status=closed").get_data(as_text=True)


def test_a_message_that_came_in_after_the_page_opened_stops_the_close(
    recovering, invite, phone, staff_browser
):
    journey, portal = _patient_writes(recovering, invite, phone, given_name="Ani")
    conversation = db.session.scalar(sa.select(Conversation))
    page = f"/messages/{conversation.id}"
    token = staff_browser.token(page)  # the coordinator opens it: read
    assert send(portal, "The wound is leaking now").status_code == 303  # then the patient writes
    response = staff_browser.client.post(f"{page}/close", data={"csrf_token": token})
    assert response.status_code == 303 and response.location.endswith(page)
    shown = staff_browser.get(page).get_data(as_text=True)
    assert "Read it before closing" in shown and "The wound is leaking now" in shown
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).status == "open"
    assert not db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "message.close")
    ).all()
    # Read now (the page above): closing goes through.
    assert staff_browser.post(f"{page}/close", page=page).status_code == 303
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).status == "closed"


def test_closed_conversations_are_listed_by_their_latest_message(
    app, make_journey, make_patient, coordinator
):
    now = datetime(2026, 12, 9, 3, tzinfo=UTC)
    for name, hours_ago in (("Early", 50), ("Late", 2), ("Middle", 20)):
        journey = make_journey(make_patient(given_name=name, mrn=f"C-{name}"))
        services.send_from_patient(journey, "hello", [], now=now - timedelta(hours=hours_ago))
        db.session.flush()
        conversation = services.open_conversation(journey)
        conversation.staff_unread = 0
        services.close(conversation, actor=coordinator, now=now)
    order = [c.patient.given_name for c in services.inbox(status="closed")]
    assert order == ["Late", "Middle", "Early"]
    assert services.inbox() == []


def test_the_inbox_puts_unread_first_then_the_longest_waiting(app, make_journey, make_patient):
    now = datetime(2026, 12, 9, 3, tzinfo=UTC)  # a Wednesday, 10:00 in Jakarta
    old = make_journey(make_patient(given_name="Old", mrn="O-1"))
    new = make_journey(make_patient(given_name="New", mrn="N-1"))
    read = make_journey(make_patient(given_name="Read", mrn="R-1"))
    services.send_from_patient(read, "first", [], now=now - timedelta(days=3))
    services.send_from_patient(old, "hello", [], now=now - timedelta(hours=30))
    services.send_from_patient(new, "hi", [], now=now - timedelta(hours=1))
    db.session.flush()
    services.open_conversation(read).staff_unread = 0
    order = [c.patient.given_name for c in services.inbox()]
    assert order == ["Old", "New", "Read"]
    waiting, total = services.waiting_too_long(now)
    assert [c.patient.given_name for c in waiting] == ["Read", "Old"] and total == 2


def test_a_working_day_skips_the_weekend(app):
    monday = datetime(2026, 12, 7, 3, tzinfo=UTC)  # Monday 10:00 Jakarta
    assert services.working_day_before(monday) == datetime(2026, 12, 4, 3, tzinfo=UTC)
    wednesday = datetime(2026, 12, 9, 3, tzinfo=UTC)
    assert services.working_day_before(wednesday) == wednesday - timedelta(days=1)


def test_the_dashboard_names_patients_waiting_over_a_working_day(clock, recovering, staff_browser):
    journey = recovering(given_name="Waiting", mrn="W-9")
    services.send_from_patient(journey, "hello?", [], now=utcnow() - timedelta(days=5))
    db.session.commit()
    page = staff_browser.get("/").get_data(as_text=True)
    assert "Messages waiting over a working day" in page
    assert "Waiting" in page


def test_staff_mark_a_photo_reviewed(recovering, invite, phone, staff_browser):
    _patient_writes(recovering, invite, phone)
    photo = db.session.scalar(sa.select(MessagePhoto))
    conversation = db.session.scalar(sa.select(Conversation))
    response = staff_browser.post(
        f"/messages/photos/{photo.id}/review",
        {"review": "needs_visit"},
        page=f"/messages/{conversation.id}",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(MessagePhoto, photo.id).review == "needs_visit"
    page = staff_browser.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert "Reviewed: needs a visit" in page
    journey_page = staff_browser.get(f"/journeys/{conversation.journey_id}").get_data(as_text=True)
    assert f"/messages/photos/{photo.id}/thumb" in journey_page


def test_messages_are_never_edited_or_deleted_through_any_route(app):
    for rule in app.url_map.iter_rules():
        if "messages" in rule.rule:
            assert not rule.methods & {"PUT", "PATCH", "DELETE"}, rule.rule


def test_the_conversation_page_in_indonesian(app, recovering, invite, phone, make_user):
    _patient_writes(recovering, invite, phone, language="en")
    conversation = db.session.scalar(sa.select(Conversation))
    staff = Browser(app.test_client())
    staff.sign_in(make_user("coordinator", language="id"))
    page = staff.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert "— tidak ada —" in page and "Tidak ada (siapa saja boleh menjawab)" in page
    assert "Luka tampak sesuai harapan (Bahasa Inggris)" in page
    for english in ("— none —", "Nobody (anyone answers)", "Wound looks as expected"):
        assert english not in page, english


def test_the_first_message_of_a_conversation_is_audited_with_its_conversation(
    app, make_journey, make_patient
):
    journey = make_journey(make_patient(given_name="First", mrn="F-1"))
    assert journey.patient.full_name  # loaded: nothing on the way flushes the new conversation
    now = utcnow()
    first = services.send_from_patient(journey, "hello", [], now=now)
    second = services.send_from_patient(journey, "again", [], now=now + timedelta(minutes=1))
    db.session.flush()
    sends = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "message.send").order_by(AuditEvent.id)
    ).all()
    assert [e.details["conversation"] for e in sends] == [
        first.conversation_id,
        second.conversation_id,
    ]
    assert first.conversation_id is not None
