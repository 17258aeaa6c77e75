"""Questionnaire: one version of a PROM instrument (ODI, pain, global change, MacNab).

The canonical URL is ``<FHIR_SYSTEM_BASE>/Questionnaire/<key>`` with ``version`` the stored
version, so a QuestionnaireResponse names exactly the wording it was answered against
(``questionnaire: <url>|<version>``). Items keep the instrument's keys as ``linkId``; coded
answers carry their score as ``ordinalValue``; the ODI has a read-only ``score`` item (LOINC
97909-6). Older versions are ``retired``.
"""

import sqlalchemy as sa

from tracker.db import db
from tracker.fhir import codes
from tracker.fhir.common import Clean, Context, clean, resource
from tracker.fhir.mapping import Mapping
from tracker.outcomes.definitions import text
from tracker.outcomes.models import Instrument, QuestionnaireResponse

SCORE_ITEM = "score"


def canonical_url(ctx: Context, key: str) -> str:
    return f"{ctx.system_base}/Questionnaire/{key}"


def canonical(ctx: Context, key: str, version: int) -> str:
    """What a QuestionnaireResponse names: ``<url>|<version>``."""
    return f"{canonical_url(ctx, key)}|{version}"


def answer_system(ctx: Context, key: str, item_key: str) -> str:
    """The code system of one item's answers (``…/CodeSystem/odi-lifting``)."""
    return ctx.system(key if key == item_key else f"{key}-{item_key}")


def answer_coding(ctx: Context, key: str, item: dict, option: dict) -> Clean:
    return clean(
        extension=[Clean(url=codes.ORDINAL_VALUE, valueDecimal=option["value"])],
        system=answer_system(ctx, key, item["key"]),
        code=option.get("code") or str(option["value"]),
        display=text(option["text"], "en"),
    )


def has_score_item(definition: dict) -> bool:
    """A score worked out from several answers is an item of its own (the ODI)."""
    return definition["scoring"]["method"] == "percent_of_max"


def item_text(item: dict) -> str:
    """An item's question; a 0-10 scale says what its ends mean."""
    question = text(item["text"], "en")
    if "scale" not in item:
        return question
    scale = item["scale"]
    low, high = text(scale["low"], "en"), text(scale["high"], "en")
    return f"{question} ({scale['min']} = {low}, {scale['max']} = {high})"


def _item(ctx: Context, key: str, item: dict) -> dict:
    code = codes.ITEM_CODES.get(item["key"])
    body = {"linkId": item["key"], "code": [code] if code else None, "text": item_text(item)}
    if "scale" in item:
        scale = item["scale"]
        body["type"] = "integer"
        body["extension"] = [
            {"url": codes.MIN_VALUE, "valueInteger": scale["min"]},
            {"url": codes.MAX_VALUE, "valueInteger": scale["max"]},
        ]
    else:
        body["type"] = "choice"
        body["answerOption"] = [
            {"valueCoding": answer_coding(ctx, key, item, option)} for option in item["options"]
        ]
    return body


def score_item(definition: dict) -> dict:
    code = codes.SCORE_CODES.get(definition["key"])
    low, high = definition["scoring"].get("range", (0, 100))
    return {
        "linkId": SCORE_ITEM,
        "code": [code] if code else None,
        "text": f"{text(definition['short_name'], 'en')} score ({low}-{high})",
        "type": "decimal",
        "readOnly": True,
    }


def newest_versions(instruments: list[Instrument]) -> dict[str, int]:
    """``{key: newest version}`` of the instruments' keys, in one query."""
    rows = db.session.execute(
        sa.select(Instrument.key, sa.func.max(Instrument.version))
        .where(Instrument.key.in_({i.key for i in instruments}))
        .group_by(Instrument.key)
    )
    return dict(rows.all())


def to_resources(instrument: Instrument, ctx: Context, extras: dict) -> list[dict]:
    definition = instrument.definition
    key = instrument.key
    items = [_item(ctx, key, item) for item in definition["items"]]
    if has_score_item(definition):
        items.append(score_item(definition))
    code = codes.QUESTIONNAIRE_CODES.get(key)
    newest = extras.get(key, instrument.version)
    return [
        resource(
            "Questionnaire",
            instrument.id,
            instrument.loaded_at,
            ctx,
            url=canonical_url(ctx, key),
            version=str(instrument.version),
            name="".join(part.capitalize() for part in key.split("_")),
            title=text(definition["name"], "en"),
            status="active" if instrument.version >= newest else "retired",
            subjectType=["Patient"],
            date=ctx.instant(instrument.loaded_at),
            description=" ".join(definition["source"].split()),
            copyright=" ".join(text(definition["licence"], "en").split()),
            code=[code] if code else None,
            item=items,
        )
    ]


MAPPING = Mapping(
    resource_type="Questionnaire",
    model=Instrument,
    to_resources=to_resources,
    # Versions never change once loaded; a new version is a new row.
    changed_since=lambda since: Instrument.loaded_at >= since,
    # In a patient's bundle: the versions their answers name (QuestionnaireResponse.questionnaire
    # is a canonical URL, not a reference, so it is matched here rather than followed).
    of_patient=lambda patient_id: Instrument.id.in_(
        sa.select(QuestionnaireResponse.instrument_id).where(
            QuestionnaireResponse.patient_id == patient_id
        )
    ),
    extras=newest_versions,
    description="PROM instruments, one per stored version (url <base>/Questionnaire/<key>); "
    "the ODI with LOINC 97908-8.",
)
