"""The patient portal on a phone-sized screen: open the link, continue, log pain, red flag."""

import re
from pathlib import Path

import pytest

from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import services

expect = pytest.importorskip("playwright.sync_api").expect

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        bypass_csp=True,  # axe-core is injected as an inline script, which our CSP forbids
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def portal_link(make_journey, make_patient, coordinator):
    def make(language: str = "en") -> str:
        from datetime import timedelta

        surgery = utcnow().replace(microsecond=0) - timedelta(days=4)
        journey = make_journey(
            make_patient(given_name="Siti", family_name="Rahayu", language=language),
            surgery_at=surgery,
            consultation_date=(surgery - timedelta(days=20)).date(),
        )
        _invitation, token = services.issue_invitation(journey, actor=coordinator, now=utcnow())
        db.session.commit()
        return f"/portal/i/{token}"

    return make


def test_check_in_and_red_flag_on_a_phone(phone_page, live_server, portal_link, check_axe, app):
    page = phone_page
    page.goto(live_server + portal_link())
    assert page.get_by_role("heading", name="Welcome").is_visible()
    check_axe(page)
    page.get_by_role("button", name="Continue").tap()
    page.wait_for_url(f"{live_server}/portal/")
    assert page.get_by_role("heading", name="Hello, Siti").is_visible()
    check_axe(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-home-phone.png"), full_page=True)

    page.get_by_role("link", name="Log today's pain").tap()
    back = page.get_by_role("group", name="Back pain now")
    leg = page.get_by_role("group", name="Leg pain now")
    back.get_by_text("4", exact=True).tap()
    leg.get_by_text("6", exact=True).tap()
    page.get_by_role("group", name="Did you take pain medicine today?").get_by_text("Yes").tap()
    check_axe(page)
    page.screenshot(path=str(ARTIFACTS / "portal-check-in-phone.png"), full_page=True)
    # Every tap target is large enough for a sore thumb.
    box = back.locator("label").first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    page.get_by_label("Fever or chills").check()
    page.get_by_role("button", name="Send").tap()

    page.wait_for_url(re.compile(rf"{live_server}/portal/check-in/\d+/advice"))
    assert page.get_by_role("heading", name="Call the clinic today", exact=True).is_visible()
    call = page.get_by_role("link", name=f"Call the clinic: {app.config['CLINIC_PHONE']}").first
    assert call.is_visible()
    assert call.get_attribute("href").startswith("tel:")
    check_axe(page)
    page.screenshot(path=str(ARTIFACTS / "portal-advice-phone.png"), full_page=True)

    page.goto(f"{live_server}/portal/milestones")
    check_axe(page)


def test_the_portal_in_indonesian(phone_page, live_server, portal_link, check_axe):
    page = phone_page
    page.goto(live_server + portal_link("id"))
    page.get_by_role("button", name="Lanjutkan").tap()
    page.wait_for_url(f"{live_server}/portal/")
    assert page.get_by_role("heading", name="Halo, Siti").is_visible()
    page.get_by_role("link", name="Catat nyeri hari ini").tap()
    page.get_by_role("group", name="Nyeri punggung sekarang").get_by_text("2", exact=True).tap()
    page.get_by_role("group", name="Nyeri tungkai sekarang").get_by_text("1", exact=True).tap()
    page.get_by_role("group", name="Apakah Anda minum obat nyeri hari ini?").get_by_text(
        "Tidak"
    ).tap()
    check_axe(page)
    page.get_by_role("button", name="Kirim").tap()
    page.wait_for_url(f"{live_server}/portal/check-in/thanks")
    assert page.get_by_role("heading", name="Terima kasih").is_visible()
    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    check_axe(page)


@pytest.fixture
def small_phone(browser):
    """375 px wide: the smallest common phone screen."""
    context = browser.new_context(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        bypass_csp=True,  # axe-core is injected as an inline script, which our CSP forbids
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_saddle_numbness_says_emergency_now_with_a_tap_to_call_number_at_375px(
    small_phone, live_server, portal_link, check_axe, app
):
    page = small_phone
    page.goto(live_server + portal_link())
    page.get_by_role("button", name="Continue").tap()
    page.wait_for_url(f"{live_server}/portal/")
    page.get_by_role("link", name="Log today's pain").tap()
    page.get_by_role("group", name="Back pain now").get_by_text("3", exact=True).tap()
    page.get_by_role("group", name="Leg pain now").get_by_text("5", exact=True).tap()
    page.get_by_role("group", name="Did you take pain medicine today?").get_by_text("No").tap()
    page.get_by_label(re.compile("Numbness between the legs")).check()
    page.get_by_role("button", name="Send").tap()

    page.wait_for_url(re.compile(rf"{live_server}/portal/check-in/\d+/advice"))
    heading = page.get_by_role("heading", name="Go to the emergency department now", exact=True)
    expect(heading).to_be_visible()
    emergency = page.get_by_role("link", name=f"Call {app.config['EMERGENCY_PHONE']} (emergency)")
    assert emergency.first.get_attribute("href") == f"tel:{app.config['EMERGENCY_PHONE']}"
    # The emergency call comes first, above the fold, big enough for a thumb; then the clinic.
    box = emergency.first.bounding_box()
    assert box["y"] + box["height"] <= 667 and box["height"] >= 44 and box["width"] >= 280
    clinic = page.get_by_role("link", name=f"Call the clinic: {app.config['CLINIC_PHONE']}")
    assert clinic.first.bounding_box()["y"] > box["y"]
    expect(
        page.get_by_text("Your answers are saved and the clinic team has been told.")
    ).to_be_visible()
    # Nothing wider than the screen (no sideways scrolling on a small phone).
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_axe(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-emergency-375.png"), full_page=True)


def test_a_patient_who_lost_the_link_asks_for_a_new_one_at_375px(
    small_phone, live_server, check_axe
):
    page = small_phone
    page.goto(f"{live_server}/portal/")
    expect(
        page.get_by_role("heading", name="Lost your link? We can send you a new one")
    ).to_be_visible()
    check_axe(page)
    page.get_by_label("Your date of birth").fill("1970-05-17")
    page.get_by_label("Your mobile number or email address").fill("0812 3456 7890")
    page.get_by_role("button", name="Send me my link").tap()
    page.wait_for_url(f"{live_server}/portal/link-sent")
    expect(page.get_by_role("heading", name="Check your messages")).to_be_visible()
    check_axe(page)
