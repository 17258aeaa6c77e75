"""What every mapping module shares: the export context, references, instants, pruning."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from tracker.db import db
from tracker.fhir.clean import Clean, clean
from tracker.fhir.codes import EPISODE_EXTENSION, STAGES
from tracker.journeys.models import Journey
from tracker.timeutil import clinic_tz, parse_local_or_aware


@dataclass(frozen=True)
class Context:
    """Settings one export (a request, a bulk file set) reads once."""

    #: prefix of the project's own code systems and extensions (``FHIR_SYSTEM_BASE``)
    system_base: str
    #: the system URI of the MRN identifier (``FHIR_MRN_SYSTEM``)
    mrn_system: str
    #: absolute URL of the FHIR endpoint, for bundle fullUrls and attachment links
    fhir_base: str
    #: instants are written with this zone's offset (the clinic's)
    tz: ZoneInfo

    def system(self, name: str) -> str:
        """The URI of one of our code systems, e.g. ``…/CodeSystem/stage``."""
        return f"{self.system_base}/CodeSystem/{name}"

    def extension_url(self, name: str) -> str:
        return f"{self.system_base}/StructureDefinition/{name}"

    def instant(self, value: datetime | None) -> str | None:
        """An ISO 8601 instant with the clinic's offset, e.g. ``2026-12-10T08:30:00+07:00``."""
        return None if value is None else value.astimezone(self.tz).isoformat(timespec="seconds")

    def url(self, path: str) -> str:
        return f"{self.fhir_base}/{path}"


def make_context() -> Context:
    config = current_app.config
    system_base = config["FHIR_SYSTEM_BASE"].rstrip("/")
    base = config.get("FHIR_BASE_URL", "").rstrip("/")
    if not base:
        if has_request_context():
            base = url_for("fhir_api.capability", _external=True).rsplit("/", 1)[0]
        else:
            base = config["PORTAL_BASE_URL"].rstrip("/") + "/api/v1/fhir"
    return Context(
        system_base=system_base,
        mrn_system=config.get("FHIR_MRN_SYSTEM") or f"{system_base}/sid/mrn",
        fhir_base=base,
        tz=clinic_tz(),
    )


def journey_facts(rows: list) -> dict[int, tuple[int, datetime]]:
    """``{journey id: (patient id, started_at)}`` for rows with a ``journey_id``, in one query
    (cheaper in a bulk export than loading each row's journey)."""
    ids = {row.journey_id for row in rows}
    query = sa.select(Journey.id, Journey.patient_id, Journey.started_at).where(Journey.id.in_(ids))
    return {
        journey_id: (patient_id, started)
        for journey_id, patient_id, started in db.session.execute(query)
    }


def ref(resource_type: str, ident: Any) -> Clean:
    return Clean(reference=f"{resource_type}/{ident}")


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def latest(*values: datetime | None) -> datetime:
    """The most recent of the instants given (at least one is set)."""
    return max(v for v in values if v is not None)


def episode(journey_id: int) -> Clean:
    """The extension that ties a resource to its journey's EpisodeOfCare."""
    return Clean(url=EPISODE_EXTENSION, valueReference=ref("EpisodeOfCare", journey_id))


def concept(*codings: dict | None, text: str | None = None) -> dict:
    """A CodeableConcept; clean when its codings are (e.g. those of ``tracker.fhir.codes``)."""
    found = [c for c in codings if c]
    if found and all(type(c) is Clean for c in found):
        return clean(coding=found, text=text)
    return {"coding": found, "text": text}


def resource(
    resource_type: str, ident: Any, last_updated: datetime | str, ctx: Context, **fields
) -> dict:
    """A resource with its id and ``meta.lastUpdated`` (an instant, or one already written by
    ``ctx.instant``); empty fields are left out."""
    if type(last_updated) is not str:
        last_updated = ctx.instant(last_updated)
    body = {
        "resourceType": resource_type,
        "id": str(ident),
        "meta": Clean(lastUpdated=last_updated),
        **fields,
    }
    return prune(body)


def prune(value):
    """Drop None and empty strings, lists and objects, at any depth (FHIR forbids empties).

    Written for speed: a bulk export prunes every resource it writes. :class:`Clean` parts
    are not looked into (``type(item) is dict`` is false for them).
    """
    if type(value) is dict:
        out = {}
        for key, item in value.items():
            kind = type(item)
            if kind is dict or kind is list:
                item = prune(item)
                if not item:
                    continue
            elif item is None or item == "":
                continue
            out[key] = item
        return out
    if type(value) is list:
        out = []
        for item in value:
            kind = type(item)
            if kind is dict or kind is list:
                item = prune(item)
                if not item:
                    continue
            elif item is None or item == "":
                continue
            out.append(item)
        return out
    return value


def stage_coding(ctx: Context, stage: str) -> Clean:
    return Clean(system=ctx.system("stage"), code=stage, display=STAGES[stage])


@cache
def stage_extension(ctx: Context, stage: str) -> Clean:
    """Which pathway stage a task belongs to, or a journey is at (made once per export and
    stage, and shared: resources are written out, never changed once made)."""
    return Clean(url=ctx.extension_url("pathway-stage"), valueCoding=stage_coding(ctx, stage))


def pathway_concept(ctx: Context, template) -> dict:
    title = template.title("en")
    return concept(
        {"system": ctx.system("pathway"), "code": template.slug, "display": title},
        text=f"{title} (pathway version {template.version})",
    )


def parse_since(text: str) -> datetime:
    """An instant from ``_since`` / ``--since``: ISO 8601; a date or a time without an offset
    is read in clinic time. Raises ValueError with a message for a person."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 instant, e.g. 2026-11-20T00:00:00+07:00 or 2026-11-20."
        ) from None
    return parse_local_or_aware(parsed, clinic_tz())
