"""Reminder throughput: dispatchers against PostgreSQL and a local SMTP server.

    .venv/bin/python bench/reminders.py [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                        [--count 2000] [--dispatchers 1 4]

Creates a scratch database on the server (dropped at the end), starts the SMTP collector the
tests use (tests/support/smtp.py) in its own process, and for each dispatcher count inserts
``--count`` reminders due now and lets that many dispatcher processes (``dispatch_due``, the
code behind ``flask reminders dispatch``) send them. Prints reminders per second, how late they
left (p50/p99 after their due instant; the dispatchers start at that instant, where the
scheduler would add up to ``DISPATCH_INTERVAL_SECONDS``), and each rate as a share of a bare
smtplib loop sending the same message (same text, same email template) to the same server, run
just before and just after it (the ceiling). Not a test.
"""

import argparse
import multiprocessing as mp
import smtplib
import statistics
import time
import uuid
from datetime import timedelta

import sqlalchemy as sa
from common import ROOT, machine, server_url
from sqlalchemy.engine import make_url

from tests.support.smtp import free_port, serve_in_process
from tracker import create_app
from tracker.clock import utcnow
from tracker.db import db
from tracker.reminders.models import Reminder


def app_config(url: str, port: int) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_STARTTLS": False,
        "DISPATCH_BATCH_SIZE": 50,
        "TESTING": False,
    }


def dispatcher(url: str, port: int, ready, go, counts) -> None:
    from tracker.reminders.dispatch import dispatch_due

    app = create_app(app_config(url, port))
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
        ready.release()
        go.wait()
        sent = 0
        # Keep going until nothing is due (another process may still be finishing a batch).
        while True:
            result = dispatch_due()
            sent += result.sent
            if not result.ids:
                break
        counts.put(sent)


def make_database(server: str) -> tuple[str, callable]:
    url = make_url(server)
    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def setup_journey(app):
    from datetime import UTC, date, datetime

    from flask_migrate import upgrade

    from tracker.journeys.services import JourneyDetails, start_journey
    from tracker.pathways.services import latest_template, load_directory
    from tracker.patients.models import Patient

    upgrade(directory=str(ROOT / "migrations"), revision="heads")
    now = utcnow()
    load_directory(now=now)
    patient = Patient(
        mrn="BENCH1",
        given_name="Bench",
        family_name="Patient",
        birth_date=date(1970, 1, 1),
        sex="other",
        email="bench@example.test",
        phone="+6281234567890",
        language="en",
        timezone="Asia/Jakarta",
        consent_email=True,
        consent_sms=False,
    )
    db.session.add(patient)
    journey = start_journey(
        patient,
        latest_template("teld"),
        JourneyDetails(
            condition="herniated_disc",
            levels="L4-L5",
            side="left",
            approach="transforaminal",
            anesthesia="local_sedation",
            consultation_date=now.date(),
            surgery_at=datetime.combine(now.date() + timedelta(days=60), datetime.min.time(), UTC),
        ),
        actor=None,
        now=now,
    )
    db.session.execute(sa.update(Reminder).values(status="cancelled", cancel_code="staff"))
    db.session.commit()
    return journey


def insert_due(journey, count: int, tag: str) -> None:
    at = utcnow()
    db.session.execute(
        sa.insert(Reminder),
        [
            {
                "idempotency_key": f"bench:{tag}:{n}#1",
                "journey_id": journey.id,
                "patient_id": journey.patient_id,
                "rule_key": "pain_checkin",
                "occurrence": n,
                "message_key": "pain_checkin",
                "channel": "email",
                "audience": "patient",
                "urgent": False,
                "rule_at": at,
                "due_at": at,
                "next_attempt_at": at,
                "status": "pending",
                "attempts": 0,
                "created_at": at,
                "updated_at": at,
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def lateness(tag: str) -> tuple[float, float, float]:
    rows = db.session.execute(
        sa.select(Reminder.due_at, Reminder.sent_at).where(
            Reminder.idempotency_key.like(f"bench:{tag}:%"), Reminder.status == "sent"
        )
    ).all()
    late = sorted((sent - due).total_seconds() for due, sent in rows)
    spread = (max(s for _, s in rows) - min(d for d, _ in rows)).total_seconds()
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    return statistics.median(late), p99, spread


def run_dispatchers(url, port, journey, count, n, received) -> dict:
    ctx = mp.get_context("spawn")
    ready, go, counts = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=dispatcher, args=(url, port, ready, go, counts)) for _ in range(n)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire()  # every process has imported the app and connected
    tag = f"d{n}"
    before = received.value
    insert_due(journey, count, tag)
    started = time.perf_counter()
    go.set()
    sent = [counts.get(timeout=600) for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    p50, p99, _ = lateness(tag)
    return {
        "label": f"{n} dispatcher{'s' if n > 1 else ''}",
        "per_second": count / elapsed,
        "p50": p50,
        "p99": p99,
        "sent": sum(sent),
        "received": received.value - before,
        "split": sent,
    }


def ceiling_message(app) -> bytes:
    """What a dispatcher sends for one of these reminders: its text, the email template."""
    from tracker.reminders.channels import Outgoing, SmtpChannel

    text = (
        "Dear Bench Patient, please log today's back and leg pain (0-10): "
        f"http://127.0.0.1:5000/portal/i/{'x' * 43}. It takes less than a minute."
    )
    subject = "How is your pain today?"
    html = app.jinja_env.get_template("reminders/email.html").render(
        subject=subject, text=text, language="en", reminder=None, config=app.config
    )
    channel = SmtpChannel("127.0.0.1", 25, sender="bench@clinic.test", starttls=False)
    out = Outgoing(0, "bench", 1, "bench@example.test", subject, text, html)
    return channel.encode(out)[0]


def bare_smtplib(port: int, count: int, received, data: bytes) -> dict:
    """The ceiling: the same message sent ``count`` times over one connection, nothing else."""
    before = received.value
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(count):
            smtp.sendmail("bench@clinic.test", ["bench@example.test"], data)
    elapsed = time.perf_counter() - started
    return {"per_second": count / elapsed, "received": received.value - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        default=server_url(),
        help="a PostgreSQL server URL; a scratch database is created on it",
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--dispatchers", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    port, received, ready = free_port(), ctx.Value("i", 0), ctx.Event()
    server = ctx.Process(target=serve_in_process, args=(port, received, ready), daemon=True)
    server.start()
    ready.wait(30)
    url, drop = make_database(args.server)
    try:
        app = create_app(app_config(url, port))
        with app.app_context():
            journey = setup_journey(app)
            interval = app.config.get("DISPATCH_INTERVAL_SECONDS", 10)
            print(f"{args.count} reminders, aiosmtpd on 127.0.0.1:{port}, PostgreSQL ({machine()})")
            data = ceiling_message(app)
            for n in args.dispatchers:
                # The ceiling just before and just after each run: a shared machine's load
                # changes by the minute, so each rate is compared with its own neighbours.
                before = bare_smtplib(port, args.count, received, data)
                r = run_dispatchers(url, port, journey, args.count, n, received)
                after = bare_smtplib(port, args.count, received, data)
                ceiling = (before["per_second"] + after["per_second"]) / 2
                share = r["per_second"] / ceiling
                print(
                    f"  {r['label']:<13}: {r['per_second']:6.0f} reminders/s, bare smtplib "
                    f"{before['per_second']:.0f}/{after['per_second']:.0f} messages/s before/after "
                    f"= {share:.2f} of the ceiling; late p50 {r['p50']:.2f} s, "
                    f"p99 {r['p99']:.2f} s (target: p99 <= 1 s more than the scheduler's "
                    f"{interval} s wait) (sent {r['sent']}, received {r['received']}, "
                    f"split {r['split']})"
                )
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
        server.terminate()


if __name__ == "__main__":
    main()
