"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""

from tracker.audit.models import AuditEvent
from tracker.auth.models import ApiToken, ClinicSetting, RecoveryCode, StaffUser
from tracker.discharge.models import DischargeBatch, DischargeDraft, DischargeSheet, SheetPdf
from tracker.fhir.models import ExportJob
from tracker.journeys.models import Appointment, Journey, Note, StageTransition, Task
from tracker.messages.models import Conversation, Message, MessagePhoto
from tracker.on_duty.models import OnDutyContact
from tracker.outcomes.models import (
    Instrument,
    QuestionnaireAnswer,
    QuestionnaireResponse,
    TheatreReturn,
)
from tracker.pathways.models import PathwayTemplate
from tracker.patients.models import Patient
from tracker.portal.models import (
    Alert,
    Caregiver,
    CheckIn,
    MilestoneRecord,
    PortalInvitation,
    PortalLink,
    PortalSession,
)
from tracker.reminders.models import Reminder

__all__ = [
    "ApiToken",
    "Appointment",
    "Alert",
    "AuditEvent",
    "Caregiver",
    "CheckIn",
    "DischargeBatch",
    "ClinicSetting",
    "Conversation",
    "DischargeDraft",
    "DischargeSheet",
    "ExportJob",
    "Instrument",
    "Journey",
    "Message",
    "MessagePhoto",
    "MilestoneRecord",
    "Note",
    "OnDutyContact",
    "PathwayTemplate",
    "Patient",
    "PortalInvitation",
    "PortalLink",
    "PortalSession",
    "RecoveryCode",
    "QuestionnaireAnswer",
    "QuestionnaireResponse",
    "Reminder",
    "SheetPdf",
    "StageTransition",
    "StaffUser",
    "Task",
    "TheatreReturn",
]
