"""Procedure: the surgery of a journey, once it is booked."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.db import db
from tracker.fhir import codes
from tracker.fhir.common import Context, concept, episode, latest, ref, resource
from tracker.fhir.mapping import Mapping
from tracker.journeys.models import Journey, Task
from tracker.pathways.models import STAGES

#: the checklist item that says the operation took place
DONE_TASK = "procedure_done"


def done_tasks(journeys: list[Journey]) -> dict[int, tuple]:
    """``{journey id: (status, done_at, updated_at)}`` of each journey's DONE_TASK."""
    rows = db.session.execute(
        sa.select(Task.journey_id, Task.status, Task.done_at, Task.updated_at).where(
            Task.journey_id.in_([j.id for j in journeys]), Task.key == DONE_TASK
        )
    )
    return {journey_id: (status, done_at, updated) for journey_id, status, done_at, updated in rows}


def _status(journey: Journey, done_status: str | None) -> str:
    past_procedure = journey.stage_index > STAGES.index("procedure")
    if done_status == "done" or journey.status == "completed":
        return "completed"
    if past_procedure:
        return "completed"
    if journey.status == "cancelled":
        return "not-done"
    return "in-progress" if journey.stage == "procedure" else "preparation"


def to_resources(journey: Journey, ctx: Context, extras: dict) -> list[dict]:
    template = journey.template
    done_status, done_at, done_updated = extras.get(journey.id, (None, None, None))
    status = _status(journey, done_status)
    finished = done_at if done_status == "done" else None
    condition = journey.condition
    reason = concept(
        {
            "system": ctx.system("condition"),
            "code": condition,
            "display": codes.CONDITIONS[condition],
        },
        codes.CONDITION_SNOMED.get(condition),
        text=codes.CONDITIONS[condition],
    )
    anesthesia = journey.anesthesia.replace("_", " with ").replace("local", "local anesthesia")
    return [
        resource(
            "Procedure",
            journey.id,
            latest(journey.updated_at, done_updated),
            ctx,
            extension=[episode(journey.id)],
            status=status,
            statusReason={"text": journey.cancel_reason} if status == "not-done" else None,
            category=concept(codes.SURGICAL_PROCEDURE),
            code=concept(
                {
                    "system": ctx.system("procedure"),
                    "code": template.slug,
                    "display": template.title("en"),
                },
                codes.SPINE_OPERATION,
                text=template.title("en"),
            ),
            subject=ref("Patient", journey.patient_id),
            performedPeriod={
                "start": ctx.instant(journey.surgery_at),
                "end": ctx.instant(finished)
                if finished and finished >= journey.surgery_at
                else None,
            }
            if status in ("completed", "in-progress")
            else None,
            performer=[{"actor": ref("Practitioner", journey.surgeon_id)}]
            if journey.surgeon_id
            else None,
            reasonCode=[reason],
            bodySite=[concept(codes.LUMBAR_SPINE, text=f"{journey.levels}, {journey.side}")],
            note=[
                {
                    "text": f"Planned start {ctx.instant(journey.surgery_at)}; "
                    f"{journey.approach} approach; {anesthesia}."
                }
            ],
        )
    ]


MAPPING = Mapping(
    resource_type="Procedure",
    model=Journey,
    to_resources=to_resources,
    changed_since=lambda since: Journey.updated_at >= since,
    of_patient=lambda patient_id: Journey.patient_id == patient_id,
    where=(Journey.surgery_at.is_not(None),),
    options=(selectinload(Journey.template),),
    extras=done_tasks,
    description="The surgery of a journey once booked (id: the journey's), SNOMED CT coded.",
)
