"""Write the audit trail. Every service that changes data calls :func:`record`; every page,
API read and export that shows patient data calls :func:`record_read`.

Both note where the request came from (the client's address; behind a trusted proxy, the one
it forwards), so the trail answers who, what, when and from where.
"""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
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


def _change(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    actor,
    patient_id: int | None,
    details: dict[str, Any] | None,
    now: datetime | None,
) -> dict[str, Any]:
    """The columns of one change's audit row."""
    return {
        "at": now or utcnow(),
        "kind": "change",
        "actor_id": getattr(actor, "id", None),
        "actor_label": actor_label(actor),
        "action": action,
        "patient_id": patient_id,
        "object_type": object_type,
        "object_id": object_id,
        "details": _plain(details or {}),
        "ip_address": origin(),
    }


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
        _change(
            action,
            type(obj).__name__,
            getattr(obj, "id", None),
            actor=actor,
            patient_id=patient_id,
            details=details,
            now=now,
        ),
    )


#: the columns :func:`insert_for` takes from bound parameters (``a_<column>``)
_FOR_COLUMNS = (
    "at",
    "kind",
    "actor_id",
    "actor_label",
    "action",
    "patient_id",
    "object_type",
    "details",
    "ip_address",
)


def insert_for(made: sa.CTE) -> sa.Insert:
    """The audit row of the row that ``made`` (``INSERT … RETURNING id`` as a CTE) inserts, for
    the same statement: the change and its audit row are one round trip, and a skipped INSERT
    (a key already taken) writes no audit row either. The values come from
    :func:`params_for`. PostgreSQL only (SQLite has no INSERT in a WITH)."""
    table = AuditEvent.__table__
    values = [sa.bindparam(f"a_{name}", type_=table.c[name].type) for name in _FOR_COLUMNS]
    return table.insert().from_select([*_FOR_COLUMNS, "object_id"], sa.select(*values, made.c.id))


def params_for(
    action: str,
    object_type: str,
    *,
    actor=None,
    patient_id: int | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The bound parameters of :func:`insert_for`: what :func:`record` would write."""
    values = _change(
        action, object_type, None, actor=actor, patient_id=patient_id, details=details, now=now
    )
    return {f"a_{name}": values[name] for name in _FOR_COLUMNS}


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
