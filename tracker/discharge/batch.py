"""Sheets as PDF, fast: each sheet laid out on its own, in parallel, and issued ones kept.

Laying out one long document of fifty sheets costs more than fifty short ones, so every sheet
is a document of its own (its page numbers start at 1 anyway) and the batch is those PDFs put
one after another with pypdf. The layout runs in worker processes (``DISCHARGE_PDF_WORKERS``,
by default one per CPU), which a web request never waits for: see ``tracker.discharge.jobs``.
An issued sheet never changes, so its PDF is made once per paper size and kept (``SheetPdf``);
a reprint is that very file. Drafts change, so they are laid out every time.
"""

import io
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from tracker.db import db
from tracker.discharge import pdf
from tracker.discharge.models import DischargeSheet, SheetPdf

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


def layout(html: str) -> tuple[bytes, int]:
    """One HTML document as PDF, and its number of pages (runs in a worker process)."""
    document = HTML(string=html).render(font_config=_fonts())
    return document.write_pdf(), len(document.pages)


def _workers_pool(workers: int) -> ProcessPoolExecutor:
    """The process pool, started on first use and kept (starting one costs seconds)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            # Spawned, not forked: the web process has threads (and a database pool).
            _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            _pool_size = workers
        return _pool


def render(
    documents: list[str], *, workers: int, progress: Callable[[int], None] | None = None
) -> list[tuple[bytes, int]]:
    """Lay out each HTML document; ``progress(i)`` after document ``i`` is done (any order)."""
    results: list[tuple[bytes, int] | None] = [None] * len(documents)
    if workers <= 0:
        for n, html in enumerate(documents):
            results[n] = layout(html)
            if progress:
                progress(n)
        return results
    futures = {_workers_pool(workers).submit(layout, html): n for n, html in enumerate(documents)}
    for future in as_completed(futures):
        n = futures[future]
        results[n] = future.result()
        if progress:
            progress(n)
    return results


def concatenate(pdfs: list[bytes]) -> tuple[bytes, int]:
    """One PDF of the given ones, in order; and its page count."""
    writer = PdfWriter()
    for data in pdfs:
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


def kept(sheet_ids: list[int], size: str) -> dict[int, SheetPdf]:
    """The PDFs already made of these issued sheets on this paper, by sheet id."""
    if not sheet_ids:
        return {}
    rows = db.session.scalars(
        sa.select(SheetPdf).where(SheetPdf.sheet_id.in_(sheet_ids), SheetPdf.size == size)
    )
    return {row.sheet_id: row for row in rows}


def keep(sheet_id: int, size: str, data: bytes, pages: int, *, now: datetime) -> SheetPdf:
    """Keep a sheet's PDF; if another process kept it first, theirs is the one."""
    row = SheetPdf(sheet_id=sheet_id, size=size, pdf=data, pages=pages, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except sa.exc.IntegrityError:
        return kept([sheet_id], size)[sheet_id]
    return row


def sheet_document(sheet: DischargeSheet, size: str) -> str:
    """The printable HTML document of an issued sheet (its stored HTML, never the journey)."""
    return pdf.render_page([sheet.html], size=size)


def sheet_pdf(sheet: DischargeSheet, size: str, *, now: datetime) -> bytes:
    """The PDF of one issued sheet: the kept one, or made now and kept."""
    row = kept([sheet.id], size).get(sheet.id)
    if row is None:
        data, pages = layout(sheet_document(sheet, size))
        row = keep(sheet.id, size, data, pages, now=now)
    return row.pdf
