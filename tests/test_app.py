"""The application factory, its settings, and the health check."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

import config
from tracker import ROOT, create_app


def test_factory_with_test_settings(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert app.testing
    assert app.config["SECRET_KEY"] == "testing-secret-key"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
    assert app.template_folder == str(ROOT / "templates")
    commands = set(app.cli.list_commands(None))
    assert {"db", "users", "tokens", "pathways", "patients", "demo"} <= commands


def test_development_is_the_default(monkeypatch):
    monkeypatch.delenv("TRACKER_CONFIG", raising=False)
    assert config.load() is config.DevelopmentConfig


def test_unknown_settings_name_is_refused(monkeypatch):
    monkeypatch.setenv("TRACKER_CONFIG", "staging")
    with pytest.raises(RuntimeError, match="Unknown TRACKER_CONFIG 'staging'"):
        create_app()


@pytest.mark.parametrize("key", [None, "", config.DEFAULT_SECRET_KEY, "short"])
def test_production_refuses_a_missing_or_default_secret_key(monkeypatch, key):
    monkeypatch.setenv("TRACKER_CONFIG", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://tracker@db/tracker")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app()


def test_production_needs_a_database_url(monkeypatch):
    monkeypatch.setenv("TRACKER_CONFIG", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL must be set"):
        create_app()


@pytest.mark.parametrize("base", [None, "", "tracker.clinic.example"])
def test_production_needs_the_address_patients_reach(monkeypatch, base):
    monkeypatch.setenv("TRACKER_CONFIG", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://tracker@db.invalid/tracker")
    if base is None:
        monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("PORTAL_BASE_URL", base)
    with pytest.raises(RuntimeError, match="PORTAL_BASE_URL must be set"):
        create_app()


def test_development_links_point_where_make_run_serves(monkeypatch):
    monkeypatch.delenv("TRACKER_CONFIG", raising=False)
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    import config

    assert config.load().PORTAL_BASE_URL == "http://127.0.0.1:5000"
    assert "--port 5000" in (ROOT / "Makefile").read_text()


def test_production_starts_with_its_own_key_and_database():
    # A fresh interpreter, as gunicorn would start it: settings are read from the environment.
    env = {
        **os.environ,
        "TRACKER_CONFIG": "production",
        "SECRET_KEY": "a" * 64,
        "DATABASE_URL": "postgresql+psycopg://tracker@db.invalid/tracker",
        "PORTAL_BASE_URL": "https://tracker.clinic.example",
    }
    code = (
        "from tracker import create_app; app = create_app(); "
        "print(app.secret_key == 'a' * 64, app.debug, app.testing, "
        "app.config['SESSION_COOKIE_SECURE'], app.config['SQLALCHEMY_DATABASE_URI'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [
        "True",
        "False",
        "False",
        "True",
        "postgresql+psycopg://tracker@db.invalid/tracker",
    ]


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'x.db'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_postgresql_connections_run_without_jit(app):
    """JIT compiling over-costed queries took most of a second per dashboard at 100k patients."""
    from tracker.db import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
    db.session.rollback()


def test_jit_stays_as_asked_and_sqlite_is_left_alone():
    from tracker.db import configure_engine

    url = "postgresql+psycopg://tracker@db/tracker"
    off = {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}}
    configure_engine(off)
    assert off["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True,
        "connect_args": {"options": "-c jit=off"},
    }
    assert config.Config.SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True}  # not shared
    on = {"SQLALCHEMY_DATABASE_URI": url, "POSTGRES_JIT": True, "SQLALCHEMY_ENGINE_OPTIONS": {}}
    configure_engine(on)
    assert on["SQLALCHEMY_ENGINE_OPTIONS"] == {}
    lite = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SQLALCHEMY_ENGINE_OPTIONS": {}}
    configure_engine(lite)
    assert lite["SQLALCHEMY_ENGINE_OPTIONS"] == {}
