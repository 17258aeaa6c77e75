from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import UTCDateTime, db

#: queued: waiting for a worker; running: being written; the rest are final
EXPORT_STATUSES = ("queued", "running", "completed", "failed", "cancelled", "expired")
ACTIVE_STATUSES = ("queued", "running")


class ExportJob(db.Model):
    """One asynchronous Bulk Data export (``GET /fhir/$export``) and the files it wrote."""

    __tablename__ = "fhir_export_jobs"
    __table_args__ = (
        sa.CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in EXPORT_STATUSES)})", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, the job's name in its status and file URLs
    key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: only this user may poll the job and fetch its files
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the kick-off URL, echoed in the manifest as Bulk Data asks
    request_url: Mapped[str] = mapped_column(sa.Text)
    #: only resources changed at or after this instant (``_since``)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: resource types asked for, in file order
    types: Mapped[list[str]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(12), default="queued", index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a running job's worker touches this; a stale one is taken over by another worker
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the instant the exported data reflects (Bulk Data ``transactionTime``)
    transaction_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: after this the files are deleted
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: resources written so far, and the type being written
    progress: Mapped[int] = mapped_column(default=0)
    current_type: Mapped[str | None] = mapped_column(sa.String(40))
    #: ``[{"type": "Patient", "file": "Patient.ndjson", "count": 40}, …]`` once completed
    output: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    error: Mapped[str | None] = mapped_column(sa.Text)

    requested_by: Mapped[StaffUser] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
