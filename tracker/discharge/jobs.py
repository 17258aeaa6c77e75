"""Preparing a day's batch PDF away from the web request that asked for it.

The request only records the batch and starts :func:`prepare` in a thread of its own (the
layout itself runs in worker processes); the staff member's page shows the progress and then
the download link. ``prepare`` is the transaction boundary of the job: it commits its progress
so the page can show it, and the result. A batch whose preparer died (a restarted server) shows
as stalled after :data:`STALLED`, and can be asked for again.
"""

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from tracker.clock import utcnow
from tracker.db import db
from tracker.discharge import batch as pdfs
from tracker.discharge import pdf, services
from tracker.discharge.models import DischargeBatch, DischargeSheet
from tracker.journeys.models import Journey

log = logging.getLogger(__name__)
#: no sign of life for this long: the batch is reported as failed
STALLED = timedelta(minutes=2)


def stalled(batch: DischargeBatch) -> bool:
    return batch.status in ("queued", "running") and utcnow() - batch.updated_at > STALLED


def start(app: Flask, batch_id: int) -> None:
    """Prepare the batch in a background thread (or right here, when so configured)."""
    if not app.config.get("DISCHARGE_BATCH_IN_BACKGROUND", True):
        prepare(batch_id)
        return
    thread = threading.Thread(
        target=_in_app, args=(app, batch_id), name=f"discharge-batch-{batch_id}", daemon=True
    )
    thread.start()


def _in_app(app: Flask, batch_id: int) -> None:
    with app.app_context():
        try:
            prepare(batch_id)
        finally:
            db.session.remove()


def keep_sheet_pdf(app: Flask, sheet_id: int, size: str) -> None:
    """Lay out a just-issued sheet in the background, so the day's batch finds it ready."""
    if not app.config.get("DISCHARGE_BATCH_IN_BACKGROUND", True):
        return  # made on first use instead

    def run() -> None:
        with app.app_context():
            try:
                sheet = db.session.get(DischargeSheet, sheet_id)
                if sheet is not None and not pdfs.kept([sheet_id], size):
                    workers = int(app.config.get("DISCHARGE_PDF_WORKERS", 0))
                    [(data, pages)] = pdfs.render(
                        [pdfs.sheet_document(sheet, size)], workers=workers
                    )
                    pdfs.keep(sheet_id, size, data, pages, now=utcnow())
                    db.session.commit()
            except Exception:  # noqa: BLE001 - only a head start; the batch makes it otherwise
                log.exception("keeping the PDF of discharge sheet %s failed", sheet_id)
            finally:
                db.session.remove()

    threading.Thread(target=run, name=f"sheet-pdf-{sheet_id}", daemon=True).start()


def prepare(batch_id: int) -> None:
    """Lay out every sheet of the batch not kept yet, keep the issued ones, join them up."""
    batch = db.session.get(DischargeBatch, batch_id)
    if batch is None or batch.status not in ("queued", "running"):
        return
    batch.status, batch.updated_at = "running", utcnow()
    db.session.commit()
    try:
        _prepare(batch)
    except Exception as error:  # noqa: BLE001 - the page tells the staff member; the log has it
        log.exception("discharge batch %s failed", batch_id)
        db.session.rollback()
        batch = db.session.get(DischargeBatch, batch_id)
        batch.status, batch.error = "failed", f"The PDF could not be made: {error}"
        batch.updated_at = batch.finished_at = utcnow()
        db.session.commit()


def _prepare(batch: DischargeBatch) -> None:
    size, items = batch.size, batch.items
    sheet_ids = [item["sheet_id"] for item in items if item["sheet_id"]]
    sheets = {
        s.id: s
        for s in db.session.scalars(
            sa.select(DischargeSheet).where(DischargeSheet.id.in_(sheet_ids))
        )
    }
    have = pdfs.kept(sheet_ids, size)
    documents, slots = [], []
    for n, item in enumerate(items):
        sheet_id = item["sheet_id"]
        if sheet_id in have:
            continue
        if sheet_id:
            documents.append(pdfs.sheet_document(sheets[sheet_id], size))
        else:
            journey = db.session.get(Journey, item["journey_id"])
            fragment = services.draft_fragment(journey, now=batch.created_at)
            documents.append(pdf.render_page([fragment], size=size))
        slots.append(n)
    batch.done = len(items) - len(documents)
    db.session.commit()

    def progress(_index: int) -> None:
        batch.done += 1
        batch.updated_at = utcnow()
        db.session.commit()

    made = pdfs.render(
        documents,
        workers=int(current_app.config.get("DISCHARGE_PDF_WORKERS", 0)),
        progress=progress,
    )
    parts: list[bytes | None] = [
        have[i["sheet_id"]].pdf if i["sheet_id"] in have else None for i in items
    ]
    now = utcnow()
    for n, (data, pages) in zip(slots, made, strict=True):
        parts[n] = data
        if items[n]["sheet_id"]:
            pdfs.keep(items[n]["sheet_id"], size, data, pages, now=now)
    batch.pdf, batch.pages = pdfs.concatenate(parts)
    batch.status, batch.done = "ready", len(items)
    batch.updated_at = batch.finished_at = utcnow()
    db.session.commit()
