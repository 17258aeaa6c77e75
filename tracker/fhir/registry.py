"""Every mapping the FHIR export knows, in bundle order. A new resource type is one line here.

Secure messages (issue 15) will add ``message.MAPPING`` (Communication, ids ``message-<n>``).
"""

from collections import defaultdict

from tracker.fhir.mapping import Mapping
from tracker.fhir.resources import (
    appointment,
    care_plan,
    communication,
    document_reference,
    episode_of_care,
    flag,
    observation,
    patient,
    practitioner,
    procedure,
    questionnaire,
    questionnaire_response,
    task,
)

MAPPINGS: tuple[Mapping, ...] = (
    patient.MAPPING,
    episode_of_care.MAPPING,
    care_plan.MAPPING,
    task.MAPPING,
    appointment.MAPPING,
    procedure.MAPPING,
    observation.MAPPING,
    questionnaire.MAPPING,
    questionnaire_response.MAPPING,
    communication.MAPPING,
    flag.MAPPING,
    document_reference.MAPPING,
    practitioner.MAPPING,
)


def _by_type(mappings: tuple[Mapping, ...]) -> dict[str, list[Mapping]]:
    grouped: dict[str, list[Mapping]] = defaultdict(list)
    for mapping in mappings:
        grouped[mapping.resource_type].append(mapping)
    for resource_type, group in grouped.items():
        prefixes = [m.id_prefix for m in group]
        # Two sources of one type must tell their ids apart, or a read would be ambiguous.
        if len(group) > 1 and (not all(prefixes) or len(set(prefixes)) != len(prefixes)):
            raise RuntimeError(f"the {resource_type} mappings need distinct id prefixes")
    return dict(grouped)


BY_TYPE = _by_type(MAPPINGS)
#: resource types in bundle order
RESOURCE_TYPES: tuple[str, ...] = tuple(BY_TYPE)


def mappings_of(resource_type: str) -> list[Mapping]:
    return BY_TYPE.get(resource_type, [])
