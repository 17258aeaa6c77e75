"""Odd input is a clear 4xx, never a 500: ids past the database's range, NUL bytes and lone
surrogates, empty required texts and changes, dates far from today, huge page numbers."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.web.conftest import Browser
from tracker.clock import utcnow
from tracker.db import db
from tracker.patients.models import Patient

HUGE = "99999999999999999999999"


@pytest.fixture
def staff(client, coordinator) -> Browser:
    browser = Browser(client)
    browser.sign_in(coordinator)
    return browser


def test_every_int_route_answers_404_for_ids_past_the_range(app, staff, api_headers, make_user):
    admin = Browser(app.test_client())
    admin.sign_in(make_user("admin"))
    headers = api_headers()
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for big in (HUGE, str(2**31)):
            url = re.sub(r"<int:\w+>", big, rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for who in (staff.client, admin.client):
                    response = who.open(url, method=method, headers=headers)
                    assert response.status_code == 404, (method, url, response.status_code)
                    checked += 1
    assert checked > 50


def test_the_api_404_for_an_id_past_the_range_is_json(client, api_headers):
    response = client.get("/api/v1/patients/2147483648", headers=api_headers())
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


@pytest.mark.parametrize("bad", ["Siti\x00", "Siti\ud800"])
def test_unstorable_text_in_json_is_a_422_naming_the_field(client, api_headers, bad):
    body = {
        "mrn": "RM-1",
        "given_name": bad,
        "family_name": "Rahayu",
        "birth_date": "1968-04-02",
        "sex": "female",
        "timezone": "Asia/Jakarta",
    }
    response = client.post("/api/v1/patients", json=body, headers=api_headers())
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert list(errors) == ["given_name"]
    assert "cannot be stored" in errors["given_name"][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 0


def test_a_lone_surrogate_written_as_a_json_escape_is_refused(client, api_headers, make_journey):
    journey = make_journey()
    raw = '{"body": "pain \\ud83d better"}'  # half of an emoji pair
    response = client.post(
        f"/api/v1/journeys/{journey.id}/notes",
        data=raw,
        content_type="application/json",
        headers=api_headers(),
    )
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]["json"]


def test_a_nul_in_a_query_is_a_422(staff, client, api_headers):
    page = staff.get("/patients?q=Siti%00")
    assert page.status_code == 422 and "Q" in page.get_data(as_text=True)
    api = client.get("/api/v1/patients?q=a%00b", headers=api_headers())
    assert api.status_code == 422
    assert list(api.get_json()["errors"]["query"]) == ["q"]


def test_a_nul_in_a_form_is_a_422_page_naming_the_field(staff, make_journey):
    journey = make_journey()
    response = staff.post(
        f"/journeys/{journey.id}/notes", {"body": "called\x00"}, page=f"/journeys/{journey.id}"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Body" in html and "cannot be stored" in html
    assert journey.notes == []


def test_a_nul_in_the_portal_is_a_422_in_the_patients_language(app, make_journey, coordinator):
    from tracker.portal import services

    journey = make_journey()
    journey.patient.language = "en"
    _invitation, token = services.issue_invitation(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    phone = app.test_client()
    page = phone.get(f"/portal/i/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    phone.post(f"/portal/i/{token}", data={"csrf_token": csrf})
    response = phone.post(
        "/portal/check-in",
        data={"csrf_token": csrf, "back_pain": "3", "leg_pain": "2", "note": "ok\x00"},
    )
    assert response.status_code == 422
    assert "cannot be saved" in response.get_data(as_text=True)


def test_a_csv_row_with_a_nul_is_refused_with_its_column(runner, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_bytes(
        b"mrn,given_name,family_name,birth_date,sex\n"
        b"RM-1,Budi,Santoso,1968-03-14,male\n"
        b"RM-2,Si\x00ti,Rahayu,1975-08-17,female\n"
    )
    result = runner.invoke(args=["patients", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3 (RM-2): given_name: Contains a NUL character" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 1


@pytest.mark.parametrize("body", [None, {}])
@pytest.mark.parametrize("what", ["patient", "appointment"])
def test_a_patch_with_nothing_to_change_is_a_422(client, api_headers, make_journey, body, what):
    journey = make_journey()
    url = {
        "patient": f"/api/v1/patients/{journey.patient_id}",
        "appointment": f"/api/v1/appointments/{journey.appointments[0].id}",
    }[what]
    response = client.patch(url, json=body, headers=api_headers())
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"]


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ("Reason", "reason"),
        ("NoteCreate", "body"),
        ("AppointmentCreate", "title"),
        ("PatientCreate", "given_name"),
        ("JourneyStart", "levels"),
    ],
)
def test_required_texts_are_required_and_non_empty_in_the_openapi(client, schema, field):
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][schema]
    assert field in spec["required"]
    prop = spec["properties"][field]
    assert prop["minLength"] == 1 and prop["pattern"] == r"\S" and prop["maxLength"] > 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_blank_reason_is_refused(client, api_headers, make_journey, reason):
    journey = make_journey()
    response = client.post(
        f"/api/v1/journeys/{journey.id}/cancel", json={"reason": reason}, headers=api_headers()
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"reason": ["This field is required."]}


@pytest.mark.parametrize(
    ("days", "message"),
    [(-800, "more than two years ago"), (4 * 365, "more than three years ahead")],
)
def test_appointments_far_from_today_are_refused_with_a_reason(
    client, api_headers, make_journey, days, message
):
    journey = make_journey()
    starts = (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT10:00")
    response = client.post(
        f"/api/v1/journeys/{journey.id}/appointments",
        json={"kind": "other", "title": "Physio", "starts_at": starts},
        headers=api_headers(),
    )
    assert response.status_code == 422
    assert message in response.get_json()["errors"]["json"]["starts_at"][0]


def test_a_surgery_far_ahead_is_refused_on_the_web_too(staff, make_journey):
    journey = make_journey()
    far = (utcnow() + timedelta(days=4 * 365)).date().isoformat()
    response = staff.post(
        f"/journeys/{journey.id}/reschedule", {"surgery_date": far, "surgery_time": "08:30"}
    )
    assert response.status_code == 422
    assert "more than three years ahead" in response.get_data(as_text=True)


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_extreme_years_in_forms_are_refused_not_crashed(staff, make_journey, year):
    journey = make_journey()
    response = staff.post(
        f"/journeys/{journey.id}/appointments/new",
        {"kind": "other", "title": "Physio", "date": f"{year}-01-01", "time": "10:00"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("page", [HUGE, "-1", "abc"])
def test_page_numbers_of_any_size_are_harmless(staff, client, api_headers, page):
    assert staff.get(f"/patients?page={page}").status_code == 200
    assert staff.get(f"/outbox/?page={page}").status_code == 200
    response = client.get(f"/api/v1/patients?page={page}", headers=api_headers())
    assert response.status_code == 422


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:00-00:01"])
def test_instants_past_the_calendars_ends_are_a_422(client, api_headers, make_journey, starts_at):
    journey = make_journey()
    response = client.post(
        f"/api/v1/journeys/{journey.id}/appointments",
        json={"kind": "other", "title": "Physio", "starts_at": starts_at},
        headers=api_headers(),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["starts_at"] == [
        "That date and time is out of range; check the year."
    ]
