"""QuestionnaireResponse: one instrument answered at one timepoint of a journey.

``questionnaire`` is the canonical of the exact version answered (see ``questionnaire.py``);
each answered item has its coded answer (or the 0-10 integer), a skipped item has no answer;
the ODI's score is the answer of its read-only ``score`` item and its band an extension.
Responses marked entered in error stay, with status ``entered-in-error``.
"""

from sqlalchemy.orm import selectinload

from tracker.fhir import codes
from tracker.fhir.common import Clean, Context, clean, episode, latest, ref, resource
from tracker.fhir.mapping import Mapping
from tracker.fhir.resources.questionnaire import (
    SCORE_ITEM,
    answer_coding,
    canonical,
    has_score_item,
    item_text,
)
from tracker.outcomes.definitions import band_title
from tracker.outcomes.models import QuestionnaireResponse


def prepared(responses: list[QuestionnaireResponse]) -> dict:
    """``{instrument id: {item key: (item, {value: option})}}`` for the batch's versions."""
    out = {}
    for response in responses:
        instrument = response.instrument
        if instrument.id in out:
            continue
        out[instrument.id] = {
            item["key"]: (item, {o["value"]: o for o in item.get("options", ())})
            for item in instrument.definition["items"]
        }
    return out


def _answer(ctx: Context, key: str, item: dict, options: dict, value: int) -> Clean:
    if "scale" in item:
        return Clean(valueInteger=value)
    return Clean(valueCoding=answer_coding(ctx, key, item, options[value]))


def _items(response: QuestionnaireResponse, ctx: Context, items: dict) -> list[Clean]:
    key = response.instrument_key
    given = {answer.item_key: answer.value for answer in response.answers}
    out = []
    for item_key, (item, options) in items.items():
        value = given.get(item_key)
        answer = None if value is None else [_answer(ctx, key, item, options, value)]
        out.append(clean(linkId=item_key, text=item_text(item), answer=answer))
    if has_score_item(response.instrument.definition) and response.score is not None:
        out.append(Clean(linkId=SCORE_ITEM, answer=[Clean(valueDecimal=response.score)]))
    return out


def _extensions(response: QuestionnaireResponse, ctx: Context) -> list[dict]:
    key = response.instrument_key
    out = [episode(response.journey_id)]
    if response.timepoint:
        timepoint = {
            "system": ctx.system("outcome-timepoint"),
            "code": response.timepoint,
            "display": codes.TIMEPOINTS[response.timepoint],
        }
        out.append({"url": ctx.extension_url("outcome-timepoint"), "valueCoding": timepoint})
    if response.band and has_score_item(response.instrument.definition):
        band = {
            "system": ctx.system(f"{key}-band"),
            "code": response.band,
            "display": band_title(response.instrument.definition, response.band),
        }
        out.append({"url": ctx.extension_url("score-band"), "valueCoding": band})
    out.append({"url": ctx.extension_url("response-source"), "valueCode": response.source})
    return out


def to_resources(response: QuestionnaireResponse, ctx: Context, extras: dict) -> list[dict]:
    if response.entered_by == "staff":
        author = ref("Practitioner", response.entered_by_id)
    else:
        author = ref("Patient", response.patient_id)
    instrument = response.instrument
    return [
        resource(
            "QuestionnaireResponse",
            response.id,
            latest(response.updated_at, response.error_at),
            ctx,
            extension=_extensions(response, ctx),
            questionnaire=canonical(ctx, instrument.key, instrument.version),
            status=codes.RESPONSE_STATUSES[response.status],
            subject=ref("Patient", response.patient_id),
            authored=ctx.instant(response.completed_at or response.started_at),
            author=author,
            source=ref("Patient", response.patient_id),
            item=_items(response, ctx, extras[instrument.id]),
        )
    ]


MAPPING = Mapping(
    resource_type="QuestionnaireResponse",
    model=QuestionnaireResponse,
    to_resources=to_resources,
    changed_since=lambda since: QuestionnaireResponse.updated_at >= since,
    of_patient=lambda patient_id: QuestionnaireResponse.patient_id == patient_id,
    options=(
        selectinload(QuestionnaireResponse.answers),
        selectinload(QuestionnaireResponse.instrument),
    ),
    extras=prepared,
    description="PROM answers (ODI, pain, global change, MacNab) at a journey's timepoints; "
    "questionnaire is the canonical <url>|<version> of the version answered.",
)
