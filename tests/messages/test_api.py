"""GET and POST /api/v1/journeys/{id}/messages: the fixed shape."""

import sqlalchemy as sa

from tests.messages.conftest import jpeg_with_gps, send
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.reminders.models import Reminder


def test_messages_newest_last_with_author_read_state_and_fetchable_attachments(
    client, recovering, invite, phone, api_headers
):
    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    send(portal, "Is this normal?", ("w.jpg", jpeg_with_gps((400, 300))))
    url = f"/api/v1/journeys/{journey.id}/messages"
    posted = client.post(url, json={"body": "Yes, it looks fine."}, headers=api_headers())
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["author_kind"] == "staff"
    assert db.session.scalar(sa.select(Reminder).where(Reminder.message_key == "new_message"))

    response = client.get(url, headers=api_headers())
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [m["body"] for m in items] == ["Is this normal?", "Yes, it looks fine."]
    first, last = items
    assert first["author_kind"] == "patient" and first["author_name"] == journey.patient.full_name
    assert last["author_kind"] == "staff"
    assert first["read"] is False and last["read"] is False
    assert first["sent_at"].endswith("Z")
    (attachment,) = first["attachments"]
    assert attachment["content_type"] == "image/jpeg"
    photo = client.get(attachment["url"], headers=api_headers())
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "message.list"))


def test_the_api_refuses_an_empty_body_and_unknown_journeys(client, recovering, api_headers):
    journey = recovering()
    url = f"/api/v1/journeys/{journey.id}/messages"
    assert client.post(url, json={"body": "  "}, headers=api_headers()).status_code == 422
    assert client.post(url, json={}, headers=api_headers()).status_code == 422
    assert client.get("/api/v1/journeys/999999/messages", headers=api_headers()).status_code == 404
    assert client.get(url).status_code == 401


def test_the_list_costs_the_same_statements_however_many_messages(
    client, recovering, invite, phone, api_headers, count_queries
):
    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    url = f"/api/v1/journeys/{journey.id}/messages"
    headers = api_headers()

    def statements() -> int:
        client.get(url, headers=headers)
        db.session.remove()
        with count_queries() as seen:
            response = client.get(url, headers=headers)
        assert response.status_code == 200
        return len(seen)

    send(portal, "first", ("w.jpg", jpeg_with_gps((400, 300))))
    one = statements()
    for n in range(4):
        send(portal, f"more {n}", ("w.jpg", jpeg_with_gps((400, 300))))
    assert statements() == one
    db.session.expire_all()
    assert len(client.get(url, headers=headers).get_json()["items"]) == 5
    reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "message.list"))
    assert len(reads.all()) == 5  # every read is on record, committed after the answer
