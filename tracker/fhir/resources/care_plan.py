"""CarePlan: the pathway applied to one patient, stage by stage, with its tasks."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.db import db
from tracker.fhir.common import (
    Context,
    concept,
    day,
    episode,
    pathway_concept,
    ref,
    resource,
    stage_coding,
)
from tracker.fhir.mapping import Mapping
from tracker.journeys.models import Journey, Task
from tracker.pathways.models import STAGES

STATUS = {"active": "active", "completed": "completed", "cancelled": "revoked"}


def task_ids(journeys: list[Journey]) -> dict[int, list[int]]:
    """``{journey id: [task id, …]}`` in checklist order, for a batch of journeys."""
    rows = db.session.execute(
        sa.select(Task.journey_id, Task.id)
        .where(Task.journey_id.in_([j.id for j in journeys]))
        .order_by(Task.due_on, Task.id)
    )
    ids: dict[int, list[int]] = {}
    for journey_id, task_id in rows:
        ids.setdefault(journey_id, []).append(task_id)
    return ids


def _stage_status(index: int, journey: Journey) -> str:
    if journey.status == "completed" or index < journey.stage_index:
        return "completed"
    if index == journey.stage_index:
        return "stopped" if journey.status == "cancelled" else "in-progress"
    return "cancelled" if journey.status == "cancelled" else "not-started"


def _stage_periods(journey: Journey) -> dict[str, tuple]:
    """When the journey last entered and left each stage (from its transitions)."""
    steps = list(journey.transitions)
    periods = {}
    for position, step in enumerate(steps):
        if step.to_stage in STAGES:
            left = steps[position + 1].at if position + 1 < len(steps) else None
            periods[step.to_stage] = (step.at, left)
    return periods


def to_resources(journey: Journey, ctx: Context, extras: dict) -> list[dict]:
    template = journey.template
    periods = _stage_periods(journey)
    stages = []
    for index, stage in enumerate(STAGES):
        status = _stage_status(index, journey)
        entered, left = periods.get(stage, (None, None))
        stages.append(
            {
                "detail": {
                    "code": concept(stage_coding(ctx, stage)),
                    "status": status,
                    "scheduledPeriod": {
                        "start": ctx.instant(entered),
                        "end": ctx.instant(left) if status != "in-progress" else None,
                    },
                }
            }
        )
    tasks = [{"reference": ref("Task", task_id)} for task_id in extras.get(journey.id, [])]
    return [
        resource(
            "CarePlan",
            journey.id,
            journey.updated_at,
            ctx,
            extension=[episode(journey.id)],
            status=STATUS[journey.status],
            intent="plan",
            category=[pathway_concept(ctx, template)],
            title=f"{template.title('en')} (version {template.version})",
            subject=ref("Patient", journey.patient_id),
            period={"start": day(journey.consultation_date), "end": ctx.instant(journey.ended_at)},
            created=ctx.instant(journey.started_at),
            activity=stages + tasks,
        )
    ]


MAPPING = Mapping(
    resource_type="CarePlan",
    model=Journey,
    to_resources=to_resources,
    changed_since=lambda since: Journey.updated_at >= since,
    of_patient=lambda patient_id: Journey.patient_id == patient_id,
    options=(selectinload(Journey.template), selectinload(Journey.transitions)),
    extras=task_ids,
    description="The pathway applied to a journey: five stage activities, then its Tasks.",
)
