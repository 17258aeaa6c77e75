"""The research export reuses the FHIR tests' operated journey."""

from tests.fhir.conftest import check_in, operated  # noqa: F401
