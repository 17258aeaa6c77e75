"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""

from tracker.audit.models import AuditEvent
from tracker.auth.models import ApiToken, StaffUser
from tracker.discharge.models import DischargeDraft, DischargeSheet
from tracker.journeys.models import Appointment, Journey, Note, StageTransition, Task
from tracker.outcomes.models import (
    Instrument,
    QuestionnaireAnswer,
    QuestionnaireResponse,
    TheatreReturn,
)
from tracker.pathways.models import PathwayTemplate
from tracker.patients.models import Patient
from tracker.portal.models import Alert, CheckIn, MilestoneRecord, PortalInvitation
from tracker.reminders.models import Reminder

__all__ = [
    "ApiToken",
    "Appointment",
    "Alert",
    "AuditEvent",
    "CheckIn",
    "DischargeDraft",
    "DischargeSheet",
    "Instrument",
    "Journey",
    "MilestoneRecord",
    "Note",
    "PathwayTemplate",
    "Patient",
    "PortalInvitation",
    "QuestionnaireAnswer",
    "QuestionnaireResponse",
    "Reminder",
    "StageTransition",
    "StaffUser",
    "Task",
    "TheatreReturn",
]
