"""The shell in a real browser: sign in, dashboard, add a patient, find them, sign out."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_sign_in_add_a_patient_find_them_and_sign_out(
    page, live_server, coordinator, make_journey, check_axe
):
    make_journey()  # something on the dashboard
    page.goto(f"{live_server}/patients")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    check_axe(page)

    sign_in(page, live_server, coordinator.email, password="not the password")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    sign_in(page, live_server, coordinator.email)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".stage-count-consultation .stage-count-n")).to_have_text("1")
    check_axe(page)

    page.get_by_role("link", name="New patient").first.click()
    expect(page.get_by_role("heading", name="New patient")).to_be_visible()
    check_axe(page)
    page.get_by_label("Given name").fill("Ratna")
    page.get_by_label("Family name").fill("Kusumadewi")
    page.get_by_label("Medical record number (MRN)").fill("MRN-2026-0777")
    page.get_by_label("Date of birth").fill("1969-04-02")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Mobile phone").fill("0812 3456")  # not international: refused
    page.get_by_label("Agrees to reminders by SMS").check()
    page.get_by_role("button", name="Add patient").click()
    expect(page.locator("#phone-error")).to_contain_text("international form")
    expect(page.get_by_label("Given name")).to_have_value("Ratna")
    check_axe(page)
    page.get_by_label("Mobile phone").fill("+62 812 3456 7890")
    page.get_by_role("button", name="Add patient").click()

    expect(page.get_by_role("heading", name="Ratna Kusumadewi")).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("Ratna Kusumadewi is added")
    expect(page.get_by_text("+6281234567890")).to_be_visible()
    check_axe(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Name or MRN").fill("kusuma")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/patients\?q=kusuma"))
    rows = page.locator("table.table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("MRN-2026-0777")
    check_axe(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flash-success")).to_contain_text("signed out")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_keyboard_user_can_sign_in_and_skip_to_content(page, live_server, coordinator):
    page.goto(f"{live_server}/sign-in")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus: type straight away
    page.keyboard.type(coordinator.email)
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_board_and_patient_page_are_accessible(
    signed_in_page, live_server, make_journey, check_axe
):
    journey = make_journey()
    signed_in_page.goto(f"{live_server}/patients/board")
    expect(signed_in_page.locator(".board-consultation .board-card")).to_have_count(1)
    check_axe(signed_in_page)
    signed_in_page.goto(f"{live_server}/patients/{journey.patient_id}")
    check_axe(signed_in_page)
    signed_in_page.goto(f"{live_server}/patients/{journey.patient_id}/edit")
    check_axe(signed_in_page)
