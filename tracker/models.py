"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""

from tracker.audit.models import AuditEvent
from tracker.auth.models import ApiToken, StaffUser
from tracker.journeys.models import Appointment, Journey, Note, StageTransition, Task
from tracker.pathways.models import PathwayTemplate
from tracker.patients.models import Patient

__all__ = [
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "Journey",
    "Note",
    "PathwayTemplate",
    "Patient",
    "StageTransition",
    "StaffUser",
    "Task",
]
