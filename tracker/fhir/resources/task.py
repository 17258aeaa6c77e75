"""Task: one checklist item of a journey, coded by the pathway template's task key."""

import sqlalchemy as sa

from tracker.fhir.codes import coding
from tracker.fhir.common import (
    Context,
    concept,
    day,
    episode,
    journey_facts,
    ref,
    resource,
    stage_extension,
)
from tracker.fhir.mapping import Mapping
from tracker.journeys.models import Journey, Task

STATUS = {"open": "requested", "done": "completed", "skipped": "cancelled"}


def to_resources(task: Task, ctx: Context, extras: dict) -> list[dict]:
    patient_id, started = extras[task.journey_id]
    title = task.titles.get("en", task.key)  # Task.title, from the plain row of a bulk export
    updated = ctx.instant(task.updated_at)
    return [
        resource(
            "Task",
            task.id,
            updated,
            ctx,
            extension=[episode(task.journey_id), stage_extension(ctx, task.stage)],
            basedOn=[ref("CarePlan", task.journey_id)],
            status=STATUS[task.status],
            statusReason={"text": task.skip_reason} if task.status == "skipped" else None,
            intent="plan",
            code=concept(coding(ctx.system("task"), task.key, title), text=title),
            # Task.for is the patient the task is about
            **{"for": ref("Patient", patient_id)},
            authoredOn=ctx.instant(started),
            lastModified=updated,
            executionPeriod={"end": ctx.instant(task.done_at)} if task.done_at else None,
            restriction={"period": {"end": day(task.due_on)}} if task.due_on else None,
            owner=ref("Practitioner", task.done_by_id) if task.done_by_id else None,
        )
    ]


MAPPING = Mapping(
    resource_type="Task",
    model=Task,
    to_resources=to_resources,
    changed_since=lambda since: Task.updated_at >= since,
    of_patient=lambda patient_id: Task.journey_id.in_(
        sa.select(Journey.id).where(Journey.patient_id == patient_id)
    ),
    extras=journey_facts,
    description="A journey's checklist item (basedOn its CarePlan); the stage is an extension.",
    plain_rows=True,
)
