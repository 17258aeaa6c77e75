"""Schemathesis against our OpenAPI document: no request makes a server error, and every answer
matches its documented schema.

Runs when ``TRACKER_FUZZ=1`` (``.ci/run`` does, on SQLite and on PostgreSQL): each operation gets
``TRACKER_FUZZ_EXAMPLES`` generated requests (default 25, a few hundred in all), valid and
invalid, with Hypothesis derandomized so every run sends the same requests (a fixed seed).
Half of the generated ids are replaced by ids that exist, so the endpoints' own rules run and
not only their 404.
"""

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

pytestmark = pytest.mark.skipif(
    os.environ.get("TRACKER_FUZZ") != "1", reason="the API fuzzing runs with TRACKER_FUZZ=1"
)
EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance]


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        yield result.ok()


def with_known_ids(case, known: dict[str, int]):
    """Half of the generated ids become ids of rows that exist (even ones, deterministically)."""
    for name, value in list((case.path_parameters or {}).items()):
        if isinstance(value, int) and value % 2 == 0 and name in known:
            case.path_parameters[name] = known[name]
    return case


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_every_request_as_documented(app, make_journey, api_headers, mode):
    journey = make_journey()
    known = {
        "patient_id": journey.patient_id,
        "journey_id": journey.id,
        "task_id": journey.tasks[0].id,
        "appointment_id": journey.appointments[0].id,
    }
    headers = api_headers()
    tried = 0
    for operation in operations(app):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            with_known_ids(case, known).call_and_validate(headers=headers, checks=CHECKS)

        call()
        tried += 1
    assert tried >= 19  # every operation of the API, and more as it grows
