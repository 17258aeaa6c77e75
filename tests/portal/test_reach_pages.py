"""What the patient reads: advice fitted to the warning sign, Indonesian everywhere it is meant
to be, milestones that agree with the record; and the staff warning about the link address."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.web.conftest import Browser
from tracker.clock import utcnow
from tracker.db import db
from tracker.journeys import services as journeys
from tracker.portal import calendar, milestones
from tracker.portal.models import CheckIn
from tracker.reminders.models import Reminder
from tracker.reminders.rendering import render


@pytest.mark.parametrize(
    ("flag", "heading", "first_call"),
    [
        ("flag_saddle", "Go to the emergency department now", "tel:112"),
        ("flag_both_legs", "Go to the emergency department now", "tel:112"),
        ("flag_weakness", "Call the clinic now", "tel:+622155501"),
        ("flag_fever", "Call the clinic today", "tel:+622155501"),
        ("flag_wound", "Call the clinic today", "tel:+622155501"),
    ],
)
def test_the_advice_fits_the_warning_sign(recovering, invite, phone, flag, heading, first_call):
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    response = patient.check_in(**{flag: "y"})
    html = patient.page(response.headers["Location"])
    main = html.split("<main", 1)[1]
    assert f'<h1 id="now-h">{heading}</h1>' in main
    assert "Your answers are saved and the clinic team has been told." in main
    assert re.search(r'href="(tel:[^"]+)"', main).group(1).startswith(first_call)
    assert "tel:+622155501" in main  # the clinic's number is always there


def test_the_emergency_advice_in_indonesian(recovering, invite, phone):
    journey = recovering(language="id")
    patient = phone()
    patient.open(invite(journey))
    html = patient.page(patient.check_in(flag_both_legs="y").headers["Location"])
    assert "Segera ke instalasi gawat darurat (IGD) sekarang" in html
    assert "Telepon 112 (gawat darurat)" in html


def test_indonesian_titles_and_places_in_the_portal_the_feed_and_messages(
    recovering, invite, phone, now
):
    journey = recovering(days_ago=1, language="id")
    patient = phone()
    patient.open(invite(journey))
    home = patient.page("/portal/")
    assert "Pemeriksaan luka (2 minggu)" in home and "Poliklinik rawat jalan" in home
    assert "Outpatient clinic" not in home and "Wound check" not in home
    feed = calendar.journey_feed(journey, "id", now=now).decode()
    assert "Poliklinik rawat jalan" in feed and "Kamar operasi" in feed
    assert "Diskektomi lumbal endoskopik transforaminal" in feed
    assert "Operating theatre" not in feed and "Outpatient clinic" not in feed
    reminder = db.session.scalar(
        sa.select(Reminder).where(
            Reminder.journey_id == journey.id, Reminder.rule_key == "followup_day_before"
        )
    )
    _subject, text, _html = render(reminder)
    assert "Poliklinik rawat jalan" in text and "Pemeriksaan luka" in text


def test_a_hand_booked_appointment_is_named_by_its_kind_for_the_patient(
    recovering, invite, phone, coordinator
):
    journey = recovering(language="id")
    journeys.create_appointment(
        journey,
        {
            "kind": "follow_up",
            "title": "Dr H. quick look",
            "starts_at": utcnow() + timedelta(days=3),
            "location": "Room 3",
        },
        actor=coordinator,
        now=utcnow(),
    )
    db.session.commit()
    patient = phone()
    patient.open(invite(journey))
    home = patient.page("/portal/")
    assert "Janji kontrol" in home and "Room 3" in home and "quick look" not in home


def test_milestones_the_record_shows_are_reached_not_overdue(make_journey, coordinator, now):
    journey = make_journey()
    walked = next(t for t in journey.tasks if t.key == "walked_after")
    journeys.complete_task(walked, actor=coordinator, now=journey.surgery_at + timedelta(hours=3))
    journey.discharged_at = journey.surgery_at + timedelta(hours=6)
    db.session.commit()
    items = {m.key: m for m in milestones.milestones(journey)}
    later = journey.surgery_at.date() + timedelta(days=5)
    for key in ("walked_unassisted", "went_home"):
        assert items[key].reached_on == journey.surgery_at.date()
        assert items[key].source == "record"
        assert items[key].status(later) == "on_time"
    assert items["ate_drank_voided"].status(later) == "overdue"  # the record does not show it


def test_staff_mark_and_correct_a_milestone(recovering, coordinator, client):
    journey = recovering(days_ago=6)
    staff = Browser(client)
    staff.sign_in(coordinator)
    page = f"/journeys/{journey.id}"
    day = (utcnow() - timedelta(days=1)).astimezone(ZoneInfo(journey.patient.timezone)).date()
    url = f"/journeys/{journey.id}/milestones/desk_work"
    assert staff.post(url, {"reached_on": day.isoformat()}, page=page).status_code == 303
    assert staff.post(url, {"reached_on": "tomorrow"}, page=page).status_code == 303
    item = {m.key: m for m in milestones.milestones(journey)}["desk_work"]
    assert (item.reached_on, item.source, item.entered_by_name) == (
        day,
        "staff",
        coordinator.name,
    )
    html = staff.get(page).get_data(as_text=True)
    assert f"entered by staff: {coordinator.name}" in html


def test_staff_pages_warn_when_patient_links_point_elsewhere(app, client, coordinator):
    staff = Browser(client)
    staff.sign_in(coordinator)
    app.config["PORTAL_BASE_URL"] = "http://localhost"  # the test client's own host
    assert "Patient links point elsewhere" not in staff.get("/").get_data(as_text=True)
    app.config["PORTAL_BASE_URL"] = "http://127.0.0.1:5000"
    html = staff.get("/").get_data(as_text=True)
    assert "Patient links point elsewhere" in html and "http://127.0.0.1:5000" in html
    assert "Patient links point elsewhere" not in client.get("/portal/").get_data(as_text=True)


def test_a_check_in_with_both_legs_flag_is_kept(recovering, invite, phone):
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    patient.check_in(flag_both_legs="y")
    check_in = db.session.scalar(sa.select(CheckIn))
    assert check_in.flag_both_legs and check_in.red_flags == ["flag_both_legs"]
