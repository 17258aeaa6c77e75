"""Fixtures shared by every test.

The suite runs on a fresh SQLite file by default and on a fresh PostgreSQL database when
``TRACKER_TEST_DATABASE_URL`` names a server. The schema is built once per run through the
Alembic migrations (so they are exercised too); after each test every table is emptied.
"""

import os
import re
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pyotp
import pytest
import sqlalchemy as sa
import time_machine
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from tracker import create_app
from tracker.auth.models import StaffUser
from tracker.auth.services import create_token, hash_password
from tracker.clock import utcnow
from tracker.db import db
from tracker.journeys.services import JourneyDetails, start_journey
from tracker.pathways.services import latest_template, load_directory
from tracker.patients.models import Patient

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in the demo clinic (Asia/Jakarta)
#: the authenticator secret of every admin the tests make (admins need two-factor sign-in)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def totp_code(user: StaffUser) -> str:
    """The next code the app accepts for ``user``: never one it has already used."""
    row = db.session.get(StaffUser, user.id)
    db.session.refresh(row)
    totp = pyotp.TOTP(row.totp_secret)
    current = totp.timecode(utcnow())
    step = current - 1 if row.totp_last_step is None else max(current - 1, row.totp_last_step + 1)
    assert step <= current + 1, "signed in too often within a minute to have a fresh code"
    return totp.generate_otp(step)


def finish_two_factor(client, user: StaffUser, response):
    """After a password sign-in: type the authenticator code when the app asks for one."""
    if response.status_code != 303 or response.headers["Location"] != "/sign-in/code":
        return response
    page = client.get("/sign-in/code").get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    return client.post("/sign-in/code", data={"code": totp_code(user), "csrf_token": token})


def _keep_url_builders() -> None:
    """Every test makes its own app, and werkzeug writes and compiles the same ~1,300 URL
    builders each time: most of ``create_app``'s cost, a fifth of the suite's. A builder depends
    only on its rule's parts, defaults and converters, so one made before is used again (bound to
    the new rule, as werkzeug binds it). Tests only; the app itself is made once per process.
    """
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None:  # a werkzeug without it: nothing to keep
        return
    made: dict = {}

    def compile_builder(self, append_unknown: bool = True):
        key = (
            self.rule,
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple((name, type(converter)) for name, converter in self._converters.items()),
            append_unknown,
        )
        if key not in made:
            made[key] = original(self, append_unknown)
        return made[key]

    Rule._compile_builder = compile_builder


_keep_url_builders()

CLOCK_VARIABLE = "TRACKER_TEST_CLOCK"


def pytest_configure(config):
    """Move the real clock for the whole run when ``TRACKER_TEST_CLOCK`` names an instant.

    CI runs the suite again with the clock far from the fixtures' dates (``.ci/run``), so a test
    that leans on the day it runs fails there. The clock keeps ticking from that instant;
    monotonic time (sleeps, timeouts) is left alone.
    """
    value = os.environ.get(CLOCK_VARIABLE)
    if value:
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is None:
            raise pytest.UsageError(
                f"{CLOCK_VARIABLE} needs a UTC offset, e.g. 2027-12-02T23:30+07:00"
            )
        config._tracker_clock = time_machine.travel(instant, tick=True)
        config._tracker_clock.start()


def pytest_unconfigure(config):
    clock = getattr(config, "_tracker_clock", None)
    if clock is not None:
        clock.stop()


def pytest_report_header(config):
    value = os.environ.get(CLOCK_VARIABLE)
    return f"clock moved to {value} ({CLOCK_VARIABLE})" if value else None


@pytest.fixture
def clock(time_machine):
    """The real clock, set to the suite's fixed ``NOW`` (and ticking) for code that reads it.

    Use it where the code under test calls ``tracker.clock.utcnow()`` itself (the embedded
    scheduler, CLI commands, pages that show "today") and the test's data sits around ``NOW``;
    ``clock.move_to(instant)`` moves it again.
    """
    time_machine.move_to(NOW, tick=True)
    return time_machine


def _make_postgres_database(server_url: str) -> tuple[str, Callable[[], None]]:
    url = make_url(server_url)
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    server = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if server:
        url, drop = _make_postgres_database(server)
    else:
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}", lambda: None
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    drop()


@pytest.fixture(scope="session")
def make_database(tmp_path_factory) -> Callable[[], str]:
    """A factory of empty databases of the kind under test (for migration tests)."""
    drops = []

    def make() -> str:
        server = os.environ.get("TRACKER_TEST_DATABASE_URL")
        if server:
            url, drop = _make_postgres_database(server)
            drops.append(drop)
            return url
        return f"sqlite:///{tmp_path_factory.mktemp('empty') / 'empty.sqlite'}"

    yield make
    for drop in drops:
        drop()


def _fresh_g(sender, **extra):
    """Give every request an empty ``g``, as a real server does.

    The ``app`` fixture keeps one app context open for the whole test and the test client
    reuses it, so ``g`` would otherwise carry the signed-in user (Flask-Login) and the CSRF
    token (Flask-WTF) from one request, or one client, to the next.
    """
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def app(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    request_started.connect(_fresh_g, app)
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def make_user(app) -> Callable[..., StaffUser]:
    counter = iter(range(1, 10_000))

    def make(role: str = "coordinator", **overrides) -> StaffUser:
        n = next(counter)
        values = {
            "email": f"{role}{n}@clinic.example.com",
            "name": f"{role.title()} {n}",
            "role": role,
            "password_hash": _PASSWORD_HASH,
        }
        if role == "admin":  # enrolled, as two-factor sign-in is required for admins
            values.update(totp_secret=TOTP_SECRET, totp_enabled_at=NOW)
        values.update(overrides)
        user = StaffUser(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def coordinator(make_user) -> StaffUser:
    return make_user("coordinator", name="Cora Ordinator")


@pytest.fixture
def surgeon(make_user) -> StaffUser:
    return make_user("clinician", name="Dr Sita Surgeon")


@pytest.fixture
def make_patient(app) -> Callable[..., Patient]:
    counter = iter(range(1, 10_000))

    def make(**overrides) -> Patient:
        n = next(counter)
        values = {
            "mrn": f"MRN{n:05d}",
            "given_name": f"Given{n}",
            "family_name": f"Family{n}",
            "birth_date": date(1970, 5, 17),
            "sex": "female",
            "phone": "+6281234567890",
            "email": f"patient{n}@example.com",
            "language": "en",
            "timezone": "Asia/Jakarta",
            "consent_email": True,
            "consent_sms": True,
        }
        values.update(overrides)
        patient = Patient(**values)
        db.session.add(patient)
        db.session.commit()
        return patient

    return make


@pytest.fixture
def templates(app):
    load_directory(now=NOW)
    db.session.commit()
    return {"teld": latest_template("teld"), "il": latest_template("interlaminar-decompression")}


@pytest.fixture
def make_journey(app, templates, make_patient, coordinator, surgeon):
    def make(patient: Patient | None = None, template: str = "teld", **overrides):
        details = {
            "condition": "herniated_disc",
            "levels": "L4-L5",
            "side": "left",
            "approach": "transforaminal",
            "anesthesia": "local_sedation",
            "consultation_date": date(2026, 11, 20),
            "surgery_at": datetime(2026, 12, 10, 1, 30, tzinfo=UTC),  # 08:30 in Jakarta
            "surgeon": surgeon,
        }
        details.update(overrides)
        journey = start_journey(
            patient or make_patient(),
            templates[template],
            JourneyDetails(**details),
            actor=coordinator,
            now=NOW,
        )
        db.session.commit()
        return journey

    return make


@pytest.fixture
def api_headers(app, coordinator) -> Callable[..., dict]:
    """Bearer headers for a staff user (the coordinator unless given)."""

    def headers(user: StaffUser | None = None) -> dict:
        token, _ = create_token(user or coordinator, now=NOW)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a ``with count_queries() as counter:`` block."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counting
