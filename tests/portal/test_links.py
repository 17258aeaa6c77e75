"""Personal links that reach the patient: made when the message leaves, stored only hashed.

A real SMS gateway stand-in (an HTTP server) and a real SMTP server (aiosmtpd) receive what the
dispatcher sends; the link in the message is then opened as the patient's phone would.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.portal.conftest import csrf_from
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import links, services
from tracker.portal.models import PortalInvitation, PortalLink
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.models import Reminder

BASE = "http://portal.clinic.test:5123"
LINK = re.compile(r"http://portal\.clinic\.test:5123/portal/i/([A-Za-z0-9_-]{40,})")


@pytest.fixture
def gateway(app, sms_gateway):
    app.config.update(SMS_GATEWAY_URL=sms_gateway.url, PORTAL_BASE_URL=BASE)
    return sms_gateway


def quiet(journey) -> None:
    """Cancel the journey's planned reminders: each test sends only the messages it is about."""
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.journey_id == journey.id, Reminder.status == "pending")
        .values(status="cancelled", cancel_code="staff", status_reason="not part of the test")
    )
    db.session.commit()


def every_text_value() -> str:
    """Every value of every row of every table, as text: where a token must never be."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


def token_in(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def test_api_invites_by_sms_and_the_link_in_the_sms_signs_the_patient_in(
    app, client, api_headers, gateway, recovering, phone, caplog
):
    journey = recovering(phone="+6281299990001", consent_email=False)
    quiet(journey)
    response = client.post(
        f"/api/v1/journeys/{journey.id}/portal/invitations",
        json={"send_by": ["sms"]},
        headers=api_headers(),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["queued"] == ["sms"] and "link" not in body
    invitation = db.session.get(PortalInvitation, body["id"])
    assert body["expires_at"] == invitation.expires_at.isoformat().replace("+00:00", "Z")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PortalLink)) == 0  # not yet

    queued = db.session.scalar(sa.select(Reminder).where(Reminder.rule_key == "portal_link"))
    result = dispatch_due(now=max(utcnow(), queued.due_at))  # after quiet hours, if it is night
    assert result.sent == 1
    [sms] = gateway.received
    assert sms["to"] == "+6281299990001"
    token = token_in(sms["text"])
    # The token left in the SMS only: no table, no log line holds it.
    assert token not in every_text_value()
    assert token not in caplog.text
    db.session.expire_all()
    row = db.session.scalar(sa.select(Reminder).where(Reminder.message_key == "portal_invitation"))
    assert "[personal link]" in row.body and row.status == "sent"

    patient = phone()
    landing = patient.get(f"/portal/i/{token}")
    assert landing.status_code == 200
    patient.open(token)
    home = patient.get("/portal/")
    assert home.status_code == 200
    assert f"Hello, {journey.patient.given_name}" in home.get_data(as_text=True)
    link = db.session.scalar(sa.select(PortalLink))
    assert (link.via, link.reminder_id, link.last_used_at is not None) == ("sms", row.id, True)


def test_show_link_returns_the_link_once_and_bad_channels_are_named(
    client, api_headers, recovering
):
    journey = recovering(email=None, consent_email=False, consent_sms=False)
    url = f"/api/v1/journeys/{journey.id}/portal/invitations"
    refused = client.post(url, json={"send_by": ["sms", "email"]}, headers=api_headers())
    assert refused.status_code == 422
    messages = refused.get_json()["errors"]["json"]["send_by"]
    assert "The patient has not agreed to SMS messages." in messages
    assert "The patient has no email address on file." in messages
    assert client.post(url, json={}, headers=api_headers()).status_code == 422
    wrong = client.post(url, json={"send_by": ["fax"]}, headers=api_headers())
    assert wrong.status_code == 422 and "send_by" in wrong.get_json()["errors"]["json"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PortalInvitation)) == 0

    shown = client.post(url, json={"show_link": True}, headers=api_headers())
    assert shown.status_code == 201
    token = shown.get_json()["link"].rsplit("/", 1)[1]
    assert services.find_invitation(token, now=utcnow()) is not None
    assert token not in every_text_value()


def test_every_message_with_a_portal_link_gets_a_fresh_working_one(
    app, gateway, smtp_server, recovering, invite
):
    """The contract other features rely on: {portal_link} in any patient message's text."""
    app.config.update(smtp_server.config())
    journey = recovering(days_ago=1)
    invite(journey)
    rows = []
    for key in ("pain_checkin", "outcome_check_3m"):  # two different messages with {portal_link}
        rows.append(
            db.session.scalar(
                sa.select(Reminder)
                .where(Reminder.journey_id == journey.id, Reminder.rule_key == key)
                .order_by(Reminder.due_at)
                .limit(1)
            )
        )
    quiet(journey)
    for row in rows:
        row.status, row.cancel_code, row.status_reason = "pending", None, None
        row.due_at = row.next_attempt_at = utcnow() - timedelta(minutes=1)
        row.expires_at = None
    db.session.commit()
    dispatch_due()
    texts = [m["text"] for m in gateway.received] + [m.text() for m in smtp_server.messages]
    assert len(texts) == 2  # by SMS (preferred) and, for the email-only rule, by email
    tokens = [token_in(text) for text in texts]
    assert len(tokens) == 2 and len(set(tokens)) == 2
    for token in tokens:
        assert services.find_invitation(token, now=utcnow()) is not None
        assert token not in every_text_value()
    stored = db.session.scalars(sa.select(Reminder.body).where(Reminder.status == "sent")).all()
    assert all("[personal link]" in body for body in stored if "portal" in body.lower())


def test_a_message_without_any_invitation_creates_access_but_not_after_a_withdrawal(
    gateway, recovering, coordinator
):
    journey = recovering(days_ago=1)
    row = db.session.scalar(
        sa.select(Reminder)
        .where(Reminder.journey_id == journey.id, Reminder.rule_key == "pain_checkin")
        .order_by(Reminder.due_at)
        .limit(1)
    )
    now = utcnow()
    assert links.link_for_message(row, now=now) is not None
    invitation = services.active_invitation(journey, now=now)
    assert invitation is not None and invitation.created_by_id is None  # made by the system
    services.revoke_invitations(journey, actor=coordinator, now=now)
    assert links.link_for_message(row, now=now) is None
    db.session.commit()

    # At send time: the check-in reminder is skipped, with the reason shown in the outbox.
    row.due_at = row.next_attempt_at = now - timedelta(minutes=1)
    row.expires_at = None
    db.session.commit()
    dispatch_due(now=now)
    db.session.refresh(row)
    assert row.status == "skipped" and "withdrawn" in row.status_reason
    assert gateway.received == []


def test_withdrawing_ends_every_link_and_session_and_cancels_waiting_links(
    recovering, invite, phone, coordinator
):
    journey = recovering()
    first, second = phone(), phone()
    first.open(invite(journey))
    invited = links.invite(
        journey, send_by=["sms"], show_link=True, actor=coordinator, now=utcnow()
    )
    db.session.commit()
    assert first.get("/portal/").status_code == 401  # a new link ended the old one's session
    second.open(invited.token)
    assert second.get("/portal/").status_code == 200
    services.revoke_invitations(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    assert second.get("/portal/").status_code == 401
    [waiting] = invited.messages
    db.session.refresh(waiting)
    assert waiting.status == "cancelled"  # the SMS with the link never leaves


def test_staff_invite_page_confirms_before_ending_the_working_link(
    recovering, coordinator, client, invite
):
    from tests.web.conftest import Browser

    journey = recovering(email=None, consent_email=False)
    staff = Browser(client)
    staff.sign_in(coordinator)
    url = f"/journeys/{journey.id}/portal/invite"
    first = staff.get(url).get_data(as_text=True)
    assert "Invite to the portal" in first and "The patient has no email address on file." in first
    [sms_box] = re.findall(r'<input[^>]*id="send_sms"[^>]*>', first)
    assert "checked" in sms_box  # the patient's preferred channel is chosen already
    invite(journey)
    again = staff.get(url).get_data(as_text=True)
    assert "The link the patient has now stops working" in again
    assert "End the current link and send a new one" in again
    nothing = staff.post(url, {}, page=url)
    assert nothing.status_code == 422
    assert "Choose how the link reaches the patient" in nothing.get_data(as_text=True)
    sent = staff.post(url, {"send_sms": "y"}, page=url)
    assert sent.status_code == 303
    shown = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "The personal link goes by SMS to" in shown
    assert "/portal/i/" not in shown


# ---- "send me my link" -------------------------------------------------------------------------


def ask(client, birth_date: str, contact: str):
    page = client.get("/portal/").get_data(as_text=True)
    return client.post(
        "/portal/send-link",
        data={"csrf_token": csrf_from(page), "birth_date": birth_date, "contact": contact},
    )


def test_send_link_answers_alike_for_a_match_and_a_miss(app, gateway, recovering, phone):
    app.config["PORTAL_LINK_REQUEST_SECONDS"] = 0.3
    journey = recovering(phone="+6281377776666")
    quiet(journey)
    born = journey.patient.birth_date.isoformat()
    answers = []
    for contact in ("0813 7777 6666", "0813 0000 0000", "someone@example.com"):
        client = phone().client
        started = utcnow()
        response = ask(client, born, contact)
        took = (utcnow() - started).total_seconds()
        assert response.status_code == 303 and response.headers["Location"] == "/portal/link-sent"
        answers.append(client.get("/portal/link-sent").get_data(as_text=True).split("<main")[1])
        assert took >= 0.3
    assert len({a.split("</main>")[0] for a in answers}) == 1
    assert journey.patient.phone not in answers[0]
    dispatch_due()
    [sms] = gateway.received  # only the match got a message, to the number on file
    assert sms["to"] == "+6281377776666"
    token = token_in(sms["text"])
    patient = phone()
    patient.open(token)
    assert patient.get("/portal/").status_code == 200


def test_send_link_checks_the_form_and_is_limited_per_patient(app, recovering, phone):
    journey = recovering()
    client = phone().client
    bad = ask(client, "17/05/1970", "12")
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "year-month-day" in text and "at least 8 digits" in text
    born = journey.patient.birth_date.isoformat()
    for _ in range(5):
        assert ask(phone().client, born, journey.patient.email).status_code == 303
    requests = db.session.scalars(
        sa.select(Reminder).where(Reminder.message_key == "portal_link_request")
    ).all()
    assert len(requests) == app.config["PORTAL_LINK_REQUESTS_PER_DAY"] == 3
    assert {r.channel for r in requests} == {"email"}


def test_send_link_is_rate_limited_per_address(app, database_url, recovering):
    from tracker import create_app

    born = recovering().patient.birth_date.isoformat()
    limited = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "PORTAL_LINK_REQUEST_RATE_LIMIT": "2 per 15 minutes",
            "PORTAL_LINK_REQUEST_SECONDS": 0,
        }
    )
    with limited.app_context():
        client = limited.test_client()
        statuses = [ask(client, born, "nobody@example.com").status_code for _ in range(3)]
        assert statuses == [303, 303, 429]
        db.session.remove()
        db.engine.dispose()


def test_the_discharge_sheet_leads_to_the_send_link_form(app, client):
    from tracker.discharge.content import portal_url

    app.config["PORTAL_BASE_URL"] = BASE
    with app.test_request_context():
        assert portal_url() == f"{BASE}/portal/"
    page = client.get("/portal/").get_data(as_text=True)
    assert 'action="/portal/send-link"' in page and "Send me my link" in page


def test_the_server_log_never_holds_a_link_token(app):
    import logging

    from tracker.portal.access_log import RedactPortalSecrets

    token = "Zx9_" + "a" * 39
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - [%s] "%s" %s -',
        ("127.0.0.1", "02/Dec/2026 10:00:00", f"GET /portal/i/{token} HTTP/1.1", "200"),
        None,
    )
    assert RedactPortalSecrets().filter(record)
    assert token not in record.getMessage() and "/portal/i/[redacted]" in record.getMessage()
    feed = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        "%(r)s",
        ({"r": f"GET /portal/feed/{'f' * 64}.ics"},),
        None,
    )
    RedactPortalSecrets().filter(feed)
    assert "f" * 64 not in feed.getMessage()
    assert any(isinstance(f, RedactPortalSecrets) for f in logging.getLogger("werkzeug").filters)
