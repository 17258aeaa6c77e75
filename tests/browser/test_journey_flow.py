"""A coordinator's whole day with one patient, in a real browser: register, start the journey,
move the surgery, take the patient through all five stages, sign out. Axe checks every screen."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def base_url(live_server) -> str:
    return str(getattr(live_server, "url", live_server)).rstrip("/")


def stage_section(page, stage: str):
    return page.locator("section.checklist-stage", has=page.locator(f"#stage-{stage}"))


def test_journey_from_registration_to_completion(
    live_server, signed_in_page, check_axe, templates, surgeon, app
):
    page = signed_in_page
    base = base_url(live_server)
    today = datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"])).date()

    # A new patient.
    page.goto(f"{base}/patients/new")
    page.fill("#given_name", "Budi")
    page.fill("#family_name", "Santoso")
    page.fill("#mrn", "RS-204118")
    page.fill("#birth_date", "1968-03-14")
    page.select_option("#sex", "male")
    page.fill("#phone", "+6281234567890")
    page.fill("#email", "budi.santoso@example.com")
    page.select_option("#timezone", "Asia/Jakarta")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Budi Santoso")

    # Start the journey.
    page.get_by_role("link", name="Start journey").click()
    expect(page.get_by_role("heading", name="Start a journey")).to_be_visible()
    check_axe(page)
    page.select_option("#template_id", str(templates["teld"].id))
    page.select_option("#condition", "herniated_disc")
    page.fill("#levels", "L4-L5")
    page.select_option("#side", "left")
    page.select_option("#approach", "transforaminal")
    page.select_option("#anesthesia", "local_sedation")
    page.select_option("#surgeon_id", label=surgeon.name)
    page.fill("#consultation_date", today.isoformat())
    surgery_day = today + timedelta(days=14)
    page.fill("#surgery_date", surgery_day.isoformat())
    page.fill("#surgery_time", "08:30")
    page.get_by_role("button", name="Start journey").click()
    expect(page.locator(".flash-success")).to_contain_text("Journey started for Budi Santoso")
    expect(page.locator(".journey-summary")).to_contain_text(f"{surgery_day.day} ")
    expect(page.locator(".journey-summary")).to_contain_text("08:30")
    expect(page.locator('[aria-current="step"]')).to_contain_text("Consultation")
    check_axe(page)

    # Reschedule: preview what moves, then confirm.
    page.get_by_role("link", name="Reschedule surgery").click()
    expect(page.get_by_role("heading", name="Reschedule surgery")).to_be_visible()
    check_axe(page)
    new_day = surgery_day + timedelta(days=7)
    page.fill("#surgery_date", new_day.isoformat())
    page.fill("#surgery_time", "10:00")
    page.fill("#reason", "Theatre list moved")
    page.get_by_role("button", name="Show what will move").click()
    expect(page.locator(".moves-table caption")).to_contain_text("will move with it")
    expect(page.locator(".moves-table")).to_contain_text("Pre-operative assessment")
    check_axe(page)
    page.get_by_role("button", name="Confirm new surgery time").click()
    expect(page.locator(".flash-success")).to_contain_text("Surgery moved")
    expect(page.locator(".journey-summary")).to_contain_text("10:00")

    # Consultation done properly: every task ticked off, then advance without override.
    consultation = stage_section(page, "consultation")
    done_buttons = consultation.get_by_role("button", name=re.compile("^Mark done"))
    while done_buttons.count():
        done_buttons.first.click()
        expect(page.locator(".flash-success")).to_contain_text("Done:")
    page.get_by_role("button", name="Advance to Preparation").click()
    expect(page.locator('[aria-current="step"]')).to_contain_text("Preparation")

    # The other stages go on with unfinished tasks: the override asks for a reason.
    for label in ("Procedure", "Discharge", "Follow-up"):
        page.get_by_role("link", name=re.compile(f"^Advance to {label}")).click()
        expect(page.locator(".callout-warning")).to_contain_text("not done")
        check_axe(page)
        page.get_by_role("button", name="Go on without them").click()
        expect(page.get_by_text("give a reason to go on anyway", exact=False)).to_be_visible()
        page.fill("#override_reason", f"Demo: {label} tasks are recorded on paper")
        page.get_by_role("button", name="Go on without them").click()
        expect(page.locator('[aria-current="step"]')).to_contain_text(label)

    page.get_by_role("link", name=re.compile("^Complete journey")).click()
    page.fill("#override_reason", "Outcome checks continue at the partner clinic")
    page.get_by_role("button", name="Go on without them").click()
    expect(page.locator(".flash-success")).to_contain_text("Journey completed.")
    expect(page.locator(".journey-header-status")).to_contain_text("Completed")
    expect(page.locator(".journey-timeline .is-done")).to_have_count(5)
    check_axe(page)
    journey_url = page.url

    # Sign out: the journey is no longer reachable.
    page.get_by_role("button", name="Sign out").click()
    page.goto(journey_url)
    expect(page).to_have_url(re.compile("/sign-in"))
