"""Asynchronous Bulk Data exports: ask, poll, fetch files, cancel (services; never commit).

The pattern of the FHIR Bulk Data Access IG: a kick-off answers 202 with a status URL; the
status URL answers 202 while the export runs, then the manifest (the file list); each file is
fetched with the same bearer token. Only the user who asked may poll or fetch. The export
itself runs in ``tracker.fhir.worker``, outside any request.
"""

import secrets
import shutil
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from tracker.audit.services import record, record_read
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import DomainError, NotFound
from tracker.fhir.common import Context
from tracker.fhir.models import ACTIVE_STATUSES, ExportJob

#: exports one user may have waiting or running at once
MAX_ACTIVE_PER_USER = 2


class TooManyExports(DomainError):
    status = 429


def request_export(
    user: StaffUser,
    *,
    types: list[str],
    since: datetime | None,
    request_url: str,
    now: datetime,
) -> ExportJob:
    active = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ExportJob)
        .where(ExportJob.requested_by_id == user.id, ExportJob.status.in_(ACTIVE_STATUSES))
    )
    if active >= MAX_ACTIVE_PER_USER:
        raise TooManyExports(
            f"You already have {active} exports waiting or running; "
            "wait for one to finish or cancel it (DELETE its status URL)."
        )
    job = ExportJob(
        key=secrets.token_hex(16),
        requested_by_id=user.id,
        requested_at=now,
        request_url=request_url,
        since=since,
        types=types,
        status="queued",
        output=[],
    )
    db.session.add(job)
    db.session.flush()  # the audit row names the job
    # Asking for the whole clinic's data is a read of every patient: one read row says who.
    record_read(
        "fhir.export.request",
        job,
        actor=user,
        now=now,
        details={"via": "api", "types": types, "since": since},
    )
    return job


def job_for(key: str, user: StaffUser) -> ExportJob:
    """The user's own export; anyone else's is not found (its existence stays hidden)."""
    job = db.session.scalar(sa.select(ExportJob).where(ExportJob.key == key))
    if job is None or job.requested_by_id != user.id or job.status == "expired":
        raise NotFound("There is no such export, or its files have expired.")
    return job


def export_dir(job: ExportJob) -> Path:
    return Path(current_app.config["FHIR_EXPORT_DIR"]) / job.key


def remove_files(job: ExportJob) -> None:
    shutil.rmtree(export_dir(job), ignore_errors=True)


def cancel(job: ExportJob, *, user: StaffUser, now: datetime) -> None:
    """Stop a running export (its worker notices) or delete a finished one's files."""
    if job.status == "cancelled":
        raise NotFound("This export was already cancelled.")
    was = job.status
    job.status = "cancelled"
    job.finished_at = job.finished_at or now
    if was not in ACTIVE_STATUSES:
        remove_files(job)
    record("fhir.export.cancel", job, actor=user, now=now, details={"was": was})


def output_file(job: ExportJob, name: str) -> Path:
    """The path of one listed file of a completed export (only listed names are served)."""
    if job.status != "completed" or name not in {item["file"] for item in job.output}:
        raise NotFound("This export has no such file.")
    path = export_dir(job) / name
    if not path.is_file():
        raise NotFound("This export's files are gone; ask for a new export.")
    return path


def record_download(job: ExportJob, name: str, *, user: StaffUser, now: datetime) -> None:
    record_read(
        "fhir.export.download", job, actor=user, now=now, details={"via": "api", "file": name}
    )


def progress_text(job: ExportJob) -> str:
    if job.status == "queued":
        return "waiting for a worker"
    where = f" ({job.current_type})" if job.current_type else ""
    return f"{job.progress:,} resources written{where}"


def manifest(job: ExportJob, ctx: Context, file_url) -> dict:
    """The completion manifest of the Bulk Data IG; ``file_url(job, name)`` makes each URL."""
    return {
        "transactionTime": ctx.instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": item["type"], "url": file_url(job, item["file"]), "count": item["count"]}
            for item in job.output
        ],
        "error": [],
    }
