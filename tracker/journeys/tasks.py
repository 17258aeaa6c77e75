"""A journey's checklist and notes: tick a task off (also when another action fulfilled it),
skip it with a reason, reopen it, and add a note."""

from datetime import datetime

from tracker.audit.services import record
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.checks import require_active
from tracker.journeys.models import Journey, Note, Task


def complete_task(task: Task, *, actor, now: datetime) -> Task:
    require_active(task.journey)
    if task.status == "done":
        raise Conflict(_("This task is already done."))
    old = task.status
    # actor None: the system did what the task asks (e.g. portal access made for a message)
    task.status, task.done_at, task.skip_reason = "done", now, None
    task.done_by_id = getattr(actor, "id", None)
    record(
        "task.complete",
        task,
        actor=actor,
        patient_id=task.journey.patient_id,
        now=now,
        details={"task": task.key, "status": [old, "done"]},
    )
    return task


def tick_task(journey: Journey, key: str, *, actor, now: datetime) -> Task | None:
    """Mark the journey's task ``key`` done when another action has just fulfilled it."""
    task = next((t for t in journey.tasks if t.key == key), None)
    if task is not None and task.is_open and journey.is_active:
        complete_task(task, actor=actor, now=now)
    return task


def skip_task(task: Task, *, reason: str, actor, now: datetime) -> Task:
    require_active(task.journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why this task is skipped."))
    if task.status != "open":
        raise Conflict(_("This task is already %(status)s.", status=task.status))
    task.status, task.done_at, task.done_by_id = "skipped", now, actor.id
    task.skip_reason = reason.strip()
    record(
        "task.skip",
        task,
        actor=actor,
        patient_id=task.journey.patient_id,
        now=now,
        details={"task": task.key, "reason": task.skip_reason},
    )
    return task


def reopen_task(task: Task, *, reason: str, actor, now: datetime) -> Task:
    """Correct a task marked done or skipped by mistake."""
    require_active(task.journey)
    if task.status == "open":
        raise Conflict(_("This task is already open."))
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why this task is reopened."))
    old = task.status
    task.status, task.done_at, task.done_by_id, task.skip_reason = "open", None, None, None
    record(
        "task.reopen",
        task,
        actor=actor,
        patient_id=task.journey.patient_id,
        now=now,
        details={"task": task.key, "status": [old, "open"], "reason": reason.strip()},
    )
    return task


def add_note(journey: Journey, body: str, *, actor, now: datetime) -> Note:
    if not (body or "").strip():
        raise ValidationFailed.on("body", _("Write the note first."))
    note = Note(
        journey=journey, author_id=getattr(actor, "id", None), body=body.strip(), created_at=now
    )
    db.session.add(note)
    db.session.flush()
    record("note.add", note, actor=actor, patient_id=journey.patient_id, now=now)
    return note
