"""What the rules and the pathways wrote, read in the staff member's language.

Alert summaries are made from the facts an alert keeps, when shown; planned appointments keep
the pathway's title and place in both languages until someone types their own.
"""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.portal.conftest import at
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.journeys.models import Appointment
from tracker.portal import services
from tracker.portal.models import Alert
from tracker.vocabulary import alert_summary, reminder_error, reminder_reason


@pytest.fixture
def indonesian(make_user) -> StaffUser:
    return make_user("coordinator", language="id", name="Sari Wulandari")


@pytest.fixture
def operated(make_journey, coordinator):
    journey = make_journey()
    services.issue_invitation(journey, actor=coordinator, now=at(journey.surgery_at.date()))
    db.session.commit()
    return journey


def log(journey, day_offset: int, back: int, leg: int, *flags):
    services.record_check_in(
        journey,
        services.CheckInValues(
            back_pain=back,
            leg_pain=leg,
            took_pain_medicine=True,
            idempotency_key=uuid.uuid4().hex,
            flags=set(flags),
        ),
        now=at(journey.surgery_at.date() + timedelta(days=day_offset)),
    )
    db.session.commit()


def test_alerts_read_in_each_readers_language(browser, indonesian, coordinator, operated):
    log(operated, 1, 9, 2, "flag_fever")
    stored = sorted(db.session.scalars(sa.select(Alert.summary)))
    assert stored == ["Pain 9/10 (back 9, leg 2)", "Red flag: fever or chills"]

    browser.sign_in(indonesian)
    for url in ("/alerts", f"/journeys/{operated.id}"):
        page = browser.get(url).get_data(as_text=True)
        assert "Tanda bahaya: demam atau menggigil" in page, url
        assert "Nyeri 9/10 (punggung 9, tungkai 2)" in page, url
        assert "Red flag:" not in page and "Pain 9/10" not in page, url
    dashboard = browser.get("/").get_data(as_text=True)  # the urgent ones
    assert "Tanda bahaya: demam atau menggigil" in dashboard and "Red flag:" not in dashboard
    browser.sign_out(page="/")

    browser.sign_in(coordinator)
    page = browser.get("/alerts").get_data(as_text=True)
    assert "Red flag: fever or chills" in page and "Pain 9/10 (back 9, leg 2)" in page


def test_a_rise_and_a_return_of_leg_pain_in_indonesian(app, operated):
    log(operated, -1, 2, 7)  # before surgery: leg 7
    log(operated, 1, 2, 3)
    log(operated, 2, 2, 3)
    log(operated, 3, 2, 6)  # leg back near 7 after relief to 3, and up 3 over the average
    alerts = {a.kind: a for a in db.session.scalars(sa.select(Alert))}
    assert set(alerts) == {"pain_rise", "leg_pain_return"}
    rise, back = alerts["pain_rise"], alerts["leg_pain_return"]
    assert rise.summary == "Pain rose over the previous 3-day average: leg 3.0 → 6"
    with force_locale("id"):
        assert alert_summary(rise.kind, rise.details, rise.summary) == (
            "Nyeri naik dibanding rata-rata 3 hari sebelumnya: tungkai 3,0 → 6"
        )
        assert alert_summary(back.kind, back.details, back.summary).startswith(
            "Nyeri tungkai 6/10 kembali mendekati 7/10 sebelum operasi"
        )


def test_missed_check_ins_name_the_last_day_in_the_readers_language(app):
    details = {"reference": "2026-12-05", "days": 3, "last": "2026-12-05"}
    with force_locale("id"):
        assert alert_summary("missed_checkins", details) == (
            "Tidak ada laporan harian selama 3 hari (terakhir 5 Des)"
        )
        assert alert_summary("missed_checkins", {**details, "last": None}).endswith(
            "(belum pernah melapor)"
        )
    with force_locale("en"):
        assert alert_summary("missed_checkins", details) == "No check-in for 3 days (last on 5 Dec)"


def test_an_alert_without_its_facts_shows_the_line_stored_with_it(app, operated):
    assert alert_summary("pain_high", {}, "Pain 8/10, as written then") == (
        "Pain 8/10, as written then"
    )
    assert alert_summary("pain_high", {"back": "x"}, "kept") == "kept"


def test_planned_appointments_in_indonesian_until_staff_retype_them(
    browser, indonesian, make_journey
):
    journey = make_journey()
    browser.sign_in(indonesian)
    page = browser.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Operasi: Diskektomi lumbal endoskopik transforaminal" in page
    assert 'appointment-title">Pemeriksaan pra-operasi<' in page and "Kamar operasi" in page
    assert "Poliklinik rawat jalan" in page
    assert "Surgery: Transforaminal" not in page and "Pre-operative assessment" not in page

    visit = db.session.scalar(sa.select(Appointment).where(Appointment.key == "preop_visit"))
    visit.title, visit.location = "Pre-op with Dr Sita", "Room 4"
    db.session.commit()
    page = browser.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Pre-op with Dr Sita" in page and "Room 4" in page
    assert 'appointment-title">Pemeriksaan pra-operasi<' not in page


@pytest.mark.parametrize(
    ("stored", "indonesian"),
    [
        (
            "A newer change replaced this message.",
            "Perubahan yang lebih baru menggantikan pesan ini.",
        ),
        ("The patient withdrew consent for sms.", "Pasien mencabut persetujuan untuk SMS."),
        ("Goes by email instead: one channel per message.", "Dikirim lewat Email: satu saluran"),
        ("Journey cancelled: the journey is cancelled", "Perjalanan dibatalkan"),
        ("Journey cancelled: patient moved to Surabaya", "Perjalanan dibatalkan: patient moved to"),
        ("Appointment cancelled: clinic closed", "Janji temu dibatalkan: clinic closed"),
        ("The task transport_arranged is already done.", "Tugas transport_arranged sudah selesai."),
        ("The patient already checked in today.", "Pasien sudah melapor hari ini."),
    ],
)
def test_why_a_reminder_was_not_sent_reads_in_the_staff_language(app, stored, indonesian):
    with force_locale("id"):
        assert reminder_reason(stored).startswith(indonesian)
    with force_locale("en"):
        english = stored.split(": the journey")[0].lower()
        assert reminder_reason(stored).lower().startswith(english)
    assert reminder_reason("Called the patient: she asked to stop") == (
        "Called the patient: she asked to stop"  # a person's own words stay as typed
    )


def test_the_outbox_words_rules_and_reasons_for_indonesian_staff(browser, indonesian, make_journey):
    journey = make_journey()
    from tracker.reminders.models import Reminder

    row = db.session.scalar(
        sa.select(Reminder).where(
            Reminder.journey_id == journey.id, Reminder.rule_key == "preop_instructions"
        )
    )
    row.status, row.cancel_code = "cancelled", "obsolete"
    row.status_reason = "A newer change replaced this message."
    db.session.commit()
    browser.sign_in(indonesian)
    page = browser.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Petunjuk pra-operasi" in page and "Preop instructions" not in page
    assert "Perubahan yang lebih baru menggantikan pesan ini." in page
    assert "A newer change replaced" not in page


def test_pathway_names_in_the_readers_language(browser, indonesian, make_journey, count_queries):
    journey = make_journey()
    browser.sign_in(indonesian)
    name = "Diskektomi lumbal endoskopik transforaminal"
    header = browser.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert f'<h2 id="summary-heading">{name}' in header
    for url in ("/patients", "/patients/board", f"/patients/{journey.patient_id}"):
        page = browser.get(url).get_data(as_text=True)
        assert name in page, url
        assert "Transforaminal endoscopic lumbar discectomy" not in page, url
    # One statement for the names of every pathway, however many journeys a list shows.
    browser.get("/patients")
    with count_queries() as one:
        browser.get("/patients")
    make_journey()
    make_journey()
    browser.get("/patients")
    with count_queries() as three:
        browser.get("/patients")
    assert len(three) == len(one)


@pytest.mark.parametrize(
    ("stored", "indonesian", "kept"),
    [
        ("No address to send to.", "Tidak ada alamat tujuan.", ""),
        (
            "Gave up after 5 attempts: SMTP server refused the recipient a@b.test: 450 4.2.1 "
            "mailbox busy",
            "Dihentikan setelah 5 percobaan: Server email menolak alamat a@b.test: ",
            "450 4.2.1 mailbox busy",
        ),
        (
            'SMS gateway answered 400: {"error": "bad number"}',
            "Gateway SMS menjawab 400: ",
            '{"error": "bad number"}',
        ),
        (
            "No answer from the SMS gateway after sending (TimeoutError('timed out')); "
            "it may have been sent.",
            "Tidak ada jawaban dari gateway SMS setelah pengiriman",
            "TimeoutError('timed out')",
        ),
        (
            "Not sent: The patient already checked in today.",
            "Tidak dikirim: Pasien sudah melapor hari ini.",
            "",
        ),
    ],
)
def test_why_a_reminder_failed_reads_in_the_staff_language(app, stored, indonesian, kept):
    with force_locale("id"):
        worded = reminder_error(stored)
    assert worded.startswith(indonesian) and kept in worded
    with force_locale("en"):
        english = reminder_error(stored)
    assert kept in english and not english.startswith(indonesian[:12])
    assert reminder_error("Relay access denied") == "Relay access denied"  # a provider's own


def test_the_outbox_shows_a_failed_reminder_in_the_staff_language(
    browser, indonesian, make_journey
):
    journey = make_journey()
    from tracker.reminders.models import Reminder

    row = db.session.scalar(
        sa.select(Reminder).where(
            Reminder.journey_id == journey.id, Reminder.rule_key == "preop_instructions"
        )
    )
    row.status = "failed"
    row.last_error = "Cannot reach the SMS gateway: [Errno 111] Connection refused"
    db.session.commit()
    browser.sign_in(indonesian)
    page = browser.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Gateway SMS tidak dapat dihubungi: [Errno 111] Connection refused" in page
    assert "Cannot reach the SMS gateway" not in page
