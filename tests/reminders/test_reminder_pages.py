"""The outbox page, the journey's reminder list, staff actions, the STOP webhook and the API."""

from datetime import UTC, datetime

import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.patients.models import Patient
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.models import Reminder

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def first(**where) -> Reminder:
    query = sa.select(Reminder)
    for name, value in where.items():
        query = query.where(getattr(Reminder, name) == value)
    db.session.expire_all()
    return db.session.scalars(query.order_by(Reminder.id)).first()


def fail(reminder: Reminder, error: str = "550 mailbox unavailable") -> None:
    reminder.status, reminder.last_error = "failed", error
    db.session.commit()


def test_outbox_lists_failures_first_and_filters(staff, make_journey):
    journey = make_journey()
    dispatch_due(now=NOW)
    broken = first(journey_id=journey.id, rule_key="pain_checkin", occurrence=5, channel="sms")
    fail(broken)

    page = staff.client.get("/outbox/").get_data(as_text=True)
    assert page.index("550 mailbox unavailable") < page.index("Booking confirmation")
    assert "Your spine surgery at Demo Spine Clinic" in page  # the sent text, readable here

    failed_only = staff.client.get("/outbox/?status=failed").get_data(as_text=True)
    assert f'id="reminder-{broken.id}"' in failed_only
    assert "Booking confirmation" not in failed_only
    sms_only = staff.client.get("/outbox/?channel=sms&status=sent").get_data(as_text=True)
    assert sms_only.count('id="reminder-') == 1
    email_only = staff.client.get("/outbox/?channel=email&status=sent").get_data(as_text=True)
    assert email_only.count('id="reminder-') == 0  # the confirmation went by SMS only
    nobody = staff.client.get("/outbox/?q=nobody-by-this-name").get_data(as_text=True)
    assert "No reminders match." in nobody


def test_outbox_search_finds_a_patient_by_any_part_of_the_name_or_mrn(
    staff, make_journey, make_patient
):
    siti = make_journey(make_patient(given_name="Siti", family_name="Rahayu", mrn="RM-0042"))
    make_journey(make_patient(given_name="Budi", family_name="Santoso", mrn="RM-0043"))

    def patients_shown(q: str) -> set[str]:
        page = staff.client.get("/outbox/", query_string={"q": q}).get_data(as_text=True)
        return {name for name in ("Siti", "Budi") if name in page}

    assert patients_shown("rahayu") == {"Siti"}
    assert patients_shown("SITI rah") == {"Siti"}  # every word, any case
    assert patients_shown("m-004") == {"Siti", "Budi"}
    assert patients_shown("siti santoso") == set()
    assert patients_shown("%") == set()  # a percent sign is a character, not a wildcard
    assert siti.patient.full_name in staff.client.get("/outbox/?q=0042").get_data(as_text=True)


def test_outbox_needs_a_clinical_sign_in(client, make_user):
    response = client.get("/outbox/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_journey_page_lists_its_reminders_in_the_patients_time(staff, make_journey, make_patient):
    journey = make_journey(make_patient(timezone="Europe/Berlin"))
    page = staff.client.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert 'id="reminders-heading"' in page
    # 18:00 Berlin time on 9 December (17:00 UTC), not the clinic's Jakarta time.
    assert "Wed 09 Dec 2026, 18:00 CET" in page
    assert "Evening before" in page


def test_dashboard_counts_failed_and_unclear_reminders(staff, make_journey):
    journey = make_journey()
    fail(first(journey_id=journey.id, rule_key="outcome_check_3m"))
    row = first(journey_id=journey.id, rule_key="evening_before")
    row.status = "needs_check"
    db.session.commit()
    page = staff.client.get("/").get_data(as_text=True)
    assert "Reminders needing attention" in page
    assert "1 failed" in page and "1 to check" in page


def test_resend_and_cancel_are_staff_actions_with_an_audit_trail(staff, make_journey, coordinator):
    journey = make_journey()
    broken = first(journey_id=journey.id, rule_key="outcome_check_3m")
    fail(broken)
    page = f"/journeys/{journey.id}"
    response = staff.post(f"/outbox/{broken.id}/resend", {"next": f"{page}#reminders"}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith("#reminders")
    again = first(id=broken.id)
    assert (again.status, again.last_error) == ("pending", None)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reminder.resend"))
    assert event.actor_id == coordinator.id and event.object_id == broken.id

    # Cancelling needs a reason; without one nothing changes.
    target = first(journey_id=journey.id, rule_key="evening_before")
    staff.post(f"/outbox/{target.id}/cancel", {"reason": "  "}, page="/outbox/")
    assert first(id=target.id).status == "pending"
    staff.post(f"/outbox/{target.id}/cancel", {"reason": "Told by phone"}, page="/outbox/")
    cancelled = first(id=target.id)
    assert (cancelled.status, cancelled.status_reason) == ("cancelled", "Told by phone")
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reminder.cancel"))
    # A sent reminder cannot be cancelled any more.
    staff.post(f"/outbox/{target.id}/cancel", {"reason": "again"}, page="/outbox/")
    assert first(id=target.id).status_reason == "Told by phone"


def test_staff_actions_refuse_a_missing_csrf_token(staff, make_journey):
    journey = make_journey()
    target = first(journey_id=journey.id, rule_key="evening_before")
    response = staff.client.post(f"/outbox/{target.id}/cancel", data={"reason": "x"})
    assert response.status_code == 400
    assert first(id=target.id).status == "pending"


def test_stop_reply_withdraws_sms_consent_and_cancels_pending_sms(app, client, make_journey, clock):
    # The STOP endpoint replans with the real clock: set it to the journey's NOW.
    app.config["SMS_STOP_TOKEN"] = "stop-secret"
    journey = make_journey()
    body = {"from": "+62 812-3456-7890", "text": "stop please"}
    assert client.post("/outbox/sms/stop", json=body).status_code == 401
    assert (
        client.post(
            "/outbox/sms/stop", json=body, headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )
    response = client.post(
        "/outbox/sms/stop", json=body, headers={"Authorization": "Bearer stop-secret"}
    )
    assert response.status_code == 200 and response.get_json() == {"withdrawn": 1}
    patient = db.session.get(Patient, journey.patient_id)
    db.session.refresh(patient)
    assert patient.consent_sms is False
    sms = db.session.scalars(
        sa.select(Reminder).where(Reminder.journey_id == journey.id, Reminder.channel == "sms")
    ).all()
    assert {r.status for r in sms} == {"cancelled"}
    email = first(journey_id=journey.id, channel="email", rule_key="evening_before")
    assert email.status == "pending"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "patient.sms_stop"))
    # Any other reply changes nothing.
    again = client.post(
        "/outbox/sms/stop",
        json={"from": "+6281234567890", "text": "thanks"},
        headers={"X-Stop-Token": "stop-secret"},
    )
    assert again.get_json() == {"withdrawn": 0}


def test_stop_endpoint_is_off_without_a_token(client):
    assert client.post("/outbox/sms/stop", json={"from": "+1", "text": "STOP"}).status_code == 404


def test_api_lists_a_journeys_reminders(client, api_headers, make_journey, make_patient):
    journey = make_journey(make_patient(timezone="America/New_York"))
    response = client.get(f"/api/v1/journeys/{journey.id}/reminders", headers=api_headers())
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) == 29  # 22, and 7 questionnaire messages
    evening = next(i for i in items if i["rule"] == "evening_before" and i["channel"] == "sms")
    # Surgery is 20:30 on 9 December in New York: the evening before is 8 December, 18:00.
    assert evening["due_at"] == "2026-12-08T23:00:00Z"
    assert evening["local_due"] == "2026-12-08T18:00:00-05:00"
    assert evening["status"] == "pending" and evening["expires_at"] == "2026-12-10T01:30:00Z"
    assert client.get(f"/api/v1/journeys/{journey.id}/reminders").status_code == 401
    missing = client.get("/api/v1/journeys/999999/reminders", headers=api_headers())
    assert missing.status_code == 404
