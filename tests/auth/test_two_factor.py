"""Staff sign-in with a second factor: set-up at sign-in, codes, recovery codes, the clinic's
switch, and per-account delays that grow but never lock a correct password out for ever."""

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, totp_code
from tests.web.conftest import Browser, csrf_from
from tracker.auth import services, two_factor
from tracker.auth.models import RecoveryCode
from tracker.clock import utcnow
from tracker.db import db


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app.test_client())


def password_step(browser: Browser, user, password: str = PASSWORD):
    return browser.post("/sign-in", {"email": user.email, "password": password}, page="/sign-in")


def code_step(browser: Browser, code: str, url: str = "/sign-in/code"):
    return browser.post(url, {"code": code})


def key_on(page: str) -> str:
    return re.search(r'class="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_an_admin_without_an_app_sets_one_up_at_first_sign_in(browser, make_user):
    admin = make_user("admin", totp_secret=None, totp_enabled_at=None)
    response = password_step(browser, admin)
    assert response.headers["Location"] == "/sign-in/two-factor-setup"
    assert browser.get("/admin/users").status_code == 302  # not signed in yet
    page = browser.get("/sign-in/two-factor-setup").get_data(as_text=True)
    assert "<svg" in page and "Two-factor QR code" in page
    secret = key_on(page)
    assert code_step(browser, "000000", "/sign-in/two-factor-setup").status_code == 422
    done = code_step(browser, pyotp.TOTP(secret).now(), "/sign-in/two-factor-setup")
    assert done.status_code == 200
    codes = re.findall(
        r"<code>([a-z0-9]{4}(?:-[a-z0-9]{4}){3})</code>", done.get_data(as_text=True)
    )
    assert len(set(codes)) == 10
    assert browser.get("/admin/users").status_code == 200  # signed in
    db.session.expire_all()
    assert admin.has_two_factor and admin.totp_secret == secret
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept


def test_sign_in_with_an_authenticator_code(browser, make_user):
    admin = make_user("admin")
    assert password_step(browser, admin).headers["Location"] == "/sign-in/code"
    wrong = code_step(browser, "123456")
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    code = totp_code(admin)
    assert code_step(browser, code).headers["Location"] == "/admin/users"
    # The same code never works twice, even within its 30 seconds.
    other = Browser(browser.client.application.test_client())
    password_step(other, admin)
    assert code_step(other, code).status_code == 422


def test_a_recovery_code_signs_in_once(browser, make_user, now):
    admin = make_user("admin")
    codes = two_factor.replace_recovery_codes(admin, now=now)
    db.session.commit()
    password_step(browser, admin)
    response = code_step(browser, codes[3].upper().replace("-", " "))
    assert response.status_code == 302
    assert two_factor.recovery_codes_left(admin) == 9
    again = Browser(browser.client.application.test_client())
    password_step(again, admin)
    assert code_step(again, codes[3]).status_code == 422


def test_the_half_way_state_expires(browser, make_user, clock):
    admin = make_user("admin")
    password_step(browser, admin)
    token = csrf_from(browser.get("/sign-in/code").get_data(as_text=True))
    clock.shift(timedelta(minutes=6))
    response = browser.client.post(
        "/sign-in/code", data={"code": totp_code(admin), "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"


def test_the_clinic_switch_requires_it_of_everyone(app, browser, make_user, coordinator):
    staff = Browser(app.test_client())
    assert staff.sign_in(coordinator).headers["Location"] == "/"
    admin = make_user("admin")
    browser.sign_in(admin)
    page = browser.get("/admin/security").get_data(as_text=True)
    assert "Not set up" in page
    response = browser.post("/admin/security", {"everyone": "y"})
    assert response.status_code == 302
    assert two_factor.required_for_everyone()
    # The coordinator without an app is signed out, and sets one up at the next sign-in.
    assert staff.get("/").status_code == 302
    assert password_step(staff, coordinator).headers["Location"] == "/sign-in/two-factor-setup"
    browser.post("/admin/security", {})
    assert not two_factor.required_for_everyone()
    fresh = Browser(app.test_client())
    assert password_step(fresh, coordinator).headers["Location"] == "/"


def test_promoting_someone_to_admin_sends_them_to_set_up_two_factor(
    app, browser, make_user, coordinator, now
):
    staff = Browser(app.test_client())
    staff.sign_in(coordinator)
    services.update_user(coordinator, actor=make_user("admin"), now=now, role="admin")
    db.session.commit()
    assert staff.get("/admin/users").status_code == 302
    assert password_step(staff, coordinator).headers["Location"] == "/sign-in/two-factor-setup"


def test_own_account_set_up_new_codes_and_turn_off(browser, coordinator):
    browser.sign_in(coordinator)
    page = browser.get("/account/two-factor").get_data(as_text=True)
    secret = key_on(page)
    done = code_step(browser, pyotp.TOTP(secret).now(), "/account/two-factor")
    assert done.status_code == 200 and "Your recovery codes" in done.get_data(as_text=True)
    page = browser.get("/account/two-factor").get_data(as_text=True)
    assert "10 of 10 recovery codes left" in page
    refused = browser.post(
        "/account/two-factor/off", {"code": "000000"}, page="/account/two-factor"
    )
    assert refused.status_code == 422
    db.session.expire_all()
    off = browser.post(
        "/account/two-factor/off", {"code": totp_code(coordinator)}, page="/account/two-factor"
    )
    assert off.status_code == 302
    db.session.expire_all()
    assert not coordinator.has_two_factor


def test_an_admin_cannot_turn_their_own_off_but_can_reset_someone_elses(app, browser, make_user):
    admin, other = make_user("admin"), make_user("admin")
    browser.sign_in(admin)
    page = browser.get("/account/two-factor").get_data(as_text=True)
    assert "cannot be turned off" in page and "formaction" not in page
    response = browser.post(
        f"/admin/users/{other.id}/two-factor/reset", {}, page=f"/admin/users/{other.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert not other.has_two_factor
    assert password_step(Browser(app.test_client()), other).headers["Location"] == (
        "/sign-in/two-factor-setup"
    )


# ---- per-account delays --------------------------------------------------------------------


def test_failures_on_an_account_bring_growing_delays_that_end(app, browser, coordinator, clock):
    for _ in range(4):
        assert password_step(browser, coordinator, "not the password").status_code == 422
    fifth = password_step(browser, coordinator, "not the password")
    assert fifth.status_code == 429
    assert "Try again at" in fifth.get_data(as_text=True) and "(in 1 minute)" in fifth.text
    # Even the right password waits out the delay…
    waiting = password_step(browser, coordinator)
    assert waiting.status_code == 429 and "Too many failed attempts" in waiting.text
    # …and works once it has passed; the person is told what happened.
    clock.shift(timedelta(minutes=1, seconds=1))
    assert password_step(browser, coordinator).headers["Location"] == "/"
    home = browser.get("/").get_data(as_text=True)
    assert "5 failed sign-in attempt(s) on your account since you last signed in" in home
    db.session.expire_all()
    assert coordinator.failed_logins == 0 and coordinator.locked_until is None


def test_the_delay_doubles_up_to_the_maximum(app):
    delays = [services.lock_delay(n) for n in range(1, 14)]
    assert delays[:4] == [None] * 4
    minutes = [d.total_seconds() / 60 for d in delays[4:]]
    assert minutes == [1, 2, 4, 8, 16, 30, 30, 30, 30]


def test_a_delayed_account_does_not_hold_up_others_at_the_same_address(
    app, browser, coordinator, make_user
):
    for _ in range(5):
        password_step(browser, coordinator, "not the password")
    colleague = make_user("coordinator")
    assert password_step(browser, colleague).headers["Location"] == "/"


def test_wrong_codes_count_against_the_account(browser, make_user):
    admin = make_user("admin")
    password_step(browser, admin)
    statuses = [code_step(browser, "000000").status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    assert code_step(browser, totp_code(admin)).status_code == 429


def test_admins_see_failures_on_the_security_page(app, browser, make_user, coordinator):
    password_step(Browser(app.test_client()), coordinator, "wrong password")
    browser.sign_in(make_user("admin"))
    page = browser.get(f"/admin/users/{coordinator.id}").get_data(as_text=True)
    assert "1 failed sign-in(s)" in page


def test_csrf_token_on_the_code_page(browser, make_user):
    admin = make_user("admin")
    password_step(browser, admin)
    assert csrf_from(browser.get("/sign-in/code").get_data(as_text=True))
    token_less = browser.client.post("/sign-in/code", data={"code": totp_code(admin)})
    assert token_less.status_code == 400
    assert utcnow()
