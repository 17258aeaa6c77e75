"""Load test: 50 patients checking in and 5 coordinators browsing, against gunicorn on PostgreSQL.

    .venv/bin/pip install -e ".[bench]"              # once: Locust (not needed by the app)
    .venv/bin/python bench/load.py [--patients 1000] [--users 50] [--seconds 60] [--workers 4]

Uses a generated clinic (see bench/common.py; ``--patients 100000`` for the big one), gives 50
recovering patients a fresh portal link, starts gunicorn with ``--workers`` workers, and runs
Locust headless (bench/locustfile.py) for ``--seconds``. Then checks that every check-in the
server accepted is stored exactly once (double taps included) and prints requests, failures and
the 50th and 95th percentile per page. Exits with status 1 on any failure. Not a test.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa
from common import ROOT, app_for, clinic, machine

from tests.support.smtp import free_port
from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import db
from tracker.demo import DEMO_SIGN_IN
from tracker.journeys.models import Journey
from tracker.portal import services as portal
from tracker.portal.models import CheckIn

BIN = Path(sys.executable).parent


def invite(url: str, count: int) -> list[str]:
    """Personal portal links for ``count`` recovering patients (their tokens)."""
    app = app_for(url)
    with app.app_context():
        journeys = db.session.scalars(
            sa.select(Journey)
            .where(Journey.status == "active", Journey.stage == "follow_up")
            .order_by(Journey.surgery_at.desc())
            .limit(count)
        ).all()
        if len(journeys) < count:
            raise SystemExit(f"only {len(journeys)} recovering patients; generate more")
        actor = db.session.get(StaffUser, journeys[0].started_by_id)
        tokens = [portal.issue_invitation(j, actor=actor, now=utcnow())[1] for j in journeys]
        db.session.commit()
        db.engine.dispose()
        return tokens


def serve(
    url: str, port: int, workers: int, app: str = "tracker:create_app()", pythonpath: str = ""
) -> subprocess.Popen:
    """gunicorn serving ``app`` (production settings) on ``port``, once it answers."""
    env = {
        **os.environ,
        "TRACKER_CONFIG": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": "load-test-only-" + "x" * 32,
        "SESSION_COOKIE_SECURE": "0",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            *(["--pythonpath", pythonpath] if pythonpath else []),
            app,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start")


def report(prefix: str) -> int:
    failures = 0
    with open(f"{prefix}_stats.csv") as stats:
        rows = list(csv.DictReader(stats))
    print(f"{'page':<24}{'requests':>9}{'failures':>9}{'p50 ms':>8}{'p95 ms':>8}")
    for row in rows:
        print(
            f"{row['Name']:<24}{row['Request Count']:>9}{row['Failure Count']:>9}"
            f"{row['50%']:>8}{row['95%']:>8}"
        )
        if row["Name"] == "Aggregated":
            failures = int(row["Failure Count"])
    if failures:
        with open(f"{prefix}_failures.csv") as errors:
            for row in csv.DictReader(errors):
                print(f"  {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000, help="size of the generated clinic")
    parser.add_argument("--users", type=int, default=50, help="patients checking in")
    parser.add_argument("--staff", type=int, default=5, help="coordinators browsing")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--url", help="use this PostgreSQL database (a generated clinic) as it is")
    args = parser.parse_args()
    url = args.url or clinic("postgresql", args.patients)
    tokens = invite(url, args.users)
    port = free_port()
    server = serve(url, port, args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "LOAD_TOKENS": str(Path(tmp) / "tokens.json"),
            "LOAD_ACCEPTED": str(Path(tmp) / "accepted.json"),
            "LOAD_STAFF_EMAIL": DEMO_SIGN_IN,
        }
        Path(env["LOAD_TOKENS"]).write_text(json.dumps(tokens))
        print(
            f"{args.users} patients + {args.staff} coordinators for {args.seconds} s, gunicorn "
            f"-w {args.workers}, PostgreSQL, {args.patients} patients ({machine()})"
        )
        try:
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f", str(ROOT / "bench" / "locustfile.py"),
                    "--headless", "--only-summary",
                    "-u", str(args.users + args.staff), "-r", str(args.users + args.staff),
                    "-t", f"{args.seconds}s",
                    "--host", f"http://127.0.0.1:{port}",
                    "--csv", str(Path(tmp) / "load"),
                ],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        failures = report(str(Path(tmp) / "load"))
        accepted = json.loads(Path(env["LOAD_ACCEPTED"]).read_text())
    app = app_for(url)
    with app.app_context():
        stored = dict(
            db.session.execute(
                sa.select(CheckIn.idempotency_key, sa.func.count())
                .where(CheckIn.idempotency_key.in_(accepted))
                .group_by(CheckIn.idempotency_key)
            ).all()
        )
    missing = [key for key in accepted if stored.get(key) != 1]
    print(
        f"check-ins accepted: {len(accepted)}, stored exactly once: {len(accepted) - len(missing)}"
        f", failures: {failures}"
    )
    sys.exit(1 if failures or missing else 0)


if __name__ == "__main__":
    main()
