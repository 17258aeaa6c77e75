"""Turn sheet content into the print-ready HTML page and into PDF (WeasyPrint)."""

from functools import cache
from pathlib import Path
from typing import Any

import segno
from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

#: the page sizes a sheet is printed on, as CSS ``@page size`` values
PAGE_SIZES = {"a4": "A4", "letter": "letter"}


def page_size(value: str | None) -> str:
    """A known page size key; the clinic default (``DISCHARGE_PAGE_SIZE``, A4) otherwise."""
    value = (value or "").strip().lower()
    if value in PAGE_SIZES:
        return value
    default = str(current_app.config.get("DISCHARGE_PAGE_SIZE", "a4")).lower()
    return default if default in PAGE_SIZES else "a4"


@cache
def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def stylesheet() -> str:
    return (Path(current_app.static_folder) / "css" / "discharge.css").read_text(encoding="utf-8")


def render_fragment(content: dict[str, Any], *, draft: bool) -> str:
    """The sheet itself (an ``<article>``), the part that an issued version keeps verbatim."""
    return render_template(
        "discharge/_sheet.html", c=content, draft=draft, qr=qr_data_uri(content["portal_url"])
    )


def render_page(fragments: list[str], *, size: str, screen: dict | None = None) -> str:
    """A whole HTML document of one or more sheets; ``screen`` adds the on-screen toolbar."""
    return render_template(
        "discharge/print.html",
        fragments=fragments,
        css=stylesheet(),
        page_size=PAGE_SIZES[size],
        screen=screen,
    )


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


def write_pdf(fragments: list[str], *, size: str) -> bytes:
    """One PDF of the sheets; each sheet is laid out alone so its page numbers start at 1."""
    documents = [
        HTML(string=render_page([fragment], size=size)).render(font_config=_fonts())
        for fragment in fragments
    ]
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
