"""What the benchmarks share: generated clinics kept between runs, signed-in clients, timing.

A benchmark compares two things measured side by side in the same run (interleaved, so a busy
machine slows both alike) and prints their ratio. Clinics are built once with the generator
(``flask demo --patients N``, through the real command) and kept: PostgreSQL databases named
``tracker_bench_<patients>_s<seed>`` on ``BENCH_DATABASE_URL`` (default: the test server), SQLite
files in ``BENCH_DIR`` (default ``/tmp/tracker-bench``). ``--rebuild`` makes them again.
"""

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import create_app  # noqa: E402
from tracker.db import db  # noqa: E402
from tracker.demo import DEMO_PASSWORD, DEMO_SIGN_IN  # noqa: E402
from tracker.patients.models import Patient  # noqa: E402
from tracker.scale.people import MRN_PREFIX  # noqa: E402

FLASK = [sys.executable, "-m", "flask", "--app", "tracker"]
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def server_url() -> str:
    return os.environ.get(
        "BENCH_DATABASE_URL",
        os.environ.get(
            "TRACKER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )


def bench_dir() -> Path:
    path = Path(os.environ.get("BENCH_DIR", "/tmp/tracker-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def machine() -> str:
    """One line about where the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, load {load:.1f}"


def _generated(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).where(Patient.mrn.like(f"{MRN_PREFIX}%"))
            return conn.execute(query).scalar() or 0
    except sa.exc.SQLAlchemyError:
        return -1
    finally:
        engine.dispose()


def _flask(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "TRACKER_CONFIG": "development"}
    subprocess.run([*FLASK, *args], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def clinic(dialect: str, patients: int, *, seed: int = 1, rebuild: bool = False) -> str:
    """The URL of a database with the demo clinic and ``patients`` generated patients."""
    name = f"tracker_bench_{patients}_s{seed}"
    if dialect == "sqlite":
        path = bench_dir() / f"{name}.sqlite"
        url = f"sqlite:///{path}"
        fresh = rebuild or _generated(url) != patients
        if fresh:
            path.unlink(missing_ok=True)
    else:
        server = make_url(server_url())
        url = server.set(database=name).render_as_string(hide_password=False)
        fresh = rebuild or _generated(url) != patients
        if fresh:
            admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
    _flask(url, "db", "upgrade")  # a kept clinic gets any newer migration
    if fresh:
        print(f"  building {name} on {dialect} ({patients} patients) …", flush=True)
        started = time.perf_counter()
        _flask(url, "demo", "--patients", str(patients), "--seed", str(seed))
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def app_for(url: str, **config):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": False, "WTF_CSRF_ENABLED": True, **config}
    )


def signed_in(app, email: str = DEMO_SIGN_IN, password: str = DEMO_PASSWORD):
    """A test client signed in through the sign-in form, as a person would."""
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    response = client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code in (302, 303), response.status_code
    return client


@contextmanager
def statements(app):
    """Count the SQL statements run inside the block (``counter[0]``)."""
    counter = [0]

    def count(*_args):
        counter[0] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def side_by_side(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple:
    """Median milliseconds of ``a`` and ``b``, run alternately ``repeat`` times each."""
    runs_a, runs_b = [], []
    for n in range(repeat):
        first, second = (a, b) if n % 2 == 0 else (b, a)
        t1, t2 = timed(first), timed(second)
        runs_a.append(t1 if first is a else t2)
        runs_b.append(t2 if first is a else t1)
    return statistics.median(runs_a), statistics.median(runs_b)
