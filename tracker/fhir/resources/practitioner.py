"""Practitioner: a staff member named by other resources (surgeon, who did a task, …)."""

from tracker.auth.models import StaffUser
from tracker.fhir.common import Context, resource
from tracker.fhir.mapping import Mapping


def to_resources(user: StaffUser, ctx: Context, extras: dict) -> list[dict]:
    # Only the name: staff email addresses and roles stay inside the clinic.
    return [
        resource(
            "Practitioner",
            user.id,
            user.created_at,
            ctx,
            active=user.active,
            name=[{"text": user.name}],
        )
    ]


MAPPING = Mapping(
    resource_type="Practitioner",
    model=StaffUser,
    to_resources=to_resources,
    # Names change without a timestamp, and there are few staff: every export has them all.
    changed_since=lambda since: StaffUser.id.is_not(None),
    where=(StaffUser.role != "admin",),
    description="Staff named by other resources (name only); in a patient's bundle when named.",
)
