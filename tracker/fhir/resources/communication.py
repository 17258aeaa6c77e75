"""Communication: a reminder that was sent to the patient (email or SMS), as sent.

Ids are ``reminder-<id>``: secure messages (another source of Communication) get their own
prefix in their own module.
"""

from tracker.fhir import codes
from tracker.fhir.common import Context, concept, episode, ref, resource
from tracker.fhir.mapping import Mapping
from tracker.reminders.models import Reminder

PREFIX = "reminder-"


def to_resources(reminder: Reminder, ctx: Context, extras: dict) -> list[dict]:
    channel = codes.coding(
        ctx.system("channel"), reminder.channel, codes.CHANNELS[reminder.channel]
    )
    return [
        resource(
            "Communication",
            f"{PREFIX}{reminder.id}",
            reminder.updated_at,
            ctx,
            extension=[episode(reminder.journey_id)],
            status="completed",
            category=[concept(codes.REMINDER)],
            medium=[concept(channel)],
            subject=ref("Patient", reminder.patient_id),
            about=[ref("Appointment", reminder.appointment_id)]
            if reminder.appointment_id
            else None,
            topic={"text": reminder.subject or reminder.message_key.replace("_", " ")},
            sent=ctx.instant(reminder.sent_at),
            recipient=[ref("Patient", reminder.patient_id)],
            payload=[{"contentString": reminder.body}] if reminder.body else None,
        )
    ]


MAPPING = Mapping(
    resource_type="Communication",
    model=Reminder,
    to_resources=to_resources,
    changed_since=lambda since: Reminder.updated_at >= since,
    of_patient=lambda patient_id: Reminder.patient_id == patient_id,
    where=(Reminder.audience == "patient", Reminder.status == "sent"),
    id_prefix=PREFIX,
    description="Reminders sent to the patient (id reminder-<n>), with the text as sent.",
    plain_rows=True,
)
