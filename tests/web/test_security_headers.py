"""Every route answers with the security headers, and no page needs inline script or style."""

import re
from datetime import timedelta

import pytest

from tests.web.conftest import Browser, csrf_from
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import services as portal
from tracker.portal.locale import PORTAL_COOKIE

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ELEMENT = re.compile(r"<style(?P<attrs>[^>]*)>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle=", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+=", re.I)
NO_REFERRER = {"portal.link", "portal.feed"}


@pytest.fixture
def world(app, make_journey, make_patient, coordinator, make_user, api_headers):
    """A journey with an appointment, a task, a portal invitation and a signed-in phone."""
    surgery = utcnow().replace(microsecond=0) - timedelta(days=3)
    journey = make_journey(
        make_patient(), surgery_at=surgery, consultation_date=(surgery - timedelta(days=20)).date()
    )
    invitation, token = portal.issue_invitation(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    staff = app.test_client()
    Browser(staff).sign_in(coordinator)
    page = staff.get(f"/portal/i/{token}").get_data(as_text=True)
    staff.post(f"/portal/i/{token}", data={"csrf_token": csrf_from(page)})
    assert staff.get_cookie(PORTAL_COOKIE, path="/portal") is not None
    admin = app.test_client()
    Browser(admin).sign_in(make_user("admin"))
    return {
        "clients": {"staff": staff, "admin": admin, "anonymous": app.test_client()},
        "api": api_headers(),
        "values": {
            "journey_id": journey.id,
            "patient_id": journey.patient_id,
            "appointment_id": journey.appointments[0].id,
            "task_id": journey.tasks[0].id,
            "user_id": coordinator.id,
            "token": token,
            "key": portal.feed_key(invitation),
            "filename": "css/app.css",
        },
    }


def url_for_rule(rule, values: dict) -> str:
    url = rule.rule
    for argument in rule.arguments:
        url = re.sub(rf"<(?:[\w()=, ]+:)?{argument}>", str(values.get(argument, 1)), url)
    return url


def requests_for(app, world):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "portal.sign_out":
            continue  # would end the phone's session for the routes after it
        url = url_for_rule(rule, world["values"])
        api = url.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for who, client in world["clients"].items():
                if api and who != "staff":
                    continue
                yield rule, method, url, who, client, world["api"] if api else {}


def check_headers(rule, response) -> None:
    where = f"{rule.endpoint} {response.status_code}"
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("default-src") == "'self'", where
    assert directives.get("script-src") == "'self'", where
    assert directives.get("object-src") == "'none'", where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    expected_referrer = "no-referrer" if rule.endpoint in NO_REFERRER else "same-origin"
    assert response.headers.get("Referrer-Policy") == expected_referrer, where
    if rule.endpoint != "static":
        assert response.headers.get("Cache-Control") == "no-store", where


def check_no_inline_code(rule, response) -> None:
    if response.mimetype != "text/html":
        return
    html = response.get_data(as_text=True)
    where = f"{rule.endpoint} {response.status_code}"
    assert not INLINE_SCRIPT.search(html), where
    assert not STYLE_ATTRIBUTE.search(html), where
    assert not EVENT_ATTRIBUTE.search(html), where
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    for element in STYLE_ELEMENT.finditer(html):
        assert nonce and f'nonce="{nonce.group(1)}"' in element.group("attrs"), where


def test_every_route_carries_the_security_headers(app, world):
    seen = set()
    for rule, method, url, who, client, headers in requests_for(app, world):
        with client.open(url, method=method, headers=headers) as response:
            assert response.status_code < 500, (method, url, who, response.status_code)
            check_headers(rule, response)
            check_no_inline_code(rule, response)
            if response.status_code == 200:
                seen.add(rule.endpoint)
    # The walk really rendered the pages that matter, not only error pages.
    for endpoint in (
        "dashboard.index",
        "patients.show",
        "journeys.show",
        "discharge.print_draft",
        "portal.home",
        "portal.link",
        "portal.feed",
        "auth.users",
        "journeys_api.get_journey",
        "patients_api.list_patients",
        "static",
    ):
        assert endpoint in seen, endpoint


def test_the_print_page_style_carries_this_requests_nonce(app, world):
    staff = world["clients"]["staff"]
    url = f"/journeys/{world['values']['journey_id']}/discharge/print"
    first, second = staff.get(url), staff.get(url)
    nonces = [
        re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
        for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
    assert f'<style nonce="{nonces[1]}">' in second.get_data(as_text=True)
    assert "data-print" in second.get_data(as_text=True)


def test_static_files_may_be_cached(client):
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_in_production_on_https_only(make_app):
    app = make_app(HSTS_ENABLED=True)
    client = app.test_client()
    secure = client.get("/sign-in", base_url="https://tracker.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


def test_hsts_is_off_by_default_outside_production(client):
    response = client.get("/sign-in", base_url="https://tracker.example")
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_trusted_proxy_the_clients_address_and_scheme_are_used(make_app):
    app = make_app(TRUSTED_PROXY_COUNT=1, HSTS_ENABLED=True)
    response = app.test_client().get(
        "/sign-in",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert "Strict-Transport-Security" in response.headers


@pytest.mark.parametrize(
    ("url", "method", "allowed"),
    [
        ("/sign-out", "GET", {"POST", "OPTIONS"}),
        ("/patients", "DELETE", {"GET", "HEAD", "OPTIONS"}),
        ("/api/v1/patients", "DELETE", {"GET", "POST", "HEAD", "OPTIONS"}),
        ("/api/v1/tasks/1/complete", "GET", {"POST", "OPTIONS"}),
    ],
)
def test_405_answers_name_the_allowed_methods(as_coordinator, api_headers, url, method, allowed):
    response = as_coordinator.client.open(url, method=method, headers=api_headers())
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == allowed
