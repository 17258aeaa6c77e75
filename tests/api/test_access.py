"""Every API endpoint needs a valid bearer token of a coordinator or clinician."""

import pytest

from tracker.auth.services import create_token, revoke_token
from tracker.db import db

ENDPOINTS = [
    ("POST", "/api/v1/patients"),
    ("GET", "/api/v1/patients"),
    ("GET", "/api/v1/patients/1"),
    ("PATCH", "/api/v1/patients/1"),
    ("POST", "/api/v1/patients/1/journeys"),
    ("GET", "/api/v1/patients/1/journeys"),
    ("GET", "/api/v1/journeys/1"),
    ("POST", "/api/v1/journeys/1/advance"),
    ("POST", "/api/v1/journeys/1/back"),
    ("POST", "/api/v1/journeys/1/cancel"),
    ("POST", "/api/v1/journeys/1/reschedule"),
    ("POST", "/api/v1/tasks/1/complete"),
    ("POST", "/api/v1/tasks/1/skip"),
    ("POST", "/api/v1/tasks/1/reopen"),
    ("POST", "/api/v1/journeys/1/appointments"),
    ("PATCH", "/api/v1/appointments/1"),
    ("POST", "/api/v1/appointments/1/cancel"),
    ("POST", "/api/v1/journeys/1/notes"),
]


def test_the_list_covers_every_patient_and_journey_route(app):
    routes = {
        (method, rule.rule.replace("<int:", "").replace(">", ""))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("patients_api", "journeys_api")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = set()
    for method, url in ENDPOINTS:
        parts = url.split("/")
        for i, part in enumerate(parts):
            if part == "1":
                parts[i] = {"patients": "patient_id", "journeys": "journey_id"}.get(
                    parts[i - 1], parts[i - 1][:-1] + "_id"
                )
        listed.add((method, "/".join(parts)))
    assert routes == listed


def _call(client, method, url, headers):
    return client.open(url, method=method, json={}, headers=headers)


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_missing_token_is_401(client, method, url):
    response = _call(client, method, url, {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["message"].startswith("Send an API token")


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_bad_token_is_401(client, coordinator, method, url):
    response = _call(client, method, url, {"Authorization": "Bearer trk_not-a-real-token"})
    assert response.status_code == 401
    assert response.get_json() == {
        "code": 401,
        "status": "Unauthorized",
        "message": "This API token is not valid, or was revoked.",
    }


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_revoked_token_is_401(client, coordinator, now, method, url):
    token, row = create_token(coordinator, now=now)
    db.session.commit()
    assert (
        _call(client, "GET", "/api/v1/patients", {"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    revoke_token(row, actor=coordinator, now=now)
    db.session.commit()
    response = _call(client, method, url, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "revoked" in response.get_json()["message"]


def test_token_of_a_deactivated_user_is_401(client, coordinator, api_headers):
    headers = api_headers(coordinator)
    coordinator.active = False
    db.session.commit()
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_other_authorization_schemes_are_401(client):
    response = client.get("/api/v1/patients", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_admin_is_403_before_anything_is_read(
    client, make_user, api_headers, row_counts, method, url
):
    headers = api_headers(make_user("admin"))
    before = row_counts()
    # An invalid body and an unknown id: the role is checked first.
    response = client.open(url, method=method, json={"nonsense": 1}, headers=headers)
    assert response.status_code == 403
    assert response.get_json() == {
        "code": 403,
        "status": "Forbidden",
        "message": "Only coordinators and clinicians may work with patient records.",
    }
    assert row_counts() == before


@pytest.mark.parametrize("role", ["coordinator", "clinician"])
def test_clinical_roles_may_use_the_api(client, make_user, api_headers, role):
    response = client.get("/api/v1/patients", headers=api_headers(make_user(role)))
    assert response.status_code == 200
