"""Bulk FHIR export of a large clinic: time and peak memory of ``flask fhir export``.

    .venv/bin/python bench/fhir_export.py [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                          [--patients 100000] [--batch 2000]
                                          [--keep | --database URL] [--type T …] [--repeat N]
                                          [--profile]

Creates a scratch database on the server (dropped at the end), migrates it, and fills it with
``--patients`` patients, each with a TELD journey past surgery: its tasks (from the template),
five appointments, 20 pain check-ins, 8 sent reminders and 4 answered questionnaires (two ODIs,
back pain, global change), in bulk INSERTs. Then runs the code
behind ``flask fhir export`` (``bulk.write_ndjson`` in a read snapshot) into a temporary folder
and prints resources, seconds, resources per second, the exporting process's CPU time (steadier
than wall time on a shared machine: the database's work is not in it) and its peak memory
before and after the export (flat memory means streaming works). Not a test.
"""

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.models import StaffUser  # noqa: E402
from tracker.db import db  # noqa: E402
from tracker.fhir import bulk  # noqa: E402
from tracker.fhir.common import make_context  # noqa: E402
from tracker.fhir.registry import RESOURCE_TYPES  # noqa: E402
from tracker.journeys.models import Appointment, Journey, Task  # noqa: E402
from tracker.outcomes import catalogue  # noqa: E402
from tracker.outcomes.definitions import shipped  # noqa: E402
from tracker.outcomes.models import (  # noqa: E402
    Instrument,
    QuestionnaireAnswer,
    QuestionnaireResponse,
)
from tracker.pathways.services import latest_template, load_directory  # noqa: E402
from tracker.patients.models import Patient  # noqa: E402
from tracker.portal.models import CheckIn  # noqa: E402
from tracker.reminders.models import Reminder  # noqa: E402

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
CHUNK = 2000


def make_database(server: str):
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


def insert(table, rows: list[dict]) -> None:
    if rows:
        db.session.execute(sa.insert(table), rows)


def seed(patients: int) -> None:
    load_directory(now=NOW)
    template = latest_template("teld")
    surgeon = StaffUser(email="s@b.test", name="dr. Bench", role="clinician", password_hash="x")
    db.session.add(surgeon)
    db.session.commit()
    tasks = [t for s in template.definition["stages"] for t in s.get("tasks", [])]
    catalogue.load_directory(now=NOW)
    instruments = {i.key: i.id for i in db.session.scalars(sa.select(Instrument))}
    started = time.perf_counter()
    for first in range(0, patients, CHUNK):
        ids = range(first + 1, min(first + CHUNK, patients) + 1)
        insert(
            Patient.__table__,
            [
                {
                    "id": n,
                    "mrn": f"B{n:07d}",
                    "given_name": f"Given{n}",
                    "family_name": f"Family{n}",
                    "birth_date": date(1960 + n % 40, 1 + n % 12, 1),
                    "sex": ("female", "male")[n % 2],
                    "phone": "+6281234567890",
                    "email": None,
                    "language": "id",
                    "timezone": "Asia/Jakarta",
                    "consent_email": False,
                    "consent_sms": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in ids
            ],
        )
        surgery = {n: NOW - timedelta(days=30 + n % 300) for n in ids}
        insert(
            Journey.__table__,
            [
                {
                    "id": n,
                    "patient_id": n,
                    "template_id": template.id,
                    "condition": "herniated_disc",
                    "levels": "L4-L5",
                    "side": "left",
                    "approach": "transforaminal",
                    "anesthesia": "local_sedation",
                    "surgeon_id": surgeon.id,
                    "consultation_date": (surgery[n] - timedelta(20)).date(),
                    "surgery_at": surgery[n],
                    "discharged_at": surgery[n] + timedelta(hours=5),
                    "stage": "follow_up",
                    "status": "active",
                    "started_at": surgery[n] - timedelta(20),
                    "updated_at": NOW,
                }
                for n in ids
            ],
        )
        insert(
            Task.__table__,
            [
                {
                    "journey_id": n,
                    "stage": "follow_up",
                    "key": t["key"],
                    "titles": t["title"],
                    "required": t["required"],
                    "anchor": t["anchor"],
                    "offset_days": t["offset_days"],
                    "due_on": surgery[n].date(),
                    "status": "done",
                    "done_at": surgery[n],
                    "done_by_id": surgeon.id,
                    "updated_at": NOW,
                }
                for n in ids
                for t in tasks
            ],
        )
        insert(
            Appointment.__table__,
            [
                {
                    "journey_id": n,
                    "kind": "follow_up",
                    "title": f"Review {k}",
                    "starts_at": surgery[n] + timedelta(days=14 * k),
                    "duration_minutes": 30,
                    "location": "Clinic",
                    "status": "scheduled",
                    "sequence": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in ids
                for k in range(5)
            ],
        )
        insert(
            CheckIn.__table__,
            [
                {
                    "journey_id": n,
                    "patient_id": n,
                    "day": (surgery[n] + timedelta(d)).date(),
                    "recorded_at": surgery[n] + timedelta(days=d),
                    "back_pain": 3,
                    "leg_pain": max(0, 7 - d),
                    "took_pain_medicine": d < 7,
                    "flag_weakness": False,
                    "flag_saddle": False,
                    "flag_fever": False,
                    "flag_wound": False,
                    "entered_by": "patient",
                    "idempotency_key": f"bench-{n}-{d:03d}-padding",
                }
                for n in ids
                for d in range(20)
            ],
        )
        insert(
            Reminder.__table__,
            [
                {
                    "idempotency_key": f"bench-{n}-{k}",
                    "journey_id": n,
                    "patient_id": n,
                    "rule_key": "pain_checkin",
                    "occurrence": k,
                    "message_key": "pain_checkin",
                    "channel": "sms",
                    "audience": "patient",
                    "urgent": False,
                    "rule_at": surgery[n],
                    "due_at": surgery[n],
                    "next_attempt_at": surgery[n],
                    "status": "sent",
                    "attempts": 1,
                    "sent_at": surgery[n] + timedelta(days=k),
                    "transport": "outbox",
                    "body": "How is your back today?",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in ids
                for k in range(8)
            ],
        )
        seed_proms(ids, surgery, instruments, surgeon.id)
        db.session.commit()
        print(f"\rseeded {ids[-1]:,} patients", end="", flush=True)
    print(f" in {time.perf_counter() - started:.0f} s")
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))


#: per patient: (instrument, timepoint, days from surgery, answers)
PROMS = (
    ("odi", "baseline", -7, [3, 3, 2, 3, 3, 2, 3, 2, 3, 3]),
    ("back_pain", "baseline", -7, [6]),
    ("odi", "6w", 42, [1, 1, 0, 1, 1, 0, 1, None, 1, 1]),
    ("global_change", "6w", 42, [2]),
)


def seed_proms(ids, surgery: dict, instruments: dict, staff_id: int) -> None:
    """Four answered questionnaires per patient (two ODIs), typed in from paper."""
    responses, answers = [], []
    for n in ids:
        for k, (key, timepoint, days, values) in enumerate(PROMS):
            response_id = n * len(PROMS) + k
            at = surgery[n] + timedelta(days=days)
            given = [v for v in values if v is not None]
            score = round(sum(given) / (5 * len(given)) * 100, 1) if key == "odi" else values[0]
            responses.append(
                {
                    "id": response_id,
                    "journey_id": n,
                    "patient_id": n,
                    "instrument_id": instruments[key],
                    "instrument_key": key,
                    "timepoint": timepoint,
                    "status": "completed",
                    "score": score,
                    "band": "moderate" if key == "odi" else None,
                    "missing": len(values) - len(given),
                    "entered_by": "staff",
                    "entered_by_id": staff_id,
                    "source": "paper",
                    "started_at": at,
                    "completed_at": at,
                    "updated_at": at,
                }
            )
            answers += [
                {
                    "response_id": response_id,
                    "item_key": item,
                    "position": position,
                    "value": value,
                    "answered_at": at,
                }
                for position, (item, value) in enumerate(
                    zip(ITEM_KEYS[key], values, strict=True), start=1
                )
            ]
    insert(QuestionnaireResponse.__table__, responses)
    insert(QuestionnaireAnswer.__table__, answers)


ITEM_KEYS = {key: [item["key"] for item in d["items"]] for key, d in shipped().items()}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument(
        "--database",
        help="export this already seeded database (made by --keep) instead of a new one",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database; print its URL")
    parser.add_argument("--type", dest="types", action="append", help="only these types")
    parser.add_argument("--repeat", type=int, default=1, help="export this many times")
    parser.add_argument("--profile", action="store_true", help="print the top cProfile entries")
    args = parser.parse_args()
    if args.database:
        url, drop = args.database, lambda: None
    else:
        url, drop = make_database(args.server)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
        with app.app_context():
            if not args.database:
                upgrade()
                seed(args.patients)
                db.session.remove()
            for _ in range(args.repeat):
                export(args.types or list(RESOURCE_TYPES), args.batch, profile=args.profile)
            db.session.remove()
            db.engine.dispose()
    finally:
        if args.keep and not args.database:
            print(f"kept: --database {url}")
        else:
            drop()


def export(types: list[str], batch: int, *, profile: bool) -> None:
    before = peak_mib()
    profiler = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as out:
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        bulk.read_snapshot()
        results = bulk.write_ndjson(Path(out), make_context(), types=types, batch=batch)
        db.session.rollback()
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = sum(r.path.stat().st_size for r in results if r.path)
    total = sum(r.count for r in results)
    for r in results:
        print(f"  {r.resource_type:<22} {r.count:>12,}")
    print(
        f"{total:,} resources ({size / 2**20:,.0f} MiB) in {seconds:.1f} s: "
        f"{total / seconds:,.0f} resources/s; the exporting process's CPU time {cpu:.1f} s "
        f"({total / cpu:,.0f} resources per CPU second); peak memory {before:.0f} MiB before the "
        f"export, {peak_mib():.0f} MiB after",
        flush=True,
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
