from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import UTCDateTime, db
from tracker.journeys.models import Journey

SHEET_LANGUAGES = ("en", "id")


class DischargeDraft(db.Model):
    """What a clinician adds to a discharge sheet before it is issued (one per journey)."""

    __tablename__ = "discharge_drafts"
    __table_args__ = (sa.CheckConstraint("language IN ('en', 'id')", name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), unique=True)
    #: the language the sheet is printed in (the patient's language when the draft was begun)
    language: Mapped[str] = mapped_column(sa.String(5))
    #: ``[{"name", "dose", "frequency", "until"}, …]`` in the order given
    medications: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    #: free text printed under "Other instructions from your doctor"
    extra_instructions: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

    journey: Mapped[Journey] = relationship()
    updated_by: Mapped[StaffUser | None] = relationship()


class DischargeSheet(db.Model):
    """One issued version of a discharge sheet, stored exactly as it was handed out.

    Rows are never changed: a correction is a new version.
    """

    __tablename__ = "discharge_sheets"
    __table_args__ = (
        sa.UniqueConstraint("journey_id", "version", name="uq_discharge_sheets_journey_id_version"),
        sa.CheckConstraint("version > 0", name="version"),
        sa.CheckConstraint("language IN ('en', 'id')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    #: 1, 2, … per journey
    version: Mapped[int]
    language: Mapped[str] = mapped_column(sa.String(5))
    #: every fact on the sheet, already worded in ``language`` (for the portal and the API)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: the sheet's HTML exactly as printed; a reprint renders this, never the live journey
    html: Mapped[str] = mapped_column(sa.Text)
    #: sha256 of ``html``, to show that a reprint is the same sheet
    checksum: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"))

    journey: Mapped[Journey] = relationship()
    issued_by: Mapped[StaffUser] = relationship()


@sa.event.listens_for(DischargeSheet, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("issued discharge sheets never change; issue a new version")


@sa.event.listens_for(DischargeSheet, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("issued discharge sheets are kept")


BATCH_STATUSES = ("queued", "running", "ready", "failed")


class SheetPdf(db.Model):
    """The PDF of an issued sheet on one paper size, made once: an issued sheet never changes."""

    __tablename__ = "discharge_sheet_pdfs"
    __table_args__ = (
        sa.UniqueConstraint("sheet_id", "size", name="uq_discharge_sheet_pdfs_sheet_id_size"),
        sa.CheckConstraint("size IN ('a4', 'letter')", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("discharge_sheets.id"))
    #: a key of ``tracker.discharge.pdf.PAGE_SIZES``
    size: Mapped[str] = mapped_column(sa.String(10))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    pages: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DischargeBatch(db.Model):
    """One PDF of a day's discharge sheets, prepared in the background while staff wait."""

    __tablename__ = "discharge_batches"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'running', 'ready', 'failed')", name="status"),
        sa.CheckConstraint("size IN ('a4', 'letter')", name="size"),
        sa.CheckConstraint("done >= 0 AND done <= total", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the clinic day whose discharges it holds
    day: Mapped[date]
    size: Mapped[str] = mapped_column(sa.String(10))
    include_drafts: Mapped[bool] = mapped_column(default=False)
    #: ``[{"journey_id": …, "sheet_id": … or null for the draft}, …]`` in print order
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    #: sheets rendered so far (the progress shown while it is prepared)
    done: Mapped[int] = mapped_column(default=0)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    pages: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: the last sign of life of whoever prepares it; a stalled batch is reported as failed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[StaffUser] = relationship()


@sa.event.listens_for(SheetPdf, "before_update")
def _refuse_pdf_update(mapper, connection, target):
    raise RuntimeError("a sheet's PDF is kept as first made")
