"""Admins manage staff users; nobody else may."""

import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.web.conftest import Browser, text
from tracker.auth.models import StaffUser
from tracker.auth.services import verify_password
from tracker.db import db


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser))


def test_admin_lands_on_the_user_list(browser, admin, coordinator):
    response = browser.sign_in(admin)
    assert response.headers["Location"] == "/admin/users"
    assert browser.get("/").headers["Location"] == "/admin/users"
    html = text(browser.get("/admin/users"))
    assert "Ada Admin" in html and "Cora Ordinator" in html and coordinator.email in html


def test_admin_adds_a_user_who_can_then_sign_in(app, as_admin):
    response = as_admin.post(
        "/admin/users/new",
        {
            "name": "Dr New Surgeon",
            "email": "New.Surgeon@Spine-Clinic.org",
            "role": "clinician",
            "password": "first password 1",
            "confirm": "first password 1",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.name == "Dr New Surgeon"))
    assert user.email == "new.surgeon@spine-clinic.org" and user.role == "clinician"
    fresh = Browser(app.test_client())
    assert fresh.sign_in(user, "first password 1").headers["Location"] == "/"


def test_add_user_errors_show_next_to_fields_and_save_nothing(as_admin, coordinator):
    before = count_users()
    cases = [
        ({"email": coordinator.email.upper()}, "email", "already exists"),
        ({"email": "not-an-email"}, "email", "email"),
        ({"password": "short", "confirm": "short"}, "password", "at least 12 characters"),
        ({"confirm": "something else"}, "confirm", "not the same"),
        ({"name": ""}, "name", "Enter the person"),
    ]
    for override, field, message in cases:
        data = {
            "name": "Someone",
            "email": "someone@spine-clinic.org",
            "role": "coordinator",
            "password": "long enough 1",
            "confirm": "long enough 1",
            **override,
        }
        response = as_admin.post("/admin/users/new", data)
        assert response.status_code == 422, override
        html = text(response)
        error = html[html.index(f'id="{field}-error"') :][:300]
        assert message in error, (override, error)
        assert 'value="Someone"' in html or override.get("name") == ""
    assert count_users() == before


def test_admin_changes_a_role(as_admin, coordinator):
    response = as_admin.post(
        f"/admin/users/{coordinator.id}", {"name": "Cora O.", "role": "clinician"}
    )
    assert response.status_code == 302
    db.session.refresh(coordinator)
    assert (coordinator.name, coordinator.role) == ("Cora O.", "clinician")


def test_deactivating_signs_the_user_out_and_reactivating_lets_them_back(
    app, as_admin, coordinator
):
    their_browser = Browser(app.test_client())
    their_browser.sign_in(coordinator)
    assert their_browser.get("/").status_code == 200

    url = f"/admin/users/{coordinator.id}/active"
    page = f"/admin/users/{coordinator.id}"
    assert as_admin.post(url, {"active": "0"}, page=page).status_code == 302
    db.session.refresh(coordinator)
    assert not coordinator.active
    assert their_browser.get("/").status_code == 302
    assert their_browser.sign_in(coordinator).status_code == 422

    assert as_admin.post(url, {"active": "1"}, page=page).status_code == 302
    assert their_browser.sign_in(coordinator).status_code == 302


def test_the_last_admin_cannot_be_deactivated_or_demoted(as_admin, admin):
    page = f"/admin/users/{admin.id}"
    response = as_admin.post(f"/admin/users/{admin.id}/active", {"active": "0"}, page=page)
    assert response.status_code == 302
    assert "at least one active admin" in text(as_admin.get(page))
    response = as_admin.post(page, {"name": admin.name, "role": "coordinator"})
    assert response.status_code == 422
    assert "at least one active admin" in text(response)
    db.session.refresh(admin)
    assert admin.active and admin.role == "admin"


def test_admin_sets_a_new_password(as_admin, coordinator):
    url = f"/admin/users/{coordinator.id}/password"
    page = f"/admin/users/{coordinator.id}"
    response = as_admin.post(url, {"new_password": "short"}, page=page)
    assert response.status_code == 422 and "at least 12 characters" in text(response)
    assert as_admin.post(url, {"new_password": "reset by admin 1"}, page=page).status_code == 302
    db.session.refresh(coordinator)
    assert verify_password(coordinator, "reset by admin 1")
    assert not verify_password(coordinator, PASSWORD)


def test_missing_user_is_a_404_page(as_admin):
    response = as_admin.get("/admin/users/999999")
    assert response.status_code == 404
    assert "Page not found" in text(response)
