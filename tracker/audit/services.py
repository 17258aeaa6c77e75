"""Write the audit trail. Every service that changes data calls :func:`record`; every page,
API read and export that shows patient data calls :func:`record_read`.

Both note where the request came from (the client's address; behind a trusted proxy, the one
it forwards), so the trail answers who, what, when and from where.
"""

from datetime import date, datetime
from typing import Any

from flask import has_request_context, request

from tracker.audit.models import AuditEvent
from tracker.clock import utcnow
from tracker.db import db


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def origin() -> str | None:
    """The address of the request being served, or None off-line (commands, the scheduler).

    Read here rather than passed by every caller: it describes the request, not the change.
    """
    return request.remote_addr if has_request_context() else None


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "name", None) or str(actor)


def record(
    action: str,
    obj,
    *,
    actor=None,
    patient_id: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Write an audit event for ``obj`` in the current transaction.

    The session is flushed first, so ``obj`` has its id. The row goes in at once as a plain
    INSERT rather than through the unit of work: every change writes one, nothing reads it back
    in the same request, and the ORM's bookkeeping for it cost more than the INSERT itself.
    """
    db.session.flush()
    db.session.execute(
        AuditEvent.__table__.insert(),
        {
            "at": now or utcnow(),
            "kind": "change",
            "actor_id": getattr(actor, "id", None),
            "actor_label": actor_label(actor),
            "action": action,
            "patient_id": patient_id,
            "object_type": type(obj).__name__,
            "object_id": getattr(obj, "id", None),
            "details": _plain(details or {}),
            "ip_address": origin(),
        },
    )


def record_read(
    action: str,
    obj=None,
    *,
    actor,
    patient_id: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Note that ``actor`` looked at ``obj`` (a record, a list or an export).

    Nothing is flushed: the row is one INSERT when the request commits (the audit blueprint
    commits pending reads after a successful answer), so a read costs no other round trip.
    """
    event = AuditEvent(
        at=now or utcnow(),
        kind="read",
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label(actor),
        action=action,
        patient_id=patient_id,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        details=_plain(details or {}),
        ip_address=origin(),
    )
    db.session.add(event)
    return event


def diff(obj, changes: dict[str, Any]) -> dict[str, list]:
    """Apply ``changes`` to ``obj`` and return ``{field: [old, new]}`` for those that differ."""
    out = {}
    for field, new in changes.items():
        old = getattr(obj, field)
        if old != new:
            out[field] = [old, new]
            setattr(obj, field, new)
    return out
