"""CarePlan: the pathway applied to one patient, stage by stage, with its tasks."""

from sqlalchemy.orm import joinedload, selectinload

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
from tracker.journeys.models import Journey
from tracker.journeys.services import stage_timeline

STATUS = {"active": "active", "completed": "completed", "cancelled": "revoked"}
#: a stage's state on the journey timeline -> CarePlan activity status
STAGE_STATUS = {
    "done": "completed",
    "current": "in-progress",
    "upcoming": "not-started",
    "stopped": "stopped",
}


def _stage_status(state: str, journey: Journey) -> str:
    if state == "upcoming" and journey.status == "cancelled":
        return "cancelled"
    return STAGE_STATUS[state]


def to_resources(journey: Journey, ctx: Context, extras: dict) -> list[dict]:
    template = journey.template
    stages = [
        {
            "detail": {
                "code": concept(stage_coding(ctx, view.key)),
                "status": _stage_status(view.state, journey),
                "scheduledPeriod": {
                    "start": ctx.instant(view.entered_at),
                    "end": ctx.instant(view.left_at),
                },
            }
        }
        for view in stage_timeline(journey)
    ]
    tasks = [{"reference": ref("Task", task.id)} for task in journey.tasks]
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
    options=(
        joinedload(Journey.template),
        selectinload(Journey.tasks),
        selectinload(Journey.transitions),
    ),
    description="The pathway applied to a journey: five stage activities, then its Tasks.",
)
