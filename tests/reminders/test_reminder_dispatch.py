"""Dispatch on one process (SQLite and PostgreSQL): real SMTP and SMS servers, retries, expiry."""

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from tests.reminders.conftest import Inbox, SmtpServer, free_port
from tracker.db import db
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.models import Reminder
from tracker.vocabulary import reminder_error

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def reminders(**where) -> list[Reminder]:
    query = sa.select(Reminder)
    for name, value in where.items():
        query = query.where(getattr(Reminder, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(query.order_by(Reminder.id)))


def test_email_reaches_a_real_smtp_server_in_the_patients_language(
    app, smtp_server, make_journey, make_patient
):
    app.config.update(smtp_server.config(), MAIL_FROM="Demo Spine Clinic <desk@clinic.test>")
    patient = make_patient(
        language="id",
        email="siti@example.test",
        timezone="Asia/Makassar",
        preferred_channel="email",
    )
    journey = make_journey(patient)

    result = dispatch_due(now=NOW)

    assert result.sent == 1  # the booking confirmation, by the preferred email only
    [mail] = smtp_server.messages
    assert mail.recipients == ["siti@example.test"]
    assert mail.message["Subject"] == "Operasi tulang belakang Anda di Demo Spine Clinic"
    assert mail.message["Content-Language"] == "id"
    assert mail.message["From"] == "Demo Spine Clinic <desk@clinic.test>"
    # Surgery at 01:30 UTC is 09:30 in Makassar (UTC+8), written in Indonesian.
    assert "Kamis 10 Desember 2026, 09:30" in mail.text()
    assert "Yth. " in mail.text() and "Kamis 10 Desember 2026, 09:30" in mail.html()
    email_row = reminders(journey_id=journey.id, rule_key="booking_confirmation", channel="email")
    assert mail.reminder_id == email_row[0].id
    assert email_row[0].status == "sent" and email_row[0].transport == "smtp"
    assert email_row[0].provider_id == mail.message["Message-ID"]
    assert email_row[0].body.startswith("Yth. ")
    assert reminders(journey_id=journey.id, rule_key="booking_confirmation", channel="sms") == []

    # Sending again sends nothing: each reminder leaves once.
    assert dispatch_due(now=NOW + timedelta(minutes=5)).sent == 0
    assert len(smtp_server.messages) == 1


def test_without_providers_messages_stay_in_the_local_outbox(app, make_journey):
    assert not app.config["SMTP_HOST"] and not app.config["SMS_GATEWAY_URL"]
    journey = make_journey()
    dispatch_due(now=NOW)
    sent = reminders(journey_id=journey.id, status="sent")
    assert {r.transport for r in sent} == {"outbox"}
    assert sent[0].subject == "Your spine surgery at Demo Spine Clinic"
    assert "Thursday 10 December 2026, 08:30" in sent[0].body


def test_sms_goes_to_the_gateway_as_documented_json(app, sms_gateway, make_journey):
    app.config.update(SMS_GATEWAY_URL=sms_gateway.url, SMS_GATEWAY_TOKEN="gw-secret")
    journey = make_journey()
    dispatch_due(now=NOW)
    [body] = sms_gateway.received
    row = reminders(journey_id=journey.id, channel="sms", status="sent")[0]
    assert body == {
        "to": "+6281234567890",
        "text": row.body,
        "reference": f"reminder-{row.id}",
        "idempotency_key": row.idempotency_key,
    }
    assert sms_gateway.headers[0]["Authorization"] == "Bearer gw-secret"
    assert sms_gateway.headers[0]["Idempotency-Key"] == row.idempotency_key
    assert row.provider_id == "gw-1" and row.transport == "sms_gateway"


def test_a_gateway_error_retries_with_growing_delays_then_fails_and_alerts(
    app, sms_gateway, make_journey
):
    app.config.update(SMS_GATEWAY_URL=sms_gateway.url, REMINDER_RETRY_MINUTES=(1, 5, 30))
    journey = make_journey()
    sms_gateway.status = 503
    at = NOW
    waits = []
    for _ in range(3):
        dispatch_due(now=at)
        [row] = reminders(journey_id=journey.id, channel="sms", rule_key="booking_confirmation")
        assert row.status == "pending" and "503" in row.last_error
        waits.append(row.next_attempt_at - at)
        assert dispatch_due(now=row.next_attempt_at - timedelta(seconds=1)).ids == []
        at = row.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30)]
    dispatch_due(now=at)
    [row] = reminders(journey_id=journey.id, channel="sms", rule_key="booking_confirmation")
    assert row.status == "failed" and row.attempts == 4
    assert "Gave up after 4 attempts" in row.last_error
    with force_locale("id"):  # the channel's own words, as staff read them
        assert reminder_error(row.last_error).startswith(
            "Dihentikan setelah 4 percobaan: Gateway SMS menjawab 503"
        )
    [alert] = reminders(about_id=row.id)
    assert alert.audience == "coordinator" and alert.status == "sent"  # to the clinic outbox
    assert "Reminder failed" in alert.subject
    assert sms_gateway.received == []


def test_smtp_down_retries_then_fails_and_nothing_is_sent_twice_once_it_is_back(
    app, make_journey, make_patient, coordinator
):
    server = SmtpServer("127.0.0.1", free_port(), Inbox())  # not started: connection refused
    app.config.update(server.config(), REMINDER_RETRY_MINUTES=(1, 2))
    first = make_journey(make_patient(preferred_channel="email"))
    at = NOW
    for attempt in (1, 2):
        dispatch_due(now=at)
        [row] = reminders(journey_id=first.id, channel="email", rule_key="booking_confirmation")
        assert (row.status, row.attempts) == ("pending", attempt)
        assert "Cannot reach SMTP server" in row.last_error
        at = row.next_attempt_at
    dispatch_due(now=at)
    [failed] = reminders(journey_id=first.id, channel="email", rule_key="booking_confirmation")
    assert failed.status == "failed" and "Cannot reach SMTP server" in failed.last_error
    with force_locale("id"):
        assert ": Server email 127.0.0.1:" in reminder_error(failed.last_error)
    assert len(reminders(about_id=failed.id)) == 1  # the coordinator is told

    # A second patient's confirmation is waiting for its retry when the server comes back.
    second = make_journey(make_patient(preferred_channel="email"))
    dispatch_due(now=at)
    server.start()
    try:
        later = at + timedelta(hours=1)
        dispatch_due(now=later)
        dispatch_due(now=later + timedelta(hours=1))
        received = sorted(m.reminder_id for m in server.messages)
        [waiting] = reminders(
            journey_id=second.id, channel="email", rule_key="booking_confirmation"
        )
        assert received == [waiting.id]  # once; the failed one is not resent by itself
        assert reminders(id=failed.id)[0].status == "failed"
    finally:
        server.stop()


def test_a_timeout_after_the_message_was_handed_over_is_marked_for_a_check(
    app, make_journey, make_patient
):
    class SlowInbox(Inbox):
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(1.5)  # longer than the client waits
            return await super().handle_DATA(server, session, envelope)

    server = SmtpServer("127.0.0.1", free_port(), SlowInbox())
    server.start()
    try:
        app.config.update(server.config(), SMTP_TIMEOUT_SECONDS=0.5)
        journey = make_journey(make_patient(preferred_channel="email"))
        dispatch_due(now=NOW)
        [row] = reminders(journey_id=journey.id, channel="email", rule_key="booking_confirmation")
        assert row.status == "needs_check"
        assert "may have been delivered" in row.last_error
        with force_locale("id"):
            assert reminder_error(row.last_error).startswith(
                "Sambungan ke server email terputus saat server sudah menerima pesan"
            )
        assert [a.message_key for a in reminders(about_id=row.id)] == ["needs_check"]
        # Not blindly resent.
        dispatch_due(now=NOW + timedelta(days=1))
        assert reminders(id=row.id)[0].status == "needs_check"
    finally:
        server.stop()
    assert len(server.messages) <= 1


def test_after_downtime_pointless_reminders_expire_and_the_coordinator_is_told(make_journey):
    journey = make_journey()
    # The dispatcher was down from before the booking confirmation until surgery had started.
    after = journey.surgery_at + timedelta(hours=2)
    dispatch_due(now=after)
    rows = {r.rule_key: r.status for r in reminders(journey_id=journey.id)}
    before_surgery = (
        "booking_confirmation",
        "preop_instructions",
        "evening_before",
        "questionnaire_baseline_due",
        "questionnaire_baseline_reminder",
    )
    for rule in before_surgery:
        assert rows[rule] == "expired"
    assert rows["transport_check"] == "expired"
    alerts = reminders(journey_id=journey.id, rule_key="alert")
    assert sorted(a.subject.split(", ")[-1] for a in alerts) == sorted(
        [*before_surgery, "transport_check"]
    )  # one per reminder, not per channel
    assert {a.status for a in alerts} == {"sent"}
    # Nothing dropped silently: the rest waits for its time.
    later = {r.status for r in reminders(journey_id=journey.id, rule_key="pain_checkin")}
    assert later == {"pending"}


def test_late_but_still_useful_reminders_are_sent_after_downtime(make_journey):
    journey = make_journey()
    # Down for a day after the pre-op instructions were due; the surgery is still ahead.
    due = journey.surgery_at - timedelta(days=9)
    dispatch_due(now=due)
    [row] = reminders(journey_id=journey.id, rule_key="preop_instructions")
    assert row.status == "sent" and row.sent_at == due


def test_a_staff_task_reminder_is_skipped_when_the_task_is_done(make_journey, coordinator):
    from tracker.journeys.services import complete_task

    journey = make_journey()
    task = next(t for t in journey.tasks if t.key == "transport_arranged")
    complete_task(task, actor=coordinator, now=NOW)
    db.session.commit()
    dispatch_due(now=journey.surgery_at - timedelta(days=2) + timedelta(hours=1))
    [row] = reminders(journey_id=journey.id, rule_key="transport_check")
    assert row.status == "skipped" and "already done" in row.status_reason


def test_a_staff_task_reminder_goes_to_the_on_duty_address(app, smtp_server, make_journey):
    app.config.update(smtp_server.config(), ON_DUTY_EMAIL="duty@clinic.test")
    journey = make_journey()
    dispatch_due(now=journey.surgery_at - timedelta(days=2) + timedelta(hours=1))
    duty = [m for m in smtp_server.messages if m.recipients == ["duty@clinic.test"]]
    assert len(duty) == 1
    assert "Transport home and an adult companion arranged" in duty[0].message["Subject"]


def test_a_crashed_dispatcher_loses_nothing(app, make_journey):
    journey = make_journey()
    claimed = dispatch_due(now=NOW, stop_after_claim=True).ids
    assert len(claimed) == 1
    assert {r.status for r in reminders(id=claimed[0])} == {"sending"}
    # Before the lease runs out nobody else takes them; after it, the next dispatcher does.
    assert dispatch_due(now=NOW + timedelta(seconds=60)).ids == []
    lease = app.config["REMINDER_LEASE_SECONDS"]
    result = dispatch_due(now=NOW + timedelta(seconds=lease + 1))
    assert sorted(result.ids) == claimed and result.sent == 1
    assert {r.status for r in reminders(journey_id=journey.id, status="sent")} == {"sent"}


def test_a_claim_lost_during_the_hand_over_needs_a_check_not_a_resend(app, make_journey):
    make_journey()
    dispatch_due(now=NOW, stop_after_claim=True)
    # The dead dispatcher had started handing one over to the provider.
    db.session.execute(
        sa.update(Reminder).where(Reminder.status == "sending").values(send_started_at=NOW)
    )
    db.session.commit()
    lease = app.config["REMINDER_LEASE_SECONDS"]
    result = dispatch_due(now=NOW + timedelta(seconds=lease + 1))
    rows = reminders(rule_key="booking_confirmation")
    assert {r.status for r in rows} == {"needs_check"}
    alerts = reminders(rule_key="alert")
    assert sorted(a.about_id for a in alerts) == [r.id for r in rows]
    assert result.ids == [a.id for a in alerts]  # only the alerts went out
