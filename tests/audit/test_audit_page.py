"""The admin's audit trail: filters by patient, user, action, kind and date; CSV export."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.web.conftest import Browser
from tracker.audit import queries
from tracker.audit.models import AuditEvent
from tracker.audit.services import record, record_read
from tracker.db import db


@pytest.fixture
def admin_browser(app, make_user) -> Browser:
    browser = Browser(app.test_client())
    assert browser.sign_in(make_user("admin", name="Ada Admin")).status_code == 302
    return browser


@pytest.fixture
def trail(make_patient, coordinator, surgeon):
    """Reads and changes of two patients by two people on two days."""
    siti = make_patient(mrn="RM-0042", given_name="Siti", family_name="Rahayu")
    budi = make_patient(mrn="RM-0043", given_name="Budi", family_name="Santoso")
    day1 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    day2 = day1 + timedelta(days=2)
    record_read("patient.view", siti, actor=coordinator, patient_id=siti.id, now=day1)
    record_read("patient.view", budi, actor=surgeon, patient_id=budi.id, now=day2)
    record("patient.update", siti, actor=coordinator, patient_id=siti.id, now=day2)
    record_read(
        "patient.view",
        budi,
        actor=coordinator,
        patient_id=budi.id,
        now=day2,
        details={"=1+1": "x"},
    )
    db.session.commit()
    return {"siti": siti, "budi": budi}


def rows_of(page: str) -> int:
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return body.count("<tr>")


def test_only_admins_see_the_trail(app, coordinator):
    browser = Browser(app.test_client())
    browser.sign_in(coordinator)
    assert browser.get("/admin/audit").status_code == 403
    assert browser.get("/admin/audit.csv").status_code == 403


def test_a_coordinator_opening_a_patient_shows_on_the_admin_page(
    app, admin_browser, coordinator, make_patient
):
    patient = make_patient(mrn="RM-7777")
    staff = Browser(app.test_client())
    staff.sign_in(coordinator)
    staff.get(f"/patients/{patient.id}")
    page = admin_browser.get("/admin/audit?patient=rm-7777&kind=read").get_data(as_text=True)
    assert rows_of(page) == 1
    assert "patient.view" in page and coordinator.name in page and "RM-7777" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 5),  # with the admin's own sign-in
        ("patient=RM-0042", 2),
        ("kind=read", 3),
        ("kind=change", 2),
        ("action=patient.update", 1),
        ("date_from=2026-11-22&date_to=2026-11-22&kind=read", 2),
        ("date_from=2026-11-22&date_to=2026-11-22&patient=RM-0042", 1),
        ("date_to=2026-11-21&kind=read", 1),
    ],
)
def test_filters(admin_browser, trail, query, expected):
    page = admin_browser.get(f"/admin/audit?{query}").get_data(as_text=True)
    # The page's own view is in the trail too, but only after this answer.
    assert rows_of(page) == expected, query


def test_filter_by_user(admin_browser, trail, surgeon):
    page = admin_browser.get(f"/admin/audit?user={surgeon.id}").get_data(as_text=True)
    assert rows_of(page) == 1 and "RM-0043" in page


def test_what_one_person_looked_at(admin_browser, trail, coordinator):
    page = admin_browser.get(f"/admin/audit?user={coordinator.id}&kind=read").get_data(as_text=True)
    assert rows_of(page) == 2 and page.count("<code>patient.view</code>") == 2


def test_the_action_filter_offers_every_action_in_the_trail_once(admin_browser, trail):
    record("journey.advance", trail["siti"], patient_id=trail["siti"].id)
    record("alert.raise", trail["budi"], patient_id=trail["budi"].id)
    record("journey.advance", trail["budi"], patient_id=trail["budi"].id)
    db.session.commit()
    held = sorted(set(db.session.scalars(sa.select(AuditEvent.action))))
    assert queries.actions() == held
    page = admin_browser.get("/admin/audit").get_data(as_text=True)
    for action in held:
        assert page.count(f'<option value="{action}">') == 1, action


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("patient=RM-9999", "No patient has this MRN or number."),
        ("date_from=2026-11-22&date_to=2026-11-01", "The end date comes before the start date."),
        ("date_from=yesterday", "Not a valid date value."),
        ("user=999999", "Not a valid choice."),
    ],
)
def test_bad_filters_are_named(admin_browser, trail, query, message):
    response = admin_browser.get(f"/admin/audit?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_csv_export_follows_the_filters_and_is_itself_audited(admin_browser, trail):
    response = admin_browser.get("/admin/audit.csv?patient=RM-0043")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["mrn"] for row in rows] == ["RM-0043", "RM-0043"]
    assert {row["actor"] for row in rows} == {"Cora Ordinator", "Dr Sita Surgeon"}
    # A cell a spreadsheet would run as a formula is quoted.
    assert "'=1+1=x" in [row["details"] for row in rows]
    db.session.expire_all()
    export = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "audit.export"))
    assert export.kind == "read"
    assert export.details["patient_id"] == trail["budi"].id


def test_page_numbers_past_the_end_are_harmless(admin_browser, trail):
    assert admin_browser.get("/admin/audit?page=99999999999999999999").status_code == 200
    assert admin_browser.get("/admin/audit?page=-3").status_code == 200
