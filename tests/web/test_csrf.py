"""Every state-changing form is refused without a valid CSRF token (400) and changes nothing."""

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.web.conftest import Browser, text
from tracker.audit.models import AuditEvent
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.patients.models import Patient


def snapshot() -> tuple:
    """Everything a form here could change."""
    users = db.session.execute(
        sa.select(
            StaffUser.id,
            StaffUser.name,
            StaffUser.role,
            StaffUser.active,
            StaffUser.password_hash,
            StaffUser.session_version,
        ).order_by(StaffUser.id)
    ).all()
    patients = db.session.execute(
        sa.select(Patient.id, Patient.mrn, Patient.given_name, Patient.phone).order_by(Patient.id)
    ).all()
    audit = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    return users, patients, audit


@pytest.fixture
def forms(make_patient, coordinator, make_user):
    patient = make_patient()
    other = make_user("clinician")
    new_patient = {
        "mrn": "MRN-NEW-1",
        "given_name": "New",
        "family_name": "Patient",
        "birth_date": "1980-01-01",
        "sex": "male",
        "language": "en",
        "timezone": "Asia/Jakarta",
    }
    return {
        "coordinator": [
            ("/sign-out", {}),
            (
                "/account/password",
                {
                    "current_password": PASSWORD,
                    "new_password": "brand new pass 1",
                    "confirm": "brand new pass 1",
                },
            ),
            ("/patients/new", new_patient),
            (f"/patients/{patient.id}/edit", {**new_patient, "given_name": "Changed"}),
        ],
        "admin": [
            (
                "/admin/users/new",
                {
                    "name": "X",
                    "email": "x@spine-clinic.org",
                    "role": "admin",
                    "password": "long enough 1",
                    "confirm": "long enough 1",
                },
            ),
            (f"/admin/users/{other.id}", {"name": "Renamed", "role": "admin"}),
            (f"/admin/users/{other.id}/active", {"active": "0"}),
            (f"/admin/users/{other.id}/password", {"new_password": "brand new pass 1"}),
        ],
    }


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_forms_without_a_valid_token_are_refused(browser, forms, coordinator, admin, token):
    for user, role in ((coordinator, "coordinator"), (admin, "admin")):
        browser.sign_in(user)
        before = snapshot()
        for url, data in forms[role]:
            if token:
                data = {**data, "csrf_token": token}
            response = browser.client.post(url, data=data)
            assert response.status_code == 400, url
            assert "CSRF" in text(response)
            db.session.expire_all()
            assert snapshot() == before, url
        assert browser.get("/account/password").status_code == 200  # still signed in
        browser.sign_out()


def test_sign_in_without_a_token_signs_nobody_in(browser, coordinator):
    response = browser.client.post(
        "/sign-in", data={"email": coordinator.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert browser.get("/").status_code == 302


def test_a_token_from_another_session_is_refused(app, browser, coordinator):
    other = Browser(app.test_client())
    other.sign_in(coordinator)
    stolen = other.token("/patients/new")
    browser.sign_in(coordinator)
    before = snapshot()
    response = browser.client.post(
        "/patients/new",
        data={
            "csrf_token": stolen,
            "mrn": "X1",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1980-01-01",
            "sex": "male",
            "timezone": "Asia/Jakarta",
        },
    )
    assert response.status_code == 400
    assert snapshot() == before
