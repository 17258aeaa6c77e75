from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.clock import utcnow
from tracker.db import UTCDateTime, db

KINDS = ("change", "read")


class AuditEvent(db.Model):
    """One change to clinical or staff data, or one look at it. Rows are only ever inserted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('change', 'read')", name="kind"),
        sa.Index("ix_audit_events_patient_id_kind_at", "patient_id", "kind", "at"),
        # The admin's trail filtered by action or by staff user, newest first, read in that
        # order (an action one event in 500 no longer walks the whole time index to fill a page).
        sa.Index("ix_audit_events_action_at_id", "action", "at", "id"),
        sa.Index("ix_audit_events_actor_id_at_id", "actor_id", "at", "id"),
        # What one person looked at: their reads alone, a few among their changes.
        sa.Index(
            "ix_audit_events_reads_by_actor",
            "actor_id",
            "at",
            "id",
            sqlite_where=sa.text("kind = 'read'"),
            postgresql_where=sa.text("kind = 'read'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: when the change happened (UTC)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: the staff user who made it; empty for the system or a command-line job
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: who made it, as shown to a person ("system", "cli", "patient portal", a staff name)
    actor_label: Mapped[str] = mapped_column(sa.String(200))
    #: dotted verb, e.g. ``journey.advance``
    action: Mapped[str] = mapped_column(sa.String(80))
    #: the patient whose record changed, when there is one
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    #: what changed: ``{"field": [old, new]}`` or a small description
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: ``change`` (something was written) or ``read`` (a record, list or export was looked at)
    kind: Mapped[str] = mapped_column(sa.String(10), default="change", server_default="change")
    #: the address the request came from (the client's, behind a trusted proxy); empty off-line
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))


@sa.event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("audit events are append-only")


@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("audit events are append-only")
