"""Planning: rules become rows once, move with their event, stop when they no longer apply."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.journeys import services as journeys
from tracker.patients.services import update_patient
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.models import Reminder
from tracker.reminders.planning import plan_journey

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def rows(journey, **where) -> list[Reminder]:
    query = sa.select(Reminder).where(Reminder.journey_id == journey.id)
    for name, value in where.items():
        query = query.where(getattr(Reminder, name) == value)
    return list(db.session.scalars(query.order_by(Reminder.due_at, Reminder.id)))


def one(journey, rule: str, channel: str | None = None, **where) -> Reminder:
    """The one row of a rule (a patient message goes by one channel, so no channel is needed)."""
    if channel is not None:
        where["channel"] = channel
    found = rows(journey, rule_key=rule, **where)
    assert len(found) == 1, [r.idempotency_key for r in found]
    return found[0]


def test_starting_a_journey_plans_every_rule_in_the_patients_time(make_journey):
    journey = make_journey()
    planned = rows(journey)
    counts = Counter(r.rule_key for r in planned)
    assert counts == {
        "booking_confirmation": 1,
        "preop_instructions": 1,
        "transport_check": 1,
        "evening_before": 1,
        "pain_checkin": 14,  # 14 days, one message a day
        "followup_day_before": 3,  # three follow-up appointments
        "outcome_check_3m": 1,
        # questionnaires (outcomes): "due" and "not done yet"
        "questionnaire_baseline_due": 1,
        "questionnaire_baseline_reminder": 1,
        "questionnaire_6w_due": 1,
        "questionnaire_6w_reminder": 1,
        "questionnaire_3m_due": 1,
        "questionnaire_12m_due": 1,
        "questionnaire_12m_reminder": 1,
    }
    # One channel per message: the patient's preferred SMS, where the rule offers it.
    assert {r.channel for r in planned if r.rule_key != "outcome_check_3m"} - {"sms"} == {"email"}
    assert one(journey, "outcome_check_3m").channel == "email"  # the rule offers email only
    # Jakarta is UTC+7: 18:00 the day before the 08:30 surgery on 10 December.
    evening = one(journey, "evening_before")
    assert evening.due_at == datetime(2026, 12, 9, 11, 0, tzinfo=UTC)
    assert evening.expires_at == journey.surgery_at
    pain = rows(journey, rule_key="pain_checkin", channel="sms")
    assert pain[0].due_at == datetime(2026, 12, 11, 2, 0, tzinfo=UTC)
    assert pain[-1].due_at == datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    # The consultation was three days ago but the surgery is ahead: confirmation goes at once.
    assert one(journey, "booking_confirmation").due_at == NOW
    assert one(journey, "transport_check").audience == "coordinator"
    assert {r.status for r in planned} == {"pending"}


def test_planning_twice_makes_no_duplicates(make_journey):
    journey = make_journey()
    keys = sorted(r.idempotency_key for r in rows(journey))
    result = plan_journey(journey, now=NOW)
    db.session.commit()
    assert not result.changed
    assert sorted(r.idempotency_key for r in rows(journey)) == keys
    assert len(keys) == len(set(keys)) == 29


def test_the_idempotency_key_is_unique_in_the_database(make_journey):
    journey = make_journey()
    first = one(journey, "outcome_check_3m")
    copy = Reminder(
        idempotency_key=first.idempotency_key,
        journey_id=journey.id,
        patient_id=journey.patient_id,
        rule_key=first.rule_key,
        message_key=first.message_key,
        channel="email",
        rule_at=first.rule_at,
        due_at=first.due_at,
        next_attempt_at=first.due_at,
    )
    db.session.add(copy)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_no_surgery_date_plans_nothing_that_needs_it(make_journey):
    journey = make_journey(surgery_at=None)
    assert rows(journey) == []
    journeys.reschedule_surgery(
        journey, datetime(2026, 12, 10, 1, 30, tzinfo=UTC), actor=None, now=NOW
    )
    db.session.commit()
    assert len(rows(journey)) == 29


def test_reschedule_moves_pending_reminders_and_leaves_sent_ones(make_journey, coordinator):
    journey = make_journey()
    dispatch_due(now=NOW)  # the booking confirmations go out now
    db.session.expire_all()
    sent = one(journey, "booking_confirmation")
    assert sent.status == "sent"
    sent_at, sent_due = sent.sent_at, sent.due_at

    later = journey.surgery_at + timedelta(days=7)
    journeys.reschedule_surgery(journey, later, actor=coordinator, now=NOW + timedelta(hours=1))
    db.session.commit()

    evening = one(journey, "evening_before")
    assert evening.status == "pending"
    assert evening.due_at == datetime(2026, 12, 16, 11, 0, tzinfo=UTC)
    assert evening.expires_at == later
    assert evening.idempotency_key.endswith("#1")  # the same row moved
    # The sent confirmation stays as it was and is not sent again: one notice tells the patient
    # the new date.
    confirmations = rows(journey, rule_key="booking_confirmation")
    assert [(r.status, r.sent_at, r.due_at) for r in confirmations] == [("sent", sent_at, sent_due)]
    [notice] = rows(journey, rule_key="notice")
    assert (notice.message_key, notice.status) == ("surgery_moved", "pending")
    # Follow-up reminders follow their appointments.
    wound = [r for r in rows(journey, rule_key="followup_day_before", channel="sms")][0]
    assert wound.due_at == datetime(2026, 12, 30, 10, 0, tzinfo=UTC)  # 17:00 Jakarta
    assert len(rows(journey, status="pending")) == 29 - 1 + 1  # sent confirmation; notice


def test_cancelling_the_journey_cancels_its_pending_reminders_with_the_reason(
    make_journey, coordinator
):
    journey = make_journey()
    journeys.cancel(journey, reason="Patient chose physiotherapy", actor=coordinator, now=NOW)
    db.session.commit()
    statuses = {(r.status, r.status_reason) for r in rows(journey) if r.rule_key != "notice"}
    assert statuses == {("cancelled", "Journey cancelled: Patient chose physiotherapy")}
    # The patient is told the surgery will not take place.
    assert [r.message_key for r in rows(journey, rule_key="notice", status="pending")] == [
        "surgery_cancelled"
    ]


def test_appointments_bring_and_take_their_reminders(make_journey, coordinator):
    journey = make_journey()
    appt = journeys.create_appointment(
        journey,
        {
            "kind": "follow_up",
            "title": "Extra wound look",
            "starts_at": datetime(2026, 12, 18, 3, 0, tzinfo=UTC),
        },
        actor=coordinator,
        now=NOW,
    )
    db.session.commit()
    rule = "followup_day_before"
    mine = rows(journey, appointment_id=appt.id, rule_key=rule)
    assert [r.channel for r in mine] == ["sms"]
    assert mine[0].due_at == datetime(2026, 12, 17, 10, 0, tzinfo=UTC)

    journeys.update_appointment(
        appt, {"starts_at": datetime(2026, 12, 19, 3, 0, tzinfo=UTC)}, actor=coordinator, now=NOW
    )
    db.session.commit()
    assert {r.due_at for r in rows(journey, appointment_id=appt.id, rule_key=rule)} == {
        datetime(2026, 12, 18, 10, 0, tzinfo=UTC)
    }

    journeys.cancel_appointment(appt, reason="Seen at home instead", actor=coordinator, now=NOW)
    db.session.commit()
    assert {(r.status, r.status_reason) for r in rows(journey, appointment_id=appt.id)} - {
        ("cancelled", "A newer change replaced this message."),  # the "moved" notice
        ("pending", None),  # the "cancelled" notice
    } == {("cancelled", "Appointment cancelled: Seen at home instead")}


def test_withdrawing_consent_stops_that_channel_and_giving_it_back_restores_it(
    make_journey, coordinator
):
    journey = make_journey()
    patient = journey.patient
    update_patient(patient, {"consent_sms": False}, actor=coordinator, now=NOW)
    db.session.commit()
    sms = rows(journey, channel="sms")
    assert sms and {r.status for r in sms} == {"cancelled"}
    assert {r.cancel_code for r in sms} == {"consent"}
    assert {r.status for r in rows(journey, channel="email")} == {"pending"}
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "reminders.consent_stop")
    )

    update_patient(patient, {"consent_sms": True}, actor=coordinator, now=NOW)
    db.session.commit()
    assert {r.status for r in rows(journey, channel="sms")} == {"pending"}


def test_a_patient_without_consent_gets_no_rows_for_that_channel(make_journey, make_patient):
    journey = make_journey(make_patient(consent_sms=False))
    assert {r.channel for r in rows(journey)} == {"email"}


def test_late_reminders_at_creation_go_at_once_while_their_event_is_ahead(make_journey):
    # Journey entered after the fact: surgery tomorrow, consultation a month ago.
    journey = make_journey(
        consultation_date=date(2026, 10, 20), surgery_at=datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    )
    # Pre-op instructions were due 10 days before; the surgery is still ahead: at once.
    assert one(journey, "preop_instructions").due_at == NOW
    assert one(journey, "preop_instructions").status == "pending"
    # Replanning later (e.g. after downtime) leaves late pending rows to the dispatcher.
    result = plan_journey(journey, now=NOW + timedelta(hours=20))
    assert not result.changed
    assert one(journey, "preop_instructions").status == "pending"


def test_skipped_when_the_event_is_over(make_journey, make_patient, templates, coordinator):
    patient = make_patient()
    journey = journeys.start_journey(
        patient,
        templates["teld"],
        journeys.JourneyDetails(
            condition="herniated_disc",
            levels="L4-L5",
            side="left",
            approach="transforaminal",
            anesthesia="local_sedation",
            consultation_date=date(2026, 11, 1),
            surgery_at=datetime(2026, 11, 5, 1, 30, tzinfo=UTC),
        ),
        actor=coordinator,
        now=NOW,
    )
    db.session.commit()
    evening = one(journey, "evening_before")
    assert evening.status == "skipped"
    assert "passed" in evening.status_reason
    # Check-ins of days long gone are recorded as skipped, not sent late.
    pain = rows(journey, rule_key="pain_checkin")
    assert [r.status for r in pain] == ["skipped"] * 14
    # The 3-month outcome check is still ahead.
    assert one(journey, "outcome_check_3m").status == "pending"
