"""Rate limits that hold across processes: Redis for real, and clear words when misconfigured.

The Redis test runs against ``TRACKER_TEST_REDIS_URL`` (default redis://127.0.0.1:6379/15). It is
skipped when no Redis answers there, unless ``TRACKER_REQUIRE_REDIS=1`` (CI sets it), where a
missing Redis fails the run.
"""

import importlib.util
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tracker import create_app, security

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

#: one process of the app: fails to sign in twice and prints the two statuses
OTHER_PROCESS = """
import sys
from tracker import create_app
app = create_app({
    "SQLALCHEMY_DATABASE_URI": sys.argv[1], "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3],
    "LOGIN_RATE_LIMIT": "3 per minute", "WTF_CSRF_ENABLED": False,
})
with app.app_context():
    client = app.test_client()
    form = {"email": sys.argv[4], "password": "not the password"}
    print(" ".join(str(client.post("/sign-in", data=form).status_code) for _ in range(2)))
"""


def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("TRACKER_REQUIRE_REDIS") == "1":
            pytest.fail(f"no Redis answers at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL} (set TRACKER_TEST_REDIS_URL)")
    return client


def app_process(database_url: str, storage: str, prefix: str, email: str) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, database_url, storage, prefix, email],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [int(status) for status in result.stdout.split()[-2:]]


@pytest.mark.parametrize(("storage", "shared"), [("redis", True), ("memory://", False)])
def test_failed_sign_ins_count_across_processes_only_with_redis(
    database_url, coordinator, storage, shared
):
    """Two processes of one deployment (as gunicorn workers are), each failing twice."""
    if storage == "redis":
        client = redis_client()
        storage = REDIS_URL
    prefix = f"tracker-test-{uuid.uuid4().hex[:8]}"
    try:
        assert app_process(database_url, storage, prefix, coordinator.email) == [422, 422]
        second = app_process(database_url, storage, prefix, coordinator.email)
        # With Redis the limit of 3 is shared: the second process has one attempt left.
        assert second == ([422, 429] if shared else [422, 422])
        if shared:
            assert list(client.scan_iter(f"*{prefix}*")), "the counts are kept in Redis"
    finally:
        if storage == REDIS_URL:
            for key in client.scan_iter(f"*{prefix}*"):
                client.delete(key)


def test_a_redis_store_without_its_client_is_refused_with_the_fix(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "redis" else real(name, *a)
    )
    with pytest.raises(RuntimeError, match=r"pip install 'tracker\[redis\]'"):
        create_app({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})


def test_production_warns_when_limits_are_per_process(caplog, monkeypatch):
    # Alembic's logging set-up (the suite migrates in this process) disables loggers that
    # existed before it; a served app never runs it.
    monkeypatch.setattr(security.log, "disabled", False)

    class Production:
        config = {"ENV_NAME": "production", "RATELIMIT_STORAGE_URI": "memory://"}

    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        security.check_rate_limit_storage(Production)
    assert "counted per process" in caplog.text and "redis://" in caplog.text
    caplog.clear()
    Production.config["RATELIMIT_STORAGE_URI"] = REDIS_URL
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        security.check_rate_limit_storage(Production)
    assert caplog.text == ""
