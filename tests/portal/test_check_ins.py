import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.portal import services
from tracker.portal.models import Alert, CheckIn
from tracker.reminders.models import Reminder


def values(**overrides) -> services.CheckInValues:
    base = {
        "back_pain": 3,
        "leg_pain": 2,
        "took_pain_medicine": False,
        "idempotency_key": uuid.uuid4().hex,
    }
    base.update(overrides)
    return services.CheckInValues(**base)


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn))


@pytest.mark.parametrize("bad", [-1, 11, 7.5, "7", True, None])
def test_scores_must_be_whole_numbers_from_0_to_10(recovering, bad):
    journey = recovering()
    with pytest.raises(ValidationFailed) as error:
        services.record_check_in(journey, values(leg_pain=bad), now=utcnow())
    assert error.value.errors == {"leg_pain": ["Choose a whole number from 0 to 10."]}
    db.session.rollback()
    assert count() == 0


def test_the_database_refuses_scores_outside_0_to_10(recovering):
    journey = recovering()
    row = CheckIn(
        journey_id=journey.id,
        patient_id=journey.patient_id,
        day=utcnow().date(),
        back_pain=11,
        leg_pain=0,
        took_pain_medicine=False,
        idempotency_key=uuid.uuid4().hex,
    )
    db.session.add(row)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("bad", ["abc", "7.5", "11", "-1", ""])
def test_the_form_refuses_bad_scores_and_saves_nothing(recovering, invite, phone, bad):
    patient = phone()
    patient.open(invite(recovering()))
    response = patient.check_in(back_pain=bad)
    assert response.status_code == 422
    assert "Choose a number from 0 to 10." in response.get_data(as_text=True)
    assert count() == 0


def test_a_double_tapped_submit_records_one_check_in(recovering, invite, phone):
    patient = phone()
    patient.open(invite(recovering()))
    html = patient.page("/portal/check-in")
    from tests.portal.conftest import KEY, csrf_from

    data = {
        "back_pain": "4",
        "leg_pain": "6",
        "took_pain_medicine": "yes",
        "idempotency_key": KEY.search(html).group(1),
        "csrf_token": csrf_from(html),
    }
    first = patient.client.post("/portal/check-in", data=data)
    second = patient.client.post("/portal/check-in", data=data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == "/portal/check-in/thanks"
    assert count() == 1
    thanks = patient.page("/portal/check-in/thanks")
    assert "back 4, leg 6" in thanks


def test_the_same_key_twice_through_the_service_is_one_row(recovering):
    journey = recovering()
    key = uuid.uuid4().hex
    first, new = services.record_check_in(journey, values(idempotency_key=key), now=utcnow())
    again, new_again = services.record_check_in(
        journey, values(idempotency_key=key, back_pain=9), now=utcnow()
    )
    assert (new, new_again) == (True, False)
    assert again.id == first.id and again.back_pain == 3
    assert count() == 1


def test_a_red_flag_shows_what_to_do_and_raises_an_urgent_alert(app, recovering, invite, phone):
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    response = patient.check_in(flag_saddle="y", note="numb when wiping")
    assert response.status_code == 303
    check_in = db.session.scalar(sa.select(CheckIn))
    assert response.headers["Location"] == f"/portal/check-in/{check_in.id}/advice"
    advice = patient.page(response.headers["Location"])
    assert "Go to the emergency department now" in advice
    assert f'href="tel:{app.config["EMERGENCY_PHONE"]}"' in advice
    assert app.config["CLINIC_PHONE"] in advice
    assert "Your answers are saved and the clinic team has been told." in advice
    alert = db.session.scalar(sa.select(Alert))
    assert (alert.kind, alert.severity, alert.status) == ("red_flag", "urgent", "open")
    assert "saddle" in alert.summary
    # Nobody is on duty in this test: the message waits in the clinic outbox (or ON_DUTY_EMAIL).
    email = db.session.scalar(sa.select(Reminder).where(Reminder.rule_key == "alert"))
    assert email.audience == "coordinator" and email.urgent and email.status == "pending"
    assert email.patient_alert_id == alert.id
    assert journey.patient.mrn in email.subject
    assert "saddle" not in email.body and "numb" not in email.body  # no symptoms in messages


def test_staff_record_a_check_in_taken_by_phone(recovering, coordinator, client):
    from tests.web.conftest import Browser

    journey = recovering()
    staff = Browser(client)
    staff.sign_in(coordinator)
    url = f"/journeys/{journey.id}/check-ins/new"
    html = staff.get(url).get_data(as_text=True)
    from tests.portal.conftest import KEY

    response = staff.post(
        url,
        {
            "back_pain": "2",
            "leg_pain": "8",
            "took_pain_medicine": "yes",
            "idempotency_key": KEY.search(html).group(1),
        },
    )
    assert response.status_code == 303
    row = db.session.scalar(sa.select(CheckIn))
    assert (row.entered_by, row.entered_by_id) == ("staff", coordinator.id)
    assert db.session.scalar(sa.select(Alert.kind)) == "pain_high"
    bad = staff.post(url, {"back_pain": "12", "leg_pain": "1", "took_pain_medicine": "no"})
    assert bad.status_code == 422
    assert count() == 1


def test_a_check_in_post_is_a_handful_of_statements(recovering, invite, phone, count_queries):
    """Session (with access, journey, patient, template), the row, its audit row, and one
    statement for everything the alert rules read, with a week of check-ins behind. On
    PostgreSQL the row, its audit row and the rules' facts are one statement."""
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    for days_ago in range(1, 8):
        services.record_check_in(journey, values(), now=utcnow() - timedelta(days=days_ago))
    db.session.commit()
    html = patient.page("/portal/check-in")
    from tests.portal.conftest import KEY, csrf_from

    data = {"back_pain": "3", "leg_pain": "2", "took_pain_medicine": "no"}
    data.update(idempotency_key=KEY.search(html).group(1), csrf_token=csrf_from(html))
    with count_queries() as statements:
        response = patient.client.post("/portal/check-in", data=data)
    assert response.status_code == 303
    assert len(statements) == (2 if db.engine.dialect.name == "postgresql" else 4), statements
    stored = db.session.scalar(sa.select(CheckIn).order_by(CheckIn.id.desc()).limit(1))
    audit = db.session.execute(
        sa.select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.details).where(
            AuditEvent.action == "portal.check_in", AuditEvent.object_id == stored.id
        )
    ).one()
    assert audit == (
        "CheckIn",
        stored.id,
        {
            "back_pain": 3,
            "leg_pain": 2,
            "red_flags": [],
            "entered_by": "patient",
            "caregiver": None,
        },
    )
    with count_queries() as statements:  # a double tap: the session and one INSERT that skips
        again = patient.client.post("/portal/check-in", data=data)
    assert again.status_code == 303 and count() == 8
    assert len(statements) <= 3, statements
    # the skipped INSERT wrote no audit row either
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "portal.check_in"))
        == 8
    )
