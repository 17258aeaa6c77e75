"""Staff pages in the user's language: Indonesian for a user who chose it, English otherwise."""

import re
from datetime import timedelta

import pytest

from tracker.auth.models import StaffUser
from tracker.clock import clinic_today
from tracker.db import db

#: words of English sentences, which no Indonesian page should show outside patient data
ENGLISH = re.compile(
    r"\b(the|of|and|with|your|today|this|week|patients?|overdue|tasks?|sign)\b", re.I
)


def visible(html: str) -> str:
    """The words a person reads: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def indonesian(make_user) -> StaffUser:
    return make_user("coordinator", language="id", name="Sari Wulandari")


@pytest.fixture
def busy_day(make_journey, make_patient):
    """A journey with a task overdue, so every table of the dashboard has a row."""
    journey = make_journey(make_patient(given_name="Budi", family_name="Santoso"))
    journey.tasks[0].due_on = clinic_today() - timedelta(days=2)
    db.session.commit()
    return journey


def test_the_dashboard_renders_fully_in_indonesian(browser, indonesian, busy_day):
    browser.sign_in(indonesian)
    html = browser.get("/").get_data(as_text=True)
    assert '<html lang="id">' in html
    for word in (
        "Dasbor",
        "Pasien",
        "Peringatan",
        "Keluar",
        "Tugas terlambat",
        "Konsultasi",
        "Janji temu mendatang",
        "Tindakan hari ini",
        "Minggu ini",
        "Akun saya",
    ):
        assert word in html, word
    for english in (
        "Dashboard",
        "Overdue tasks",
        "Upcoming appointments",
        "Procedures today",
        "Sign out",
        "Consultation",
        "Preparation",
        "Follow-up",
        "Change password",
    ):
        assert english not in html, english
    words = visible(html).replace("Budi", "").replace("Santoso", "")
    assert not ENGLISH.findall(words), [
        m.group(0) for m in re.finditer(r".{40}\b(?:and|the)\b.{40}", words)
    ]


def test_an_english_speaking_colleague_still_reads_english(browser, coordinator, busy_day):
    browser.sign_in(coordinator)
    html = browser.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Overdue tasks" in html and "Dasbor" not in html


def test_the_patient_list_and_journey_page_in_indonesian(browser, indonesian, busy_day):
    browser.sign_in(indonesian)
    listing = browser.get("/patients").get_data(as_text=True)
    assert "Tanggal lahir" in listing and "Date of birth" not in listing
    page = browser.get(f"/journeys/{busy_day.id}").get_data(as_text=True)
    assert "Daftar periksa" in page and "Checklist" not in page
    assert "Hernia nukleus pulposus" in page or "Stenosis spinal" in page or "Skiatika" in page


def test_dates_follow_the_language(browser, indonesian, busy_day):
    browser.sign_in(indonesian)
    page = browser.get(f"/journeys/{busy_day.id}").get_data(as_text=True)
    months = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
    pattern = r"\b\d{1,2} (" + "|".join(months) + r") \d{4}\b"
    assert re.search(pattern, page)
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} ", page)


def test_the_account_page_switches_the_language(browser, coordinator):
    browser.sign_in(coordinator)
    assert "My account" in browser.get("/account").get_data(as_text=True)
    response = browser.post("/account", {"language": "id"})
    assert response.status_code == 303
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Halaman Anda sekarang dalam Bahasa Indonesia." in page and "Akun saya" in page
    assert db.session.get(StaffUser, coordinator.id).language == "id"
    browser.post("/account", {"language": "en"})
    assert "Your pages are now in English." in browser.get("/account").get_data(as_text=True)


def test_the_account_page_refuses_an_unknown_language(browser, coordinator):
    browser.sign_in(coordinator)
    assert browser.post("/account", {"language": "fr"}).status_code == 422
    assert db.session.get(StaffUser, coordinator.id).language == "en"


def test_the_sign_in_page_follows_the_browser(client):
    page = client.get("/sign-in", headers={"Accept-Language": "id-ID,id;q=0.9"})
    assert '<html lang="id">' in page.get_data(as_text=True)
    assert "Masuk" in page.get_data(as_text=True)


def test_the_api_stays_in_english(client):
    body = client.get("/api/v1/patients", headers={"Accept-Language": "id"}).get_json()
    assert body["code"] == 401 and "Lanjutkan" not in str(body)


def test_numbers_follow_the_language(app):
    from flask_babel import force_locale

    from tracker.web import number

    with app.test_request_context():
        with force_locale("id"):
            assert (number(1234.5), number(-2.5, signed=True), number(3)) == (
                "1.234,5",
                "-2,5",
                "3",
            )
        with force_locale("en"):
            assert (number(1234.5), number(2.5, signed=True)) == ("1,234.5", "+2.5")
