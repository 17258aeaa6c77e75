"""Fewer, better messages: changes the patient is told, one channel each, none needless,
in a sensible order. The SMS gateway stand-in receives what the dispatcher sends."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.web.conftest import Browser
from tracker.db import db
from tracker.journeys import services as journeys
from tracker.portal import services as portal
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.models import Reminder

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


def rows(journey, **where) -> list[Reminder]:
    query = sa.select(Reminder).where(Reminder.journey_id == journey.id)
    for name, value in where.items():
        query = query.where(getattr(Reminder, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(query.order_by(Reminder.due_at, Reminder.id)))


def test_a_reschedule_reaches_the_patients_phone_in_their_language_and_time(
    app, sms_gateway, make_journey, make_patient, coordinator
):
    app.config.update(SMS_GATEWAY_URL=sms_gateway.url)
    patient = make_patient(language="id", timezone="Asia/Makassar", phone="+6281234500001")
    journey = make_journey(patient)
    dispatch_due(now=NOW)  # the booking confirmation
    sms_gateway.received.clear()
    new = datetime(2026, 12, 17, 1, 30, tzinfo=UTC)  # 09:30 in Makassar
    journeys.reschedule_surgery(journey, new, actor=coordinator, now=NOW + timedelta(hours=1))
    db.session.commit()
    [notice] = rows(journey, rule_key="notice")
    assert (notice.message_key, notice.channel) == ("surgery_moved", "sms")
    dispatch_due(now=NOW + timedelta(hours=1))
    texts = [m["text"] for m in sms_gateway.received]
    moved = next(t for t in texts if "Kamis 17 Desember 2026, 09:30" in t)
    assert moved.startswith("Yth. ") and "08:00" in moved  # arrive 90 minutes before, local
    assert "/portal/i/" in moved  # a working personal link to see what moved
    assert sms_gateway.received[0]["text"] == moved  # before the reminders that depend on it


def test_quiet_hours_hold_a_notice_unless_the_appointment_comes_first(
    make_journey, make_patient, coordinator
):
    journey = make_journey(make_patient(timezone="Asia/Jakarta"))
    evening = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 22:00 in Jakarta: quiet hours
    appt = next(a for a in journey.appointments if a.key == "wound_check")
    journeys.update_appointment(
        appt,
        {"starts_at": appt.starts_at + timedelta(days=2)},
        actor=coordinator,
        now=evening,
    )
    db.session.commit()
    [notice] = rows(journey, rule_key="notice")
    assert notice.message_key == "appointment_moved"
    assert notice.due_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 the next morning
    # Moved to early tomorrow: the patient must hear tonight, quiet hours or not.
    journeys.update_appointment(
        appt,
        {"starts_at": datetime(2026, 11, 24, 0, 30, tzinfo=UTC)},  # 07:30 tomorrow
        actor=coordinator,
        now=evening,
    )
    db.session.commit()
    first, second = sorted(rows(journey, rule_key="notice"), key=lambda r: r.id)
    assert first.status == "cancelled" and "newer change" in first.status_reason
    assert second.status == "pending" and second.due_at == evening


def test_cancelling_an_appointment_or_the_surgery_is_told_without_consent_nothing_is(
    make_journey, make_patient, coordinator
):
    journey = make_journey(make_patient(preferred_channel="email"))
    appt = next(a for a in journey.appointments if a.key == "review_6w")
    journeys.cancel_appointment(appt, reason="Surgeon away", actor=coordinator, now=NOW)
    journeys.cancel(journey, reason="Patient moved abroad", actor=coordinator, now=NOW)
    db.session.commit()
    notices = rows(journey, rule_key="notice")
    assert [(n.message_key, n.channel, n.status) for n in notices] == [
        ("appointment_cancelled", "email", "pending"),
        ("surgery_cancelled", "email", "pending"),
    ]
    silent = make_journey(make_patient(consent_sms=False, consent_email=False))
    journeys.cancel(silent, reason="Changed mind", actor=coordinator, now=NOW)
    db.session.commit()
    assert rows(silent, rule_key="notice") == []
    result = dispatch_due(now=NOW)
    assert rows(journey, message_key="surgery_cancelled")[0].status == "sent"
    assert result.sent >= 2


def test_the_reschedule_preview_lists_the_messages_that_move(clock, staff, make_journey):
    journey = make_journey()
    url = f"/journeys/{journey.id}/reschedule"
    browser = Browser(staff.client)
    page = browser.post(
        url, {"surgery_date": "2026-12-17", "surgery_time": "08:30", "reason": "Theatre closed"}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html.split("to the patient or staff change", 1)[1].split("</table>", 1)[0]
    assert "Evening before" in table and "Wed 16 Dec 2026, 18:00" in table
    assert "Tell the patient: surgery moved" in table and "new" in table
    assert "Pain checkin" in table
    # Nothing changed: the preview is a rolled-back rehearsal.
    assert journey.surgery_at == datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
    assert rows(journey, rule_key="notice") == []
    assert {r.due_at for r in rows(journey, rule_key="evening_before")} == {
        datetime(2026, 12, 9, 11, 0, tzinfo=UTC)
    }


def test_one_channel_per_message_with_the_other_as_fallback(make_journey, make_patient):
    by_email = make_journey(make_patient(preferred_channel="email"))
    assert {r.channel for r in rows(by_email, audience="patient")} == {"email"}
    no_email = make_journey(make_patient(preferred_channel="email", consent_email=False))
    channels = {r.rule_key: r.channel for r in rows(no_email, audience="patient")}
    assert channels["pain_checkin"] == "sms"  # the preferred one is not possible: the other
    assert "outcome_check_3m" not in channels  # email-only rule, and no email consent


def test_changing_the_preferred_channel_moves_the_waiting_messages(
    make_journey, make_patient, coordinator
):
    from tracker.patients.services import update_patient

    journey = make_journey(make_patient())
    update_patient(journey.patient, {"preferred_channel": "email"}, actor=coordinator, now=NOW)
    db.session.commit()
    pending = rows(journey, audience="patient", status="pending")
    assert {r.channel for r in pending} == {"email"}
    old = rows(journey, rule_key="evening_before", channel="sms")[0]
    assert old.status == "cancelled" and "Goes by email instead" in old.status_reason


def test_no_check_in_reminder_on_a_day_already_checked_in_and_none_once_settled(
    make_journey, coordinator
):
    journey = make_journey()  # surgery 08:30 Jakarta on 10 December; check-ins 09:00 from the 11th
    check_ins = rows(journey, rule_key="pain_checkin")

    def check_in(at: datetime, pain: int) -> None:
        values = portal.CheckInValues(
            back_pain=pain,
            leg_pain=pain,
            took_pain_medicine=False,
            idempotency_key=f"test-{at:%Y%m%d%H%M}-{pain}".ljust(16, "x"),
        )
        portal.record_check_in(journey, values, now=at)
        db.session.commit()

    # Day 1: checked in at 08:00, before the 09:00 reminder: it is skipped.
    day1 = check_ins[0].due_at
    check_in(day1 - timedelta(hours=1), 4)
    dispatch_due(now=day1)
    assert rows(journey, id=check_ins[0].id)[0].status == "skipped"
    assert "already checked in today" in rows(journey, id=check_ins[0].id)[0].status_reason
    # Day 2 no check-in: it goes.
    dispatch_due(now=check_ins[1].due_at)
    assert rows(journey, id=check_ins[1].id)[0].status == "sent"
    # Days 3-5 pain 2 or less: settled, so day 6 onwards is not asked for.
    for n in (2, 3, 4):
        check_in(check_ins[n].due_at + timedelta(hours=2), 1)
    dispatch_due(now=check_ins[5].due_at)
    sixth = rows(journey, id=check_ins[5].id)[0]
    assert sixth.status == "skipped" and "settled" in sixth.status_reason
    # A painful day starts them again.
    check_in(check_ins[5].due_at + timedelta(hours=3), 6)
    dispatch_due(now=check_ins[6].due_at)
    assert rows(journey, id=check_ins[6].id)[0].status == "sent"


def test_messages_due_together_leave_in_the_pathways_order(sms_gateway, app, make_journey):
    app.config.update(SMS_GATEWAY_URL=sms_gateway.url)
    # Booked late: confirmation and pre-op instructions are both due at once.
    journey = make_journey(surgery_at=datetime(2026, 11, 28, 1, 30, tzinfo=UTC))
    booking, preop = (
        rows(journey, rule_key=k)[0] for k in ("booking_confirmation", "preop_instructions")
    )
    assert booking.due_at == preop.due_at == NOW
    # Even when the later row was written first, the confirmation leaves first.
    assert booking.rule_order < preop.rule_order
    dispatch_due(now=NOW)
    texts = [m["text"] for m in sms_gateway.received]
    assert "booked for" in texts[0] and "review all your medicines" in texts[1]
