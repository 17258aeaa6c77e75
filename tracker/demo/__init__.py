"""A realistic demo clinic: staff, about forty patients, journeys at every stage.

The demo is a list of :class:`Step` objects run in order by ``flask --app tracker demo``. Each
step knows whether its data is already there, so running the command again changes nothing,
and a feature added later appends its own step to :data:`STEPS` (an existing demo database
then gets just that step). Everything goes through the services with explicit ``now`` values,
so the history (transitions, task completions, the audit trail) reads like a real clinic's.
Choices are drawn from a seeded generator: the same day gives the same clinic.

The people and their cases are in :mod:`tracker.demo.cases`, what every step shares in
:mod:`tracker.demo.context`, one case played through the services in :mod:`tracker.demo.story`,
the steps in :mod:`tracker.demo.steps` (with those of :mod:`tracker.demo.portal`,
:mod:`tracker.demo.records` and :mod:`tracker.demo.outcomes`). This package names what the
``flask demo`` command needs.
"""

from tracker.demo.cases import DEMO_PASSWORD, DEMO_SIGN_IN, DEMO_SIGN_IN_ID
from tracker.demo.context import Demo, Step
from tracker.demo.steps import STEPS, pending_steps

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_SIGN_IN",
    "DEMO_SIGN_IN_ID",
    "STEPS",
    "Demo",
    "Step",
    "pending_steps",
]
