"""A red flag reaches a person: the on-duty phone and inbox at once, escalation when nobody
acknowledges, who was told on every alert view. Real SMS gateway stand-in and SMTP server."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.portal.conftest import Portal
from tests.web.conftest import Browser
from tracker.clock import utcnow
from tracker.db import db
from tracker.on_duty import services as on_duty
from tracker.on_duty.models import OnDutyContact
from tracker.portal import alerts
from tracker.portal.models import Alert
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.models import Reminder

DUTY_PHONE = "+6281100000001"
DUTY_EMAIL = "duty@clinic.test"
BOSS_PHONE = "+6281100000009"


@pytest.fixture
def wired(app, sms_gateway, smtp_server):
    app.config.update(
        smtp_server.config(),
        SMS_GATEWAY_URL=sms_gateway.url,
        ON_DUTY_CONTACTS=f"{DUTY_PHONE}, {DUTY_EMAIL}",
        ESCALATION_CONTACTS=BOSS_PHONE,
        ALERT_ESCALATE_MINUTES=15,
        PORTAL_BASE_URL="http://tracker.clinic.test:5123",
    )
    return sms_gateway, smtp_server


@pytest.fixture
def red_flag(recovering, invite, app):
    """A patient at home checks in with the saddle-numbness flag; returns the journey."""

    def make():
        journey = recovering()
        db.session.execute(  # only the alert's messages are sent in these tests
            sa.update(Reminder)
            .where(Reminder.journey_id == journey.id)
            .values(status="cancelled", cancel_code="staff", status_reason="not in the test")
        )
        db.session.commit()
        patient = Portal(app)
        patient.open(invite(journey))
        response = patient.check_in(flag_saddle="y", note="numb when wiping, cannot pee")
        assert response.status_code == 303
        return journey

    return make


def test_a_red_flag_reaches_the_on_duty_phone_and_inbox_in_one_dispatcher_run(wired, red_flag):
    gateway, smtp = wired
    journey = red_flag()
    alert = db.session.scalar(sa.select(Alert))
    assert alert.severity == "urgent"
    result = dispatch_due()
    assert result.sent == 2
    [sms] = gateway.received
    assert sms["to"] == DUTY_PHONE
    [mail] = smtp.messages
    assert mail.recipients == [DUTY_EMAIL]
    mrn = journey.patient.mrn
    for text in (sms["text"], mail.text(), mail.message["Subject"]):
        assert mrn in text
        for detail in ("saddle", "numb", "wiping", "pee", journey.patient.family_name):
            assert detail not in text  # the MRN, the kind and a link; never the symptoms
    assert "red flag" in sms["text"]
    assert f"http://tracker.clinic.test:5123/journeys/{journey.id}" in sms["text"]
    told = on_duty.told([alert.id])[alert.id]
    assert {(r.channel, r.recipient, r.status) for r in told} == {
        ("sms", DUTY_PHONE, "sent"),
        ("email", DUTY_EMAIL, "sent"),
    }


def test_unacknowledged_it_escalates_once_in_the_dispatcher_run(wired, red_flag):
    gateway, _smtp = wired
    journey = red_flag()
    dispatch_due()
    alert = db.session.scalar(sa.select(Alert))

    dispatch_due(now=alert.created_at + timedelta(minutes=14))
    assert [m["to"] for m in gateway.received] == [DUTY_PHONE]  # not yet

    later = alert.created_at + timedelta(minutes=16)
    dispatch_due(now=later)
    dispatch_due(now=later + timedelta(minutes=5))  # and only once
    escalated = [m for m in gateway.received if m["to"] == BOSS_PHONE]
    assert len(escalated) == 1
    assert (
        escalated[0]["text"].startswith("ESCALATED") and journey.patient.mrn in escalated[0]["text"]
    )
    assert "saddle" not in escalated[0]["text"]
    db.session.expire_all()
    assert alert.escalated_at == later
    told = on_duty.told([alert.id])[alert.id]
    assert [r.message_key for r in told].count("patient_alert_escalation") == 1


def test_an_acknowledged_alert_is_not_escalated(wired, red_flag, coordinator):
    gateway, _smtp = wired
    red_flag()
    dispatch_due()
    alert = db.session.scalar(sa.select(Alert))
    alerts.acknowledge(alert, actor=coordinator, now=utcnow())
    db.session.commit()
    dispatch_due(now=alert.created_at + timedelta(minutes=30))
    assert [m["to"] for m in gateway.received] == [DUTY_PHONE]
    db.session.refresh(alert)
    assert alert.escalated_at is None


def test_with_nobody_to_escalate_to_the_on_duty_staff_are_told_again(wired, red_flag, app):
    gateway, _smtp = wired
    app.config["ESCALATION_CONTACTS"] = ""
    red_flag()
    dispatch_due()
    alert = db.session.scalar(sa.select(Alert))
    dispatch_due(now=alert.created_at + timedelta(minutes=16))
    texts = [m["text"] for m in gateway.received if m["to"] == DUTY_PHONE]
    assert len(texts) == 2 and texts[1].startswith("ESCALATED")


def test_the_page_list_replaces_the_default_and_admins_keep_it(app, client, make_user):
    app.config.update(ON_DUTY_CONTACTS=f"{DUTY_PHONE}, not-an-address")
    admin = make_user("admin")
    staff = Browser(client)
    staff.sign_in(admin)
    page = staff.get("/on-duty").get_data(as_text=True)
    assert DUTY_PHONE in page and "ON_DUTY_CONTACTS" in page and "not-an-address" in page
    bad = staff.post(
        "/on-duty", {"tier": "on_duty", "name": "", "address": "0812"}, page="/on-duty"
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "international form" in text and "Say who this reaches" in text
    good = staff.post(
        "/on-duty",
        {"tier": "on_duty", "name": "Surgeon on call", "address": "+62 811 0000 0002"},
        page="/on-duty",
    )
    assert good.status_code == 303
    assert [(c.channel, c.address) for c in on_duty.contacts("on_duty")] == [
        ("sms", "+6281100000002")
    ]
    contact = db.session.scalar(sa.select(OnDutyContact))
    staff.post(f"/on-duty/{contact.id}/remove", page="/on-duty")
    db.session.refresh(contact)
    assert contact.active is False and contact.removed_by_id == admin.id  # kept, not deleted
    assert [c.address for c in on_duty.contacts("on_duty")] == [DUTY_PHONE]


def test_coordinators_see_who_is_on_duty_but_only_admins_change_it(client, coordinator):
    staff = Browser(client)
    staff.sign_in(coordinator)
    page = staff.get("/on-duty")
    assert page.status_code == 200 and "Add a contact" not in page.get_data(as_text=True)
    token = staff.token("/on-duty")
    refused = client.post(
        "/on-duty",
        data={"csrf_token": token, "tier": "on_duty", "name": "x", "address": DUTY_EMAIL},
    )
    assert refused.status_code == 403


def test_dashboard_names_the_patient_and_the_journey_shows_a_banner(
    wired, red_flag, client, coordinator
):
    journey = red_flag()
    dispatch_due()
    staff = Browser(client)
    staff.sign_in(coordinator)
    dashboard = staff.get("/").get_data(as_text=True)
    assert journey.patient.full_name in dashboard.split('id="patient-alerts-h"')[1]
    page = staff.get(f"/journeys/{journey.id}").get_data(as_text=True)
    banner = page.split('class="alert-banner', 1)[1].split("</section>", 1)[0]
    assert "Urgent" in banner and "saddle" in banner
    assert f"SMS to {DUTY_PHONE}" in banner and "sent" in banner
    assert page.index('class="alert-banner') < page.index('id="summary-heading"')
    # Acknowledging from the banner comes back to the journey.
    alert = db.session.scalar(sa.select(Alert))
    back = staff.post(
        f"/alerts/{alert.id}/acknowledge",
        {"next": f"/journeys/{journey.id}"},
        page=f"/journeys/{journey.id}",
    )
    assert back.status_code == 303 and back.headers["Location"] == f"/journeys/{journey.id}"
    queue = staff.get("/alerts").get_data(as_text=True)
    assert f"Email to {DUTY_EMAIL}" in queue


def test_each_contact_is_told_in_its_own_language(wired, red_flag, client, make_user):
    gateway, smtp = wired
    staff = Browser(client)
    staff.sign_in(make_user("admin"))
    form = staff.get("/on-duty").get_data(as_text=True)
    assert "Language of the messages" in form
    for name, address, language in (
        ("Perawat jaga", "+6281100000003", "id"),
        ("Surgeon on call", DUTY_EMAIL, "en"),
    ):
        added = staff.post(
            "/on-duty",
            {"tier": "on_duty", "name": name, "address": address, "language": language},
            page="/on-duty",
        )
        assert added.status_code == 303
    assert "Indonesian" in staff.get("/on-duty").get_data(as_text=True)
    refused = staff.post(
        "/on-duty",
        {"tier": "on_duty", "name": "x", "address": "+6281100000004", "language": "fr"},
        page="/on-duty",
    )
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OnDutyContact)) == 2

    journey = red_flag()
    assert dispatch_due().sent == 2
    [sms] = gateway.received
    assert sms["to"] == "+6281100000003"
    assert sms["text"].startswith(f"MENDESAK: pasien {journey.patient.mrn}, tanda bahaya")
    [mail] = smtp.messages
    assert mail.message["Subject"].startswith("URGENT patient alert:")


def test_the_default_contacts_follow_the_clinics_staff_language(wired, red_flag, app):
    app.config.update(STAFF_MESSAGE_LANGUAGE="id")
    red_flag()
    dispatch_due()
    gateway, smtp = wired
    [sms] = gateway.received
    assert sms["text"].startswith("MENDESAK: pasien")
    [mail] = smtp.messages
    assert mail.message["Subject"].startswith("MENDESAK peringatan pasien:")
