"""Appointment: consultations, the pre-operative visit, surgery and follow-ups."""

from datetime import timedelta

import sqlalchemy as sa

from tracker.fhir.codes import APPOINTMENT_KINDS, coding
from tracker.fhir.common import Context, concept, episode, journey_facts, ref, resource
from tracker.fhir.mapping import Mapping
from tracker.journeys.models import Appointment, Journey

STATUS = {
    "scheduled": "booked",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}


def to_resources(appt: Appointment, ctx: Context, extras: dict) -> list[dict]:
    kind = coding(ctx.system("appointment-kind"), appt.kind, APPOINTMENT_KINDS[appt.kind])
    return [
        resource(
            "Appointment",
            appt.id,
            appt.updated_at,
            ctx,
            extension=[episode(appt.journey_id)],
            status=STATUS[appt.status],
            cancelationReason={"text": appt.cancel_reason} if appt.cancel_reason else None,
            appointmentType=concept(kind),
            description=appt.title,
            start=ctx.instant(appt.starts_at),
            end=ctx.instant(appt.starts_at + timedelta(minutes=appt.duration_minutes)),
            minutesDuration=appt.duration_minutes,
            created=ctx.instant(appt.created_at),
            comment=f"Location: {appt.location}" if appt.location else None,
            participant=[
                {"actor": ref("Patient", extras[appt.journey_id][0]), "status": "accepted"}
            ],
        )
    ]


MAPPING = Mapping(
    resource_type="Appointment",
    model=Appointment,
    to_resources=to_resources,
    changed_since=lambda since: Appointment.updated_at >= since,
    of_patient=lambda patient_id: Appointment.journey_id.in_(
        sa.select(Journey.id).where(Journey.patient_id == patient_id)
    ),
    extras=journey_facts,
    description="Every appointment of a journey, with its status and reason when cancelled.",
    plain_rows=True,
)
