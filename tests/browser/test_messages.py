"""Messages on a 375 px phone: write to the care team with a wound photo; staff see and reply."""

import io
from datetime import timedelta

import pytest
from PIL import Image

from tests.browser.conftest import sign_in
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import services

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
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


def test_a_patient_sends_a_wound_photo_and_staff_reply(
    small_phone, page, live_server, make_journey, make_patient, coordinator, check_axe, tmp_path
):
    surgery = utcnow().replace(microsecond=0) - timedelta(days=4)
    journey = make_journey(
        make_patient(given_name="Siti", family_name="Rahayu"),
        surgery_at=surgery,
        consultation_date=(surgery - timedelta(days=20)).date(),
    )
    _invitation, token = services.issue_invitation(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    photo = tmp_path / "wound.jpg"
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (220, 170, 150)).save(out, "JPEG")
    photo.write_bytes(out.getvalue())

    phone = small_phone
    phone.goto(f"{live_server}/portal/i/{token}")
    phone.get_by_role("button", name="Continue").tap()
    phone.wait_for_url(f"{live_server}/portal/")
    phone.get_by_role("link", name="Messages").tap()
    expect(phone.get_by_text("We answer within one working day")).to_be_visible()
    check_axe(phone)
    phone.get_by_label("Your message").fill("Is this normal?")
    phone.get_by_label("Photos (up to 3)").set_input_files(str(photo))
    phone.get_by_role("button", name="Send to the care team").tap()
    expect(phone.get_by_text("Is this normal?")).to_be_visible()
    expect(phone.locator("img.thumb")).to_have_count(1)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a small phone"
    check_axe(phone)

    sign_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/messages")
    check_axe(page)
    page.get_by_role("link", name="Siti Rahayu").click()
    expect(page.locator("img.thumb")).to_have_count(1)
    check_axe(page)
    page.get_by_label("Saved reply").select_option("wound_normal")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()

    phone.goto(f"{live_server}/portal/messages")
    expect(phone.get_by_text("The wound looks as expected")).to_be_visible()
