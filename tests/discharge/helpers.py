"""Helpers for the discharge tests: PDF text and page sizes, a fixed clock."""

import io
from datetime import UTC, datetime

from pypdf import PdfReader

NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in the demo clinic


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, with runs of white space made single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_pages(data: bytes) -> list[tuple[int, int]]:
    reader = PdfReader(io.BytesIO(data))
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
