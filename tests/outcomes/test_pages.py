"""The pages: the journey's outcome card, the dashboard card, paper entry, the report; and the
patient's questionnaire in the portal (Indonesian, one item per screen, without JavaScript)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.outcomes.conftest import ODI_28, ODI_60
from tests.portal.conftest import Portal, csrf_from
from tests.web.conftest import Browser
from tracker.db import db
from tracker.outcomes.models import QuestionnaireResponse
from tracker.portal import services as portal


@pytest.fixture
def staff(client, coordinator, clock):
    browser = Browser(client)
    browser.sign_in(coordinator)
    return browser


def text_of(html: str) -> str:
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_journey_page_shows_the_outcome_against_baseline(staff, operated, answer):
    journey = operated(60)
    answer(journey, "odi", ODI_60, at=journey.surgery_at - timedelta(days=3))
    answer(journey, "odi", ODI_28, at=journey.surgery_at + timedelta(days=43))
    page = staff.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert 'id="outcomes"' in page
    words = text_of(page)
    assert "ODI 60 → 28" in words and "MCID reached" in words
    assert "(-32 at 6 weeks)" in words
    assert 'class="outcome-chart"' in page and "ODI against baseline" in page
    assert "Enter paper answers" in page
    assert "style=" not in page[page.index('id="outcomes"') :].split("</section>")[0]


def test_the_dashboard_lists_overdue_questionnaires(staff, operated):
    journey = operated(44)  # six weeks due on day 42, open until day 49
    page = staff.get("/").get_data(as_text=True)
    card = page[page.index('id="overdue-q-h"') :]
    assert journey.patient.full_name in card.split("</section>")[0]
    assert "6 weeks" in card.split("</section>")[0]


def test_paper_entry_marks_the_answers_as_staff_entered(staff, operated, coordinator):
    journey = operated(44)
    url = f"/journeys/{journey.id}/questionnaires/6w/new"
    form = staff.get(url).get_data(as_text=True)
    assert "Oswestry Disability Index" in form and 'name="odi-walking"' in form
    data = {f"odi-{key}": "2" for key in ("pain_intensity", "personal_care", "lifting")}
    data.update({"completed_on": str((NOW + timedelta(hours=7)).date()), "source": "paper"})
    data["odi-walking"] = "9"  # not an option
    refused = staff.post(url, data)
    assert refused.status_code == 422
    assert "Item 4 (Walking): 9 is not an answer" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionnaireResponse)) == 0
    data["odi-walking"] = "2"
    data.update({"back_pain-back_pain": "3", "leg_pain-leg_pain": "2"})
    data["global_change-global_change"] = "2"
    saved = staff.post(url, data)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#outcomes")
    rows = db.session.scalars(sa.select(QuestionnaireResponse)).all()
    assert {r.instrument_key for r in rows} == {"odi", "back_pain", "leg_pain", "global_change"}
    assert {(r.source, r.entered_by, r.entered_by_id) for r in rows} == {
        ("paper", "staff", coordinator.id)
    }
    odi = next(r for r in rows if r.instrument_key == "odi")
    assert (odi.score, odi.missing) == (None, 6)  # seven items left empty: not scored
    page = text_of(staff.get(f"/journeys/{journey.id}").get_data(as_text=True))
    assert "Paper Cora Ordinator" in page


def test_the_report_page(staff, operated, answer):
    journey = operated(60)
    answer(journey, "odi", ODI_60, at=journey.surgery_at - timedelta(days=3))
    answer(journey, "odi", ODI_28, at=journey.surgery_at + timedelta(days=43))
    page = staff.get("/reports/outcomes?pathway=teld").get_data(as_text=True)
    words = text_of(page)
    assert "Patients operated 1" in words
    assert "Fewer than 5 patients match" in words
    assert "28 (28–28) n=1" in words
    assert "100 % 1/1" in words  # ODI MCID at 6 weeks
    assert "Download CSV" in page and "/reports/outcomes.csv?pathway=teld" in page
    assert "data-print" in page and "js/print.js" in page
    assert "<script>" not in page and "style=" not in page
    bad = staff.get("/reports/outcomes?surgery_from=2026-12-01&surgery_to=2026-11-01")
    assert bad.status_code == 422 and "before its start" in bad.get_data(as_text=True)


def test_staff_pages_need_a_clinical_sign_in(client, make_user, operated):
    journey = operated(44)
    assert client.get("/reports/outcomes").status_code == 302
    admin = Browser(client)
    admin.sign_in(make_user("admin"))
    assert client.get("/reports/outcomes").status_code == 403
    assert client.get(f"/journeys/{journey.id}/questionnaires/6w/new").status_code == 403


# ---- the patient's side -----------------------------------------------------------------------


@pytest.fixture
def patient_phone(app, operated, coordinator, make_patient, clock):
    """A patient (Indonesian) on day 40: the six-week questionnaire is open."""
    journey = operated(40, patient=make_patient(language="id"))
    _invitation, token = portal.issue_invitation(journey, actor=coordinator, now=NOW)
    db.session.commit()
    phone = Portal(app)
    phone.open(token)
    return journey, phone


def test_the_patient_answers_in_indonesian_without_javascript(patient_phone):
    journey, phone = patient_phone
    home = phone.page("/portal/")
    assert "Beberapa pertanyaan untuk Anda" in home
    start = phone.get("/portal/questionnaires/6w")
    assert start.status_code == 200 and "Mulai" in start.get_data(as_text=True)
    first = phone.page("/portal/questionnaires/6w/1")
    assert "Pertanyaan 1 dari 13" in first and "Intensitas nyeri" in first
    assert 'lang="id"' in first
    values = [2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 3, 2, 2]
    for number, value in enumerate(values, start=1):
        response = phone.post(f"/portal/questionnaires/6w/{number}", {"answer": str(value)})
        assert response.status_code == 303
    assert response.headers["Location"].endswith("/portal/questionnaires/6w/review")
    review = phone.page("/portal/questionnaires/6w/review")
    assert "Periksa jawaban Anda" in review and "Jauh lebih baik" in review
    sent = phone.post("/portal/questionnaires/6w/submit", page="/portal/questionnaires/6w/review")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/6w/thanks")
    assert "Terima kasih" in phone.page("/portal/questionnaires/6w/thanks")
    odi = db.session.scalar(
        sa.select(QuestionnaireResponse).where(QuestionnaireResponse.instrument_key == "odi")
    )
    assert (odi.score, odi.status, odi.entered_by) == (28.0, "completed", "patient")
    # Opening it again shows the thanks; posting again changes nothing.
    assert phone.get("/portal/questionnaires/6w").headers["Location"].endswith("/thanks")
    again = phone.post(
        "/portal/questionnaires/6w/1", {"answer": "5"}, page="/portal/questionnaires/6w/thanks"
    )
    assert again.status_code == 303
    db.session.refresh(odi)
    assert odi.score == 28.0


def test_each_tap_is_saved_and_the_patient_resumes_where_they_stopped(patient_phone):
    journey, phone = patient_phone
    page = phone.page("/portal/questionnaires/6w/1")
    assert "data-autosave" in page and "js/questionnaire.js" in page
    token = csrf_from(page)
    # What the script sends on a tap: saved at once, answered in JSON.
    tap = phone.client.post(
        "/portal/questionnaires/6w/1",
        data={"csrf_token": token, "answer": "4"},
        headers={"Accept": "application/json"},
    )
    assert tap.status_code == 200
    assert tap.get_json() == {"saved": True, "next": "/portal/questionnaires/6w/2"}
    skipped = phone.post("/portal/questionnaires/6w/2", {"skip": "1"})
    assert skipped.headers["Location"].endswith("/6w/3")
    # The phone slept; the link opens the questionnaire where the patient stopped.
    resume = phone.get("/portal/questionnaires/6w")
    assert resume.status_code == 303 and resume.headers["Location"].endswith("/6w/3")
    again = phone.page("/portal/questionnaires/6w/1")
    assert 'value="4" checked' in again
    bad = phone.client.post(
        "/portal/questionnaires/6w/3",
        data={"csrf_token": token, "answer": "9"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 422 and bad.get_json()["saved"] is False


def test_the_portal_questionnaire_is_the_patients_own(patient_phone, app):
    journey, phone = patient_phone
    stranger = Portal(app)
    assert stranger.get("/portal/questionnaires/6w/1").status_code == 401
    assert phone.get("/portal/questionnaires/12m").status_code == 409  # not open yet
    assert phone.get("/portal/questionnaires/9w").status_code == 404


def test_a_baseline_form_from_the_morning_of_the_operation(staff, make_journey, clock):
    journey = make_journey(surgery_at=NOW + timedelta(hours=3))  # 13:00 today in Jakarta
    url = f"/journeys/{journey.id}/questionnaires/baseline/new"
    data = {f"odi-{item}": "3" for item in ("pain_intensity", "personal_care", "lifting")}
    data.update({f"odi-{item}": "3" for item in ("walking", "sitting", "standing", "sleeping")})
    data.update({"odi-sex_life": "3", "odi-social_life": "3", "odi-travelling": "3"})
    data.update({"back_pain-back_pain": "5", "leg_pain-leg_pain": "7", "source": "paper"})
    data["completed_on"] = str((NOW + timedelta(hours=7)).date())
    assert staff.post(url, data).status_code == 303
    odi = db.session.scalar(
        sa.select(QuestionnaireResponse).where(QuestionnaireResponse.instrument_key == "odi")
    )
    assert (odi.timepoint, odi.score) == ("baseline", 60.0)
    assert odi.completed_at < journey.surgery_at


def test_paper_entry_in_the_staff_language(client, make_user, operated, clock):
    journey = operated(44)
    staff = Browser(client)
    staff.sign_in(make_user("coordinator", language="id"))
    form = staff.get(f"/journeys/{journey.id}/questionnaires/6w/new").get_data(as_text=True)
    assert '<html lang="id">' in form
    assert "<legend>Indeks Disabilitas Oswestry</legend>" in form
    assert "Intensitas nyeri" in form and "Saat ini saya tidak merasa nyeri." in form
    assert "Pain intensity" not in form and "I have no pain at the moment." not in form
