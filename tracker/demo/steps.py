"""The demo's steps in order (:data:`STEPS`): the pathway templates, the staff, the patients
and their journeys (here), then those of the other demo modules; :func:`pending_steps` says
which still have to run."""

from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

from tracker.auth.services import create_user, user_by_email
from tracker.db import db
from tracker.demo.cases import DEMO_PASSWORD, DEMO_SIGN_IN_ID, STAFF, TEMPLATE_SLUGS, demo_mrn
from tracker.demo.context import Demo, Step
from tracker.demo.outcomes import PAST_PATIENTS, create_outcomes, outcomes_done
from tracker.demo.portal import (
    create_portal_activity,
    create_reach,
    portal_done,
    reach_done,
    recovering_cases,
)
from tracker.demo.records import (
    create_reads_and_devices,
    create_records,
    reads_done,
    records_done,
    records_size,
)
from tracker.demo.story import Story
from tracker.messages.demo import create_messages, messages_done
from tracker.pathways.services import latest_template, load_directory
from tracker.patients.models import Patient


def _pathways_done(demo: Demo) -> bool:
    return all(latest_template(slug) is not None for slug in TEMPLATE_SLUGS.values())


def _load_pathways(demo: Demo) -> Iterator[None]:
    load_directory(now=demo.now)
    yield


def _staff_done(demo: Demo) -> bool:
    return user_by_email(STAFF[0][1]) is not None


def _create_staff(demo: Demo) -> Iterator[None]:
    opened = demo.now - timedelta(days=200)
    for _, email, name, role in STAFF:
        if user_by_email(email) is None:
            language = "id" if email == DEMO_SIGN_IN_ID else "en"
            user = create_user(email, name, role, DEMO_PASSWORD, language=language, now=opened)
            user.created_at = opened
        yield


def _patients_done(demo: Demo) -> bool:
    first = sa.select(Patient.id).where(Patient.mrn == demo_mrn(0))
    return db.session.scalar(first) is not None


def _create_patients(demo: Demo) -> Iterator[None]:
    templates = {key: latest_template(slug) for key, slug in TEMPLATE_SLUGS.items()}
    for index, case in enumerate(demo.cases):
        Story(demo, case, index, templates[case.pathway]).tell()
        yield


#: the demo, in order; a later feature appends its own step here
STEPS: list[Step] = [
    Step("pathway templates", _pathways_done, lambda demo: 1, _load_pathways),
    Step("staff", _staff_done, lambda demo: len(STAFF), _create_staff),
    Step("patients and journeys", _patients_done, lambda demo: len(demo.cases), _create_patients),
    Step(
        "pain check-ins",
        portal_done,
        lambda demo: recovering_cases(demo),
        create_portal_activity,
    ),
    Step(
        "questionnaires and outcomes",
        outcomes_done,
        lambda demo: len(demo.cases) + len(PAST_PATIENTS),
        create_outcomes,
    ),
    Step("discharge sheets and 6-week scores", records_done, records_size, create_records),
    Step("on-duty contacts and urgent alerts", reach_done, lambda demo: 2, create_reach),
    Step(
        "record views and portal devices",
        reads_done,
        lambda demo: len(demo.cases),
        create_reads_and_devices,
    ),
    Step("messages, a wound photo and a caregiver", messages_done, lambda demo: 3, create_messages),
]


def pending_steps(demo: Demo) -> list[Step]:
    return [step for step in STEPS if not step.is_done(demo)]
