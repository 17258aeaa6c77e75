"""Bad requests get a clear 4xx naming each field, and write nothing at all."""

import pytest

PATIENTS = "/api/v1/patients"


def _refused(response, status: int) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == status
    assert body["status"] and body["message"]
    return body


@pytest.mark.parametrize(
    ("overrides", "status", "errors"),
    [
        (
            {"mrn": 42, "birth_date": 19680402, "consent_sms": "yes", "given_name": ["Siti"]},
            422,
            {
                "mrn": ["Not a valid string."],
                "birth_date": ["Not a valid date."],
                "consent_sms": ["Not a valid boolean."],
                "given_name": ["Not a valid string."],
            },
        ),
        ({"birth_date": "02/04/1968"}, 422, {"birth_date": ["Not a valid date."]}),
        ({"shoe_size": 42}, 422, {"shoe_size": ["Unknown field."]}),
        (
            {"birth_date": "2999-01-01"},
            422,
            {"birth_date": ["The date of birth cannot be in the future."]},
        ),
        (
            {"timezone": "Asia/Atlantis"},
            422,
            {"timezone": ["Unknown time zone 'Asia/Atlantis'; use an IANA name."]},
        ),
        ({"sex": "f"}, 422, {"sex": ["Choose one of: female, male, other, unknown."]}),
        (
            {"phone": "0812 345", "email": "not-an-email"},
            422,
            {"phone": ["Enter the number in international form, e.g. +6281234567890."]},
        ),
        ({"mrn": "", "family_name": "  "}, 422, {"mrn": ["This field is required."]}),
    ],
)
def test_create_patient_refuses_bad_fields(
    client, auth, patient_body, row_counts, overrides, status, errors
):
    before = row_counts()
    body = _refused(client.post(PATIENTS, json=patient_body(**overrides), headers=auth), status)
    for field, messages in errors.items():
        assert body["errors"]["json"][field] == messages
    assert row_counts() == before


def test_missing_required_fields_are_each_named(client, auth, row_counts):
    before = row_counts()
    body = _refused(client.post(PATIENTS, json={}, headers=auth), 422)
    assert body["errors"]["json"] == {
        field: ["Missing data for required field."]
        for field in ("mrn", "given_name", "family_name", "birth_date", "sex", "timezone")
    }
    assert "birth_date" in body["message"]
    assert row_counts() == before


def test_duplicate_mrn_is_a_409_and_writes_nothing(
    client, auth, make_patient, patient_body, row_counts
):
    make_patient(mrn="RM-0042")
    before = row_counts()
    body = _refused(client.post(PATIENTS, json=patient_body(mrn=" rm-0042 "), headers=auth), 409)
    assert body["errors"]["json"] == {"mrn": ["A patient with MRN RM-0042 already exists."]}
    assert row_counts() == before


def test_malformed_json_is_a_400(client, auth, row_counts):
    before = row_counts()
    response = client.post(
        PATIENTS, data='{"mrn": "RM-1",', content_type="application/json", headers=auth
    )
    body = _refused(response, 400)
    assert body["message"] == "The request body is not valid JSON."
    assert row_counts() == before


def test_malformed_json_is_a_400_even_where_no_body_is_read(client, auth, make_journey):
    task = make_journey().tasks[0]
    response = client.post(
        f"/api/v1/tasks/{task.id}/complete",
        data=b"\xff\xfe{",
        content_type="application/json",
        headers=auth,
    )
    _refused(response, 400)


def test_a_body_that_is_not_json_is_a_415(client, auth, row_counts):
    before = row_counts()
    response = client.post(PATIENTS, data="mrn=RM-1", headers=auth)
    body = _refused(response, 415)
    assert "application/json" in body["message"]
    assert row_counts() == before


def test_a_json_array_is_refused(client, auth):
    body = _refused(client.post(PATIENTS, json=[1, 2], headers=auth), 422)
    assert body["errors"]["json"] == {"_schema": ["Invalid input type."]}


# Starting a journey


@pytest.fixture
def patient(make_patient, templates):
    return make_patient()


def _start(client, auth, patient, body):
    return client.post(f"{PATIENTS}/{patient.id}/journeys", json=body, headers=auth)


@pytest.mark.parametrize(
    ("overrides", "status", "errors"),
    [
        (
            {"surgery_at": "2026-11-19T09:00"},
            422,
            {"surgery_at": ["Surgery cannot be before the consultation."]},
        ),
        (
            {"consultation_date": "2026-11-20T10:00", "surgeon_id": "7", "levels": 45},
            422,
            {
                "consultation_date": ["Not a valid date."],
                "surgeon_id": ["Not a valid integer."],
                "levels": ["Not a valid string."],
            },
        ),
        (
            {"surgery_at": "2026-12-10"},
            422,
            {"surgery_at": ["Give a date and a time, e.g. 2026-12-10T08:30."]},
        ),
        ({"surgery_at": "2026-12-10T08:30+25:00"}, 422, {"surgery_at": ["Not a valid datetime."]}),
        ({"urgency": "high"}, 422, {"urgency": ["Unknown field."]}),
        ({"side": "up"}, 422, {"side": ["Choose one of: left, right, bilateral, central."]}),
        (
            {"levels": "L9-L10"},
            422,
            {"levels": ["Enter spinal levels such as L4-L5 or L4-L5, L5-S1."]},
        ),
        (
            {"template": "hip-replacement"},
            422,
            {"template": ["No pathway 'hip-replacement' is loaded."]},
        ),
        ({"template_id": 1}, 422, {"template": ["Give either template (a slug) or template_id."]}),
        ({"template_id": 999999, "template": None}, 422, {"template": ["Field may not be null."]}),
        ({"surgeon_id": 999999}, 422, {"surgeon_id": ["No active clinician with id 999999."]}),
    ],
)
def test_start_journey_refuses_bad_fields(
    client, auth, patient, journey_body, row_counts, overrides, status, errors
):
    before = row_counts()
    body = _refused(_start(client, auth, patient, journey_body(**overrides)), status)
    assert body["errors"]["json"] == errors
    assert row_counts() == before


def test_start_journey_with_unknown_template_id(client, auth, patient, journey_body, row_counts):
    values = journey_body(template_id=999999)
    del values["template"]
    before = row_counts()
    body = _refused(_start(client, auth, patient, values), 422)
    assert body["errors"]["json"] == {"template_id": ["No pathway template with id 999999."]}
    assert row_counts() == before


def test_a_coordinator_cannot_be_the_surgeon(client, auth, patient, journey_body, coordinator):
    body = _refused(_start(client, auth, patient, journey_body(surgeon_id=coordinator.id)), 422)
    assert body["errors"]["json"] == {
        "surgeon_id": [f"No active clinician with id {coordinator.id}."]
    }


def test_a_second_active_journey_is_a_409(client, auth, make_journey, journey_body, row_counts):
    journey = make_journey()
    before = row_counts()
    body = _refused(_start(client, auth, journey.patient, journey_body()), 409)
    assert "already has an active journey" in body["message"]
    assert row_counts() == before


def test_reschedule_before_consultation_moves_nothing(client, auth, make_journey, row_counts):
    journey = make_journey()
    before = row_counts()
    body = _refused(
        client.post(
            f"/api/v1/journeys/{journey.id}/reschedule",
            json={"surgery_at": "2026-11-01T08:00:00+07:00"},
            headers=auth,
        ),
        422,
    )
    assert body["errors"]["json"] == {"surgery_at": ["Surgery cannot be before the consultation."]}
    assert row_counts() == before
    detail = client.get(f"/api/v1/journeys/{journey.id}", headers=auth).get_json()
    assert detail["surgery_at"] == "2026-12-10T01:30:00Z"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("journeys/{journey}/back", {}, "reason"),
        ("journeys/{journey}/back", {"reason": "  "}, "reason"),
        ("journeys/{journey}/cancel", {"reason": None}, "reason"),
        ("journeys/{journey}/reschedule", {"surgery_at": None}, "surgery_at"),
        ("journeys/{journey}/advance", {"override": True}, "override"),
        ("tasks/{task}/skip", {}, "reason"),
        ("tasks/{task}/complete", {"done": True}, "done"),
        ("journeys/{journey}/appointments", {"kind": "party", "title": "x"}, "kind"),
        ("journeys/{journey}/appointments", {"kind": "other", "title": "x"}, "starts_at"),
        (
            "journeys/{journey}/appointments",
            {"kind": "other", "title": "x", "starts_at": "2026-12-01T10:00", "duration_minutes": 0},
            "duration_minutes",
        ),
        ("journeys/{journey}/notes", {"body": ""}, "body"),
        ("journeys/{journey}/notes", {"text": "hello"}, "text"),
    ],
)
def test_journey_actions_refuse_bad_bodies(
    client, auth, make_journey, row_counts, path, body, field
):
    journey = make_journey()
    url = "/api/v1/" + path.format(journey=journey.id, task=journey.tasks[0].id)
    before = row_counts()
    response = _refused(client.post(url, json=body, headers=auth), 422)
    assert field in response["errors"]["json"]
    assert row_counts() == before


def test_appointment_update_refuses_bad_fields(client, auth, make_journey, row_counts):
    journey = make_journey()
    appointment = next(a for a in journey.appointments if a.key == "wound_check")
    before = row_counts()
    response = client.patch(
        f"/api/v1/appointments/{appointment.id}",
        json={"status": "cancelled", "duration_minutes": "30", "room": 4},
        headers=auth,
    )
    body = _refused(response, 422)
    assert set(body["errors"]["json"]) == {"status", "duration_minutes", "room"}
    assert row_counts() == before


@pytest.mark.parametrize(
    ("method", "url", "what"),
    [
        ("POST", "/api/v1/patients/999999/journeys", "patient"),
        ("GET", "/api/v1/patients/999999/journeys", "patient"),
        ("GET", "/api/v1/journeys/999999", "journey"),
        ("POST", "/api/v1/journeys/999999/advance", "journey"),
        ("POST", "/api/v1/journeys/999999/back", "journey"),
        ("POST", "/api/v1/journeys/999999/cancel", "journey"),
        ("POST", "/api/v1/journeys/999999/reschedule", "journey"),
        ("POST", "/api/v1/tasks/999999/complete", "task"),
        ("POST", "/api/v1/tasks/999999/skip", "task"),
        ("POST", "/api/v1/tasks/999999/reopen", "task"),
        ("POST", "/api/v1/journeys/999999/appointments", "journey"),
        ("PATCH", "/api/v1/appointments/999999", "appointment"),
        ("POST", "/api/v1/appointments/999999/cancel", "appointment"),
        ("POST", "/api/v1/journeys/999999/notes", "journey"),
    ],
)
def test_unknown_ids_are_json_404s(client, auth, journey_body, templates, method, url, what):
    bodies = {
        "journeys": journey_body(),
        "back": {"reason": "r"},
        "cancel": {"reason": "r"},
        "skip": {"reason": "r"},
        "reopen": {"reason": "r"},
        "reschedule": {"surgery_at": "2026-12-10T08:30"},
        "appointments": {"kind": "other", "title": "x", "starts_at": "2026-12-01T10:00"},
        "notes": {"body": "b"},
    }
    body = bodies.get(url.rsplit("/", 1)[1], {}) if method == "POST" else {}
    if method == "PATCH":
        body = {"title": "Physiotherapy review"}  # an empty change is a 422 before any lookup
    response = client.open(url, method=method, json=body, headers=auth)
    assert response.status_code == 404
    assert response.get_json() == {
        "code": 404,
        "status": "Not Found",
        "message": f"No {what} with id 999999.",
    }


def test_unknown_api_path_is_a_json_404(client, auth):
    response = client.get("/api/v1/nothing-here", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
