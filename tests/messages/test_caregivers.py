"""A caregiver's own portal access: invited, signed in, acting under their own name."""

import re

import sqlalchemy as sa

from tests.messages.conftest import Browser, csrf_from, send
from tracker.clock import utcnow
from tracker.db import db
from tracker.messages.models import Message
from tracker.portal import caregivers, services
from tracker.portal.models import CheckIn, PortalInvitation
from tracker.reminders.models import Reminder
from tracker.reminders.rendering import needs_portal_link, render


def _caregiver(journey, coordinator, **kwargs):
    caregiver, invited = caregivers.invite_caregiver(
        journey,
        caregivers.CaregiverDetails("Citra Wijaya", "daughter", phone="+62 812 0000 1111"),
        send_by=kwargs.get("send_by", []),
        show_link=kwargs.get("show_link", True),
        actor=coordinator,
        now=utcnow(),
    )
    db.session.commit()
    return caregiver, invited


def test_a_caregivers_check_in_and_message_are_marked_as_theirs(
    app, recovering, invite, phone, coordinator
):
    journey = recovering(given_name="Bapak")
    caregiver, invited = _caregiver(journey, coordinator)
    daughter = phone()
    daughter.open(invited.token)
    home = daughter.page("/portal/")
    assert "Citra Wijaya" in home and "caregiver of" in home
    assert daughter.check_in(back_pain="4", leg_pain="2").status_code == 303
    check_in = db.session.scalar(sa.select(CheckIn))
    assert check_in.caregiver_id == caregiver.id and check_in.entered_by == "patient"
    assert send(daughter, "Father's wound is a little red").status_code == 303
    message = db.session.scalar(sa.select(Message))
    assert (message.author_kind, message.author_name) == ("caregiver", "Citra Wijaya")
    assert "entered by Citra Wijaya (caregiver)" in daughter.page("/portal/messages")
    token = csrf_from(daughter.page("/portal/milestones"))
    marked = daughter.client.post(
        "/portal/milestones/desk_work", data={"csrf_token": token, "desk_work-when": "today"}
    )
    assert marked.status_code == 303
    staff = Browser(app.test_client())
    staff.sign_in(coordinator)
    page = staff.get(f"/journeys/{journey.id}").get_data(as_text=True)
    # the check-in, the milestone and the message
    assert page.count("entered by Citra Wijaya (caregiver)") >= 3


def test_patient_and_caregiver_access_are_withdrawn_separately(
    recovering, invite, phone, coordinator
):
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    caregiver, invited = _caregiver(journey, coordinator)
    daughter = phone()
    daughter.open(invited.token)
    # The patient sees who has access.
    access = patient.page("/portal/access")
    assert "Citra Wijaya" in access and "daughter" in access
    services.revoke_invitations(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    assert patient.get("/portal/").status_code == 401
    assert daughter.get("/portal/").status_code == 200
    patient.open(invite(journey))  # invited again: the caregiver's access is untouched
    assert daughter.get("/portal/").status_code == 200
    caregivers.withdraw(caregiver, actor=coordinator, now=utcnow())
    db.session.commit()
    assert daughter.get("/portal/").status_code == 401
    assert patient.get("/portal/").status_code == 200
    assert "Citra Wijaya" not in patient.page("/portal/access")


def test_the_caregivers_link_goes_to_their_own_phone(recovering, coordinator):
    journey = recovering(consent_sms=False, consent_email=False)
    caregiver, invited = _caregiver(journey, coordinator, send_by=["sms"], show_link=False)
    row = db.session.scalar(sa.select(Reminder).where(Reminder.caregiver_id == caregiver.id))
    assert row.channel == "sms" and row.message_key == "caregiver_invitation"
    assert needs_portal_link(row)
    _subject, text, _html = render(row, portal_link="https://p.example/portal/i/x")
    assert "Dear Citra Wijaya" in text and "https://p.example/portal/i/x" in text
    assert invited.invitation.caregiver_id == caregiver.id
    # The patient's own access is not the caregiver's.
    assert services.active_invitation(journey, now=utcnow()) is None


def test_the_api_invites_a_caregiver_and_keeps_the_patient_form(client, recovering, api_headers):
    journey = recovering(consent_sms=True)
    url = f"/api/v1/journeys/{journey.id}/portal/invitations"
    patient = client.post(url, json={"send_by": ["sms"]}, headers=api_headers())
    assert patient.status_code == 201, patient.get_json()
    assert set(patient.get_json()) == {"id", "expires_at", "queued"}
    body = {
        "caregiver": {"name": "Citra", "relationship": "daughter", "email": "citra@example.com"},
        "send_by": ["email"],
    }
    response = client.post(url, json=body, headers=api_headers())
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["queued"] == ["email"] and data["caregiver_id"]
    # Both accesses stand side by side.
    valid = db.session.scalars(
        sa.select(PortalInvitation).where(PortalInvitation.revoked_at.is_(None))
    ).all()
    assert sorted(i.caregiver_id is None for i in valid) == [False, True]
    refused = client.post(
        url,
        json={"caregiver": {"name": "X", "relationship": "son"}, "send_by": ["sms"]},
        headers=api_headers(),
    )
    assert refused.status_code == 422


def test_a_reply_to_a_caregivers_message_tells_the_caregiver_too(recovering, phone, coordinator):
    from tracker.messages import services as messages

    journey = recovering(consent_sms=True)
    caregiver, invited = _caregiver(journey, coordinator)
    daughter = phone()
    daughter.open(invited.token)
    assert send(daughter, "Can he shower?").status_code == 303
    messages.reply(journey, "Yes, from day 3.", actor=coordinator, now=utcnow())
    db.session.commit()
    notices = db.session.scalars(
        sa.select(Reminder).where(Reminder.message_key == "new_message")
    ).all()
    assert sorted((r.caregiver_id or 0) for r in notices) == [0, caregiver.id]
    for row in notices:
        _subject, text, _html = render(row, portal_link="https://p.example/portal/i/x")
        assert "shower" not in text and "day 3" not in text


def test_a_coordinator_invites_a_caregiver_on_the_journey_page(app, recovering, coordinator, phone):
    journey = recovering()
    staff = Browser(app.test_client())
    staff.sign_in(coordinator)
    url = f"/journeys/{journey.id}/portal/caregivers"
    form = {"name": "Dewi", "relationship": "daughter", "phone": "+62 812 5550 1234"}
    response = staff.post(url, {**form, "show_link": "y"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    link = re.search(r"https?://[^\"<\s]+/portal/i/[\w-]+", response.get_data(as_text=True))
    daughter = phone()
    daughter.open(link.group(0).split("/portal/i/")[1])
    page = staff.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Dewi</strong> (daughter)" in page and "Dewi (caregiver)" in page  # and her phone
    refused = staff.post(url, {"name": "X", "relationship": "son", "send_sms": "y"})
    assert refused.status_code == 422


def test_a_caregiver_who_lost_the_link_asks_for_a_new_one(
    app, sms_gateway, recovering, phone, coordinator
):
    from tests.portal.test_links import ask, quiet
    from tracker.reminders.dispatch import dispatch_due

    app.config.update(SMS_GATEWAY_URL=sms_gateway.url, PORTAL_BASE_URL="http://p.example")
    journey = recovering(phone="+6281377776666")
    quiet(journey)
    caregiver, _ = _caregiver(journey, coordinator)
    born = journey.patient.birth_date.isoformat()
    assert ask(phone().client, born, "0812 0000 1111").status_code == 303
    assert dispatch_due().sent == 1
    [sms] = sms_gateway.received  # to the caregiver's own phone, not the patient's
    assert sms["to"] == "+6281200001111" and "Dear Citra Wijaya" in sms["text"]
    daughter = phone()
    daughter.open(re.search(r"/portal/i/([\w-]+)", sms["text"]).group(1))
    assert "caregiver of" in daughter.page("/portal/")
    row = db.session.scalar(sa.select(Reminder).where(Reminder.caregiver_id == caregiver.id))
    assert row.message_key == "caregiver_link_request"

    caregivers.withdraw(caregiver, actor=coordinator, now=utcnow())
    db.session.commit()
    assert ask(phone().client, born, "0812 0000 1111").status_code == 303
    assert dispatch_due().sent == 0  # a withdrawn caregiver gets nothing


def test_a_caregiver_reads_their_own_language(
    app, recovering, coordinator, phone, client, api_headers
):
    journey = recovering(language="en")
    caregiver, invited = caregivers.invite_caregiver(
        journey,
        caregivers.CaregiverDetails(
            "Citra Wijaya", "putri", phone="+62 812 0000 1111", language="id"
        ),
        send_by=["sms"],
        show_link=True,
        actor=coordinator,
        now=utcnow(),
    )
    db.session.commit()
    row = db.session.scalar(sa.select(Reminder).where(Reminder.caregiver_id == caregiver.id))
    _subject, text, _html = render(row, portal_link="https://p.example/portal/i/x")
    assert text.startswith("Yth. Citra Wijaya")
    daughter = phone()
    daughter.open(invited.token)
    assert '<html lang="id"' in daughter.page("/portal/")

    with_patients = caregivers.invite_caregiver(
        journey,
        caregivers.CaregiverDetails("Budi", "son", email="budi@example.com"),
        send_by=["email"],
        actor=coordinator,
        now=utcnow(),
    )[0]
    db.session.commit()
    row = db.session.scalar(sa.select(Reminder).where(Reminder.caregiver_id == with_patients.id))
    assert render(row, portal_link="https://p.example/portal/i/y")[1].startswith("Dear Budi")

    url = f"/api/v1/journeys/{journey.id}/portal/invitations"
    body = {"caregiver": {"name": "X", "relationship": "son", "email": "x@example.com"}}
    refused = client.post(
        url,
        json={**body, "caregiver": {**body["caregiver"], "language": "fr"}, "send_by": ["email"]},
        headers=api_headers(),
    )
    assert refused.status_code == 422
    accepted = client.post(
        url,
        json={**body, "caregiver": {**body["caregiver"], "language": "id"}, "send_by": ["email"]},
        headers=api_headers(),
    )
    assert accepted.status_code == 201
    made = db.session.get(type(caregiver), accepted.get_json()["caregiver_id"])
    assert made.language == "id"
