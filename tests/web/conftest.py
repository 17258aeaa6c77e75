"""Helpers for the server-rendered pages: read the CSRF token from a page, post forms, sign in."""

import re

import pytest

from tests.conftest import PASSWORD, finish_two_factor
from tracker import create_app
from tracker.db import db

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that fills in forms the way a browser does, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def token(self, page: str) -> str:
        response = self.client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        return csrf_from(response.get_data(as_text=True))

    def post(self, url, data=None, *, page: str | None = None, **kwargs):
        """POST ``data`` to ``url`` with the token from ``page`` (default: ``url`` itself)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(page or url))
        return self.client.post(url, data=data, **kwargs)

    def sign_in(self, user, password: str = PASSWORD, **kwargs):
        """Sign in with the password (and the authenticator code, when asked for one)."""
        response = self.post(
            "/sign-in", {"email": user.email, "password": password}, page="/sign-in", **kwargs
        )
        return finish_two_factor(self.client, user, response)

    def sign_out(self, page: str = "/account/password"):
        return self.post("/sign-out", page=page)


@pytest.fixture
def make_app(database_url):
    """Another app on the test database with some settings changed (its pool closed after)."""
    apps = []

    def make(**config):
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def as_coordinator(browser, coordinator) -> Browser:
    response = browser.sign_in(coordinator)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Ada Admin")


@pytest.fixture
def as_admin(browser, admin) -> Browser:
    assert browser.sign_in(admin).status_code == 302
    return browser


def text(response) -> str:
    return response.get_data(as_text=True)
