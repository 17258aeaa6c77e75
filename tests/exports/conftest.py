"""The research export reuses the FHIR tests' operated journey and its questionnaires."""

from tests.fhir.conftest import check_in, operated, proms  # noqa: F401
