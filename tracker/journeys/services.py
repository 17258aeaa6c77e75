"""The rules of a patient's journey: start, advance, move back, cancel, complete, reschedule.

Services flush but never commit; the request, command or job around them commits once. They
live in one module per concern (:mod:`~tracker.journeys.start`,
:mod:`~tracker.journeys.stages`, :mod:`~tracker.journeys.reschedule`,
:mod:`~tracker.journeys.tasks`, :mod:`~tracker.journeys.appointments`,
:mod:`~tracker.journeys.queries`, sharing :mod:`~tracker.journeys.checks`); this module names
them all in one place for the views, the API and the tests.
"""

from tracker.journeys.appointments import cancel_appointment, create_appointment, update_appointment
from tracker.journeys.queries import (
    StageView,
    active_clinicians,
    active_journey,
    journey_for_page,
    patient_history,
    stage_timeline,
)
from tracker.journeys.reschedule import Move, plan_reschedule, reschedule_surgery
from tracker.journeys.stages import advance, cancel, complete, move_back, unfinished_required
from tracker.journeys.start import JourneyDetails, start_journey
from tracker.journeys.tasks import add_note, complete_task, reopen_task, skip_task, tick_task

__all__ = [
    "JourneyDetails",
    "Move",
    "StageView",
    "active_clinicians",
    "active_journey",
    "add_note",
    "advance",
    "cancel",
    "cancel_appointment",
    "complete",
    "complete_task",
    "create_appointment",
    "journey_for_page",
    "move_back",
    "patient_history",
    "plan_reschedule",
    "reopen_task",
    "reschedule_surgery",
    "skip_task",
    "stage_timeline",
    "start_journey",
    "tick_task",
    "unfinished_required",
    "update_appointment",
]
