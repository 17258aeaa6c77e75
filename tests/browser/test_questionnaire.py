"""A patient answers the six-week ODI on a 375 px phone, in Indonesian: large targets, progress,
each tap saved by the page's script, resumed after leaving, sent once."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.clock import utcnow
from tracker.db import db
from tracker.outcomes import catalogue
from tracker.outcomes.models import QuestionnaireResponse
from tracker.portal import services

expect = pytest.importorskip("playwright.sync_api").expect

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
#: the option chosen for each ODI item (sum 14: ODI 28), then back, leg pain and change
ODI = [2, 1, 2, 1, 2, 1, 2, 1, 1, 1]


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        bypass_csp=True,  # axe-core is injected as an inline script, which our CSP forbids
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def six_weeks_link(make_journey, make_patient, coordinator):
    """An Indonesian patient 40 days after surgery: the 6-week questionnaire is open."""
    catalogue.load_directory(now=utcnow())
    surgery = utcnow().replace(microsecond=0) - timedelta(days=40)
    journey = make_journey(
        make_patient(given_name="Rina", family_name="Kusumawati", language="id"),
        surgery_at=surgery,
        consultation_date=(surgery - timedelta(days=20)).date(),
    )
    _invitation, token = services.issue_invitation(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    return journey, f"/portal/i/{token}"


def answer(page, step: int, value: str) -> None:
    """Tap an option and wait until the script says it is saved."""
    expect(page.get_by_text(f"Pertanyaan {step} dari 13")).to_be_visible()
    option = page.locator(f"label[for='answer-{value}']")
    box = option.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box  # a thumb's worth
    option.tap()
    expect(page.get_by_role("status")).to_have_text("Tersimpan")


def test_answering_the_odi_on_a_375px_phone(small_phone, live_server, six_weeks_link, check_axe):
    journey, link = six_weeks_link
    page = small_phone
    page.goto(live_server + link)
    page.get_by_role("button", name="Lanjutkan").tap()
    page.wait_for_url(f"{live_server}/portal/")
    expect(page.get_by_role("heading", name="Beberapa pertanyaan untuk Anda")).to_be_visible()
    page.get_by_role("link", name="Jawab pertanyaannya").tap()
    expect(page.get_by_text("Ada 13 pertanyaan")).to_be_visible()
    page.get_by_role("link", name="Mulai").tap()

    expect(page.get_by_role("group", name="Intensitas nyeri")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    check_axe(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "questionnaire-odi-375.png"), full_page=True)
    for step, value in enumerate(ODI[:5], start=1):
        answer(page, step, str(value))
        if step < 5:
            page.get_by_role("button", name="Berikutnya").tap()
    # The phone sleeps after the fifth tap, before "Next": reopening continues at the sixth.
    page.goto(f"{live_server}/portal/")
    page.get_by_role("link", name="Lanjutkan menjawab").tap()
    expect(page.get_by_text("Pertanyaan 6 dari 13")).to_be_visible()
    progress = page.locator("progress")
    assert progress.get_attribute("value") == "5" and progress.get_attribute("max") == "13"
    for step, value in enumerate(ODI[5:], start=6):
        answer(page, step, str(value))
        page.get_by_role("button", name="Berikutnya").tap()
    answer(page, 11, "3")  # back pain, on the 0-10 scale
    page.get_by_role("button", name="Berikutnya").tap()
    answer(page, 12, "2")  # leg pain
    page.get_by_role("button", name="Berikutnya").tap()
    answer(page, 13, "2")  # much better
    page.get_by_role("button", name="Periksa jawaban saya").tap()

    expect(page.get_by_role("heading", name="Periksa jawaban Anda")).to_be_visible()
    expect(page.get_by_text("Jauh lebih baik")).to_be_visible()
    check_axe(page)
    page.get_by_role("button", name="Kirim jawaban saya").tap()
    expect(page.get_by_role("heading", name="Terima kasih")).to_be_visible()
    page.go_back()  # back to the review and sending again: nothing new
    if page.get_by_role("button", name="Kirim jawaban saya").count():
        page.get_by_role("button", name="Kirim jawaban saya").tap()
    expect(page.get_by_role("heading", name="Terima kasih")).to_be_visible()

    db.session.expire_all()
    responses = db.session.scalars(
        sa.select(QuestionnaireResponse).where(QuestionnaireResponse.journey_id == journey.id)
    ).all()
    assert sorted(r.instrument_key for r in responses) == [
        "back_pain",
        "global_change",
        "leg_pain",
        "odi",
    ]
    odi = next(r for r in responses if r.instrument_key == "odi")
    assert (odi.score, odi.band, odi.status, odi.source) == (
        28.0,
        "moderate",
        "completed",
        "portal",
    )
