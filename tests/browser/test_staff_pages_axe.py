"""axe-core on every staff page, in English and in Indonesian: no serious or critical violation.

The pages are found from the app's URL map (every GET route of a staff blueprint), so a new
staff page is checked without touching this file.
"""

import re
from datetime import timedelta

import pytest

from tests.browser.conftest import sign_in
from tests.conftest import totp_code
from tracker.clock import clinic_today
from tracker.db import db

#: blueprints whose pages patients read, and routes that answer with a file, not a page
NOT_STAFF_PAGES = ("portal.", "questionnaires.", "static", "healthz", "api", "fhir")
FILES = re.compile(r"(export|download|pdf|csv|calendar|qr|\.ics)", re.I)


def staff_pages(app, ids: dict[str, int]) -> list[tuple[str, str]]:
    """(endpoint, url) of every staff page reachable with a GET and the given ids."""
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            endpoint = rule.endpoint
            if "GET" not in rule.methods or endpoint.startswith(NOT_STAFF_PAGES):
                continue
            if rule.rule.startswith(("/api/", "/portal", "/fhir")) or FILES.search(rule.rule):
                continue
            if not set(rule.arguments) <= set(ids):
                continue
            pages.append(
                (
                    endpoint,
                    app.url_map.bind("localhost").build(
                        endpoint, {name: ids[name] for name in rule.arguments}
                    ),
                )
            )
    return sorted(pages)


@pytest.fixture
def clinic(make_journey, make_patient, make_user):
    """A journey with an overdue task, and enough patients for the list to have two pages."""
    journey = make_journey(make_patient(given_name="Rina", family_name="Kusumawati"))
    journey.tasks[0].due_on = clinic_today() - timedelta(days=3)
    for n in range(30):
        make_patient(given_name=f"Pasien{n}", family_name="Contoh", mrn=f"MRN-AXE-{n:03}")
    db.session.commit()
    task = journey.tasks[0]
    appointment = journey.appointments[0] if journey.appointments else None
    ids = {"journey_id": journey.id, "patient_id": journey.patient_id, "task_id": task.id}
    if appointment is not None:
        ids["appointment_id"] = appointment.id
    return ids


def _sign_in(page, base_url, user):
    sign_in(page, base_url, user.email)
    if "/sign-in/code" in page.url:
        page.locator("input[name=code]").fill(totp_code(user))
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_staff_page_passes_axe(
    page, live_server, app, clinic, make_user, check_axe, language
):
    coordinator = make_user("coordinator", language=language)
    admin = make_user("admin", language=language)
    failures = []
    for user in (coordinator, admin):
        page.context.clear_cookies()
        _sign_in(page, live_server, user)
        for endpoint, url in staff_pages(app, {**clinic, "user_id": admin.id}):
            response = page.goto(f"{live_server}{url}")
            if response is None or response.status in (403, 404, 405):
                continue  # not this role's page
            lang = page.locator("html").get_attribute("lang")
            # a printed sheet is in the patient's language, whoever prints it
            if lang != language and "print" not in endpoint:
                failures.append(f"{user.role} {endpoint}: <html lang={lang}>")
            try:
                check_axe(page)
            except AssertionError as error:
                failures.append(f"{user.role} {endpoint}: {error}")
    assert not failures, "\n".join(failures)


def test_the_patient_lists_disabled_pagination_has_enough_contrast(
    page, live_server, clinic, coordinator, check_axe
):
    _sign_in(page, live_server, coordinator)
    page.goto(f"{live_server}/patients")
    disabled = page.locator(".pagination .is-disabled")
    assert disabled.count() >= 1
    check_axe(page, context=".pagination")
