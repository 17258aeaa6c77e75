"""EpisodeOfCare: one journey, from the consultation to its end."""

from sqlalchemy.orm import selectinload

from tracker.fhir.common import Context, day, pathway_concept, ref, resource, stage_extension
from tracker.fhir.mapping import Mapping
from tracker.journeys.models import Journey

STATUS = {"active": "active", "completed": "finished", "cancelled": "cancelled"}


def to_resources(journey: Journey, ctx: Context, extras: dict) -> list[dict]:
    return [
        resource(
            "EpisodeOfCare",
            journey.id,
            journey.updated_at,
            ctx,
            extension=[stage_extension(ctx, journey.stage)],
            status=STATUS[journey.status],
            type=[pathway_concept(ctx, journey.template)],
            patient=ref("Patient", journey.patient_id),
            period={
                "start": day(journey.consultation_date),
                "end": ctx.instant(journey.ended_at),
            },
        )
    ]


MAPPING = Mapping(
    resource_type="EpisodeOfCare",
    model=Journey,
    to_resources=to_resources,
    changed_since=lambda since: Journey.updated_at >= since,
    of_patient=lambda patient_id: Journey.patient_id == patient_id,
    options=(selectinload(Journey.template),),
    description="A journey; its current pathway stage is in an extension.",
)
