"""Signing in and out, idle sessions, replayed cookies, one's own password."""

import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.web.conftest import Browser, text
from tracker.audit.models import AuditEvent
from tracker.auth.services import verify_password
from tracker.db import db


def test_sign_in_page_has_a_labelled_form(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    html = text(response)
    assert '<label for="email">' in html and '<label for="password">' in html
    assert 'name="csrf_token"' in html


def test_sign_in_takes_a_coordinator_to_the_dashboard(browser, coordinator):
    response = browser.sign_in(coordinator)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie  # a permanent, idle-limited session
    page = browser.get("/")
    assert page.status_code == 200
    assert "Cora Ordinator" in text(page)
    assert (
        db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.actor_id == coordinator.id))
        == "user.sign_in"
    )


def test_wrong_password_unknown_email_and_inactive_user_get_one_generic_message(
    browser, coordinator, make_user
):
    inactive = make_user("coordinator", active=False)
    attempts = [
        (coordinator.email, "wrong password"),
        ("nobody@clinic.test", PASSWORD),
        (inactive.email, PASSWORD),
    ]
    for email, password in attempts:
        response = browser.post("/sign-in", {"email": email, "password": password})
        assert response.status_code == 422
        assert "That email and password do not match an active account." in text(response)
        assert f'value="{email}"' in text(response)  # what was typed is kept
        assert browser.get("/").status_code == 302


def test_next_goes_only_to_local_paths(browser, coordinator):
    def sign_in_with(next_url):
        response = browser.post(
            "/sign-in",
            {"email": coordinator.email, "password": PASSWORD, "next": next_url},
            page="/sign-in",
        )
        browser.post("/sign-out", page="/account/password")
        return response.headers["Location"]

    assert sign_in_with("/patients?stage=procedure") == "/patients?stage=procedure"
    for evil in ("https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"):
        assert sign_in_with(evil) == "/"


def test_signed_out_users_are_sent_to_sign_in(client):
    for url in (
        "/",
        "/patients",
        "/patients/board",
        "/patients/new",
        "/patients/1",
        "/patients/1/edit",
        "/account/password",
        "/admin/users",
        "/admin/users/new",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/sign-in?next="), url


def test_sign_out_is_a_post_and_ends_the_session(as_coordinator, coordinator):
    assert as_coordinator.get("/sign-out").status_code == 405
    version = coordinator.session_version
    response = as_coordinator.sign_out()
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    db.session.refresh(coordinator)
    assert coordinator.session_version == version + 1
    assert as_coordinator.get("/").status_code == 302


def test_a_signed_out_session_cookie_cannot_be_replayed(app, as_coordinator):
    stolen = as_coordinator.client.get_cookie("session").value
    assert as_coordinator.get("/").status_code == 200
    as_coordinator.sign_out()

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/patients")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_an_idle_session_ends(app, as_coordinator):
    client = as_coordinator.client
    with client.session_transaction() as session:
        session["seen_at"] -= 29 * 60  # within 30 minutes: still signed in
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] -= 31 * 60
    response = client.get("/patients")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/patients")
    page = client.get(response.headers["Location"])
    assert "signed out after a period of inactivity" in text(page)
    assert client.get("/").status_code == 302


def test_idle_time_is_configurable(make_app, coordinator):
    app = make_app(SESSION_IDLE_MINUTES=5)
    assert app.permanent_session_lifetime.total_seconds() == 5 * 60  # the cookie expires too
    browser = Browser(app.test_client())
    assert browser.sign_in(coordinator).status_code == 302
    with browser.client.session_transaction() as session:
        session["seen_at"] -= 6 * 60
    assert browser.get("/").status_code == 302


def test_change_password(app, as_coordinator, coordinator):
    other_device = app.test_client()
    other_device.set_cookie("session", as_coordinator.client.get_cookie("session").value)
    assert other_device.get("/").status_code == 200

    response = as_coordinator.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert as_coordinator.get("/").status_code == 200  # this session goes on
    assert other_device.get("/").status_code == 302  # the others end
    db.session.refresh(coordinator)
    assert verify_password(coordinator, "a brand new passphrase")


def test_change_password_errors_are_shown_and_nothing_changes(as_coordinator, coordinator):
    old_hash = coordinator.password_hash
    cases = [
        (
            {
                "current_password": "not it",
                "new_password": "long enough pw",
                "confirm": "long enough pw",
            },
            "current_password",
            "That is not your current password.",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": "long enough pw",
                "confirm": "different one",
            },
            "confirm",
            "The two new passwords are not the same.",
        ),
        (
            {"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
            "new_password",
            "at least 12 characters",
        ),
    ]
    for data, field, message in cases:
        response = as_coordinator.post("/account/password", data)
        assert response.status_code == 422
        html = text(response)
        assert f'id="{field}-error"' in html and message in html
        assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
    db.session.refresh(coordinator)
    assert coordinator.password_hash == old_hash


def test_sign_in_is_rate_limited(make_app, coordinator):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3/minute")
    browser = Browser(app.test_client())
    codes = [
        browser.post(
            "/sign-in", {"email": coordinator.email, "password": "guess"}, page="/sign-in"
        ).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    refused = browser.post("/sign-in", {}, page="/sign-in")
    assert "Too many failed attempts for your network. Try again at" in text(refused)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
