"""Run queued Bulk Data exports, outside any request: from the scheduler or ``flask fhir work``.

Like the reminder dispatcher, the worker is its own transaction boundary. A job is claimed with
a conditional UPDATE (so two workers never run the same job), written with ``bulk.write_ndjson``
into ``FHIR_EXPORT_DIR/<key>/``, and finished with its file list. While it runs, a heartbeat on
a separate connection records progress and notices a cancellation; a job whose heartbeat went
quiet (its worker died) is taken over by the next worker. Files expire after
``FHIR_EXPORT_RETENTION_HOURS``.
"""

import logging
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from tracker.clock import utcnow
from tracker.db import db
from tracker.fhir import bulk, jobs
from tracker.fhir.common import make_context
from tracker.fhir.models import ExportJob

log = logging.getLogger(__name__)
#: a running job whose heartbeat is older than this is taken over
STALE_AFTER = timedelta(minutes=10)
HEARTBEAT_SECONDS = 5


class Cancelled(Exception):
    pass


class Heartbeat:
    """Progress and liveness of one job, written on a connection of its own.

    On SQLite a write would wait for the export's open read cursor, so there the heartbeat
    writes only between files.
    """

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.written = 0
        self.last = 0.0
        self.sqlite = db.engine.dialect.name == "sqlite"

    def __call__(self, resource_type: str, written: int, *, file_done: bool = False) -> None:
        self.written += written
        if self.sqlite and not file_done:
            return
        if not file_done and time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        self.last = time.monotonic()
        table = ExportJob.__table__
        with db.engine.begin() as conn:
            status = conn.scalar(sa.select(table.c.status).where(table.c.id == self.job_id))
            if status != "running":
                raise Cancelled
            conn.execute(
                table.update()
                .where(table.c.id == self.job_id)
                .values(progress=self.written, current_type=resource_type, heartbeat_at=utcnow())
            )


def expire(now: datetime) -> int:
    """Delete the files of exports past their expiry; the rows stay, marked expired."""
    old = db.session.scalars(
        sa.select(ExportJob).where(ExportJob.status == "completed", ExportJob.expires_at <= now)
    ).all()
    for job in old:
        jobs.remove_files(job)
        job.status = "expired"
    db.session.commit()
    return len(old)


def claim(now: datetime) -> ExportJob | None:
    """Take the oldest waiting (or abandoned) job, or None."""
    takeable = sa.or_(
        ExportJob.status == "queued",
        sa.and_(ExportJob.status == "running", ExportJob.heartbeat_at < now - STALE_AFTER),
    )
    candidates = db.session.scalars(
        sa.select(ExportJob.id).where(takeable).order_by(ExportJob.requested_at).limit(5)
    ).all()
    for job_id in candidates:
        taken = db.session.execute(
            sa.update(ExportJob)
            .where(ExportJob.id == job_id, takeable)
            .values(status="running", started_at=now, heartbeat_at=now, progress=0, error=None)
        )
        db.session.commit()
        if taken.rowcount == 1:
            return db.session.get(ExportJob, job_id)
    return None


def run(job: ExportJob) -> None:
    """Write the job's files and finish it: completed, failed, or left cancelled."""
    job_id, directory = job.id, jobs.export_dir(job)
    types, since = list(job.types), job.since
    job.transaction_time = utcnow()
    db.session.commit()
    heartbeat = Heartbeat(job_id)
    try:
        bulk.read_snapshot()
        results = bulk.write_ndjson(
            directory,
            make_context(),
            types=types,
            since=since,
            batch=int(current_app.config["FHIR_EXPORT_BATCH"]),
            progress=heartbeat,
        )
        db.session.rollback()  # end the read snapshot
    except Cancelled:
        db.session.rollback()
        jobs.remove_files(db.session.get(ExportJob, job_id))
        log.info("fhir export %s cancelled", job_id)
        return
    except Exception as error:
        db.session.rollback()
        log.exception("fhir export %s failed", job_id)
        job = db.session.get(ExportJob, job_id)
        job.status, job.error, job.finished_at = "failed", str(error)[:2000], utcnow()
        jobs.remove_files(job)
        db.session.commit()
        return
    job = db.session.get(ExportJob, job_id)
    if job.status != "running":  # cancelled after the last heartbeat
        jobs.remove_files(job)
        db.session.commit()
        return
    finished = utcnow()
    hours = int(current_app.config["FHIR_EXPORT_RETENTION_HOURS"])
    job.status, job.finished_at = "completed", finished
    job.expires_at = finished + timedelta(hours=hours)
    job.progress, job.current_type = heartbeat.written, None
    job.output = [
        {"type": r.resource_type, "file": r.path.name, "count": r.count} for r in results if r.path
    ]
    db.session.commit()


def run_pending(limit: int | None = None) -> int:
    """Expire old files, then run waiting jobs one after another; how many ran."""
    expire(utcnow())
    ran = 0
    while limit is None or ran < limit:
        job = claim(utcnow())
        if job is None:
            break
        run(job)
        ran += 1
    return ran


def tick(app: Flask) -> None:
    """The scheduler's job: run what is waiting (never lets an error stop the clock)."""
    with app.app_context():
        try:
            ran = run_pending()
            if ran:
                log.info("fhir: %d export(s) written", ran)
        except Exception:
            db.session.rollback()
            log.exception("fhir: export worker failed")
        finally:
            db.session.remove()
