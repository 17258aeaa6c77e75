"""Write the audit trail. Every service that changes data calls :func:`record`."""

from datetime import date, datetime
from typing import Any

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
) -> AuditEvent:
    """Add an audit event for ``obj`` (flushed so ``obj`` has an id)."""
    db.session.flush()
    event = AuditEvent(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label(actor),
        action=action,
        patient_id=patient_id,
        object_type=type(obj).__name__,
        object_id=getattr(obj, "id", None),
        details=_plain(details or {}),
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
