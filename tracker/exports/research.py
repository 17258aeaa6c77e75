"""The research CSV: one row per journey, pseudonymous, with scores at fixed timepoints.

Pseudonyms are a salted SHA-256 of the MRN with a new random salt for every export, so one
export's rows cannot be linked to another's (nor to the MRN). Names, MRNs and exact dates never
appear unless an administrator asks for identified data; dates are days from surgery.

Scores at timepoints come from the outcomes services (``tracker.outcomes.values``), the same
values the outcomes report shows: the questionnaire answered for the timepoint, else (pain)
the daily check-in closest to its day within its window. Scales (pain, ODI) get an MCID flag
per follow-up (``tracker.outcomes.scoring.mcid_reached``, the rule in each instrument's
file); single-choice answers (global change, MacNab) their code and a success flag.
"""

import csv
import hashlib
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.audit.services import record_read
from tracker.auth.models import StaffUser
from tracker.clock import clinic_today
from tracker.db import db
from tracker.journeys.models import Journey
from tracker.outcomes import catalogue, sql
from tracker.outcomes.definitions import is_scale, option_code, success_values
from tracker.outcomes.scoring import mcid_reached
from tracker.outcomes.values import cohort_cte, values_cte
from tracker.pathways.models import PathwayTemplate
from tracker.timeutil import clinic_tz

BATCH = 500
FOLLOW_UPS = ("2w", "6w", "3m", "12m")


@dataclass(frozen=True)
class Measure:
    """An instrument followed over time: ``<key>_<timepoint>`` for each of its timepoints, then
    ``<key>_mcid_<follow-up>`` (scales) or ``<key>_success_<follow-up>`` (single choices)."""

    key: str
    timepoints: tuple[str, ...]


#: every score the CSV follows, in column order (the timepoints the pathways schedule them at)
MEASURES: tuple[Measure, ...] = (
    Measure("back_pain", ("baseline", *FOLLOW_UPS)),
    Measure("leg_pain", ("baseline", *FOLLOW_UPS)),
    Measure("odi", ("baseline", "6w", "3m", "12m")),
    Measure("global_change", ("6w", "3m", "12m")),
    Measure("macnab", ("3m", "12m")),
)
#: single-choice instruments: the cell holds the answer's code; the flag says "success"
CHOICES = frozenset({"global_change", "macnab"})


def measure_columns(measure: Measure) -> list[str]:
    flag = "success" if measure.key in CHOICES else "mcid"
    follow_ups = [tp for tp in measure.timepoints if tp != "baseline"]
    return [f"{measure.key}_{tp}" for tp in measure.timepoints] + [
        f"{measure.key}_{flag}_{tp}" for tp in follow_ups
    ]


BASE_COLUMNS = (
    "patient_pid",
    "journey_number",
    "pathway",
    "pathway_version",
    "condition",
    "levels",
    "side",
    "approach",
    "anesthesia",
    "status",
    "stage",
    "sex",
    "age_band",
    "consultation_day",
    "end_day",
    "stay_nights",
    "stay_hours",
)
IDENTIFIED_COLUMNS = ("journey_id", "mrn", "given_name", "family_name", "birth_date")


def columns(identified: bool) -> list[str]:
    names = list(BASE_COLUMNS)
    if identified:
        names[2:2] = IDENTIFIED_COLUMNS
    for measure in MEASURES:
        names += measure_columns(measure)
    return names


@dataclass(frozen=True)
class Export:
    identified: bool
    salt: bytes


@dataclass(frozen=True)
class JourneysCsv:
    """What the audit trail names for one CSV export."""

    identified: bool
    id: None = None


def start_export(user: StaffUser, *, identified: bool, via: str, now: datetime) -> Export:
    """Note the export in the audit trail (a read: who, identified or not, from where) and make
    its salt. The caller checks roles."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Journey))
    record_read(
        "export.journeys_csv",
        JourneysCsv(identified),
        actor=user,
        now=now,
        details={"via": via, "identified": identified, "journeys": count},
    )
    return Export(identified=identified, salt=secrets.token_bytes(16))


def filename(export: Export) -> str:
    kind = "identified" if export.identified else "pseudonymous"
    return f"journeys-{kind}-{clinic_today():%Y%m%d}.csv"


def pseudonym(mrn: str, salt: bytes) -> str:
    return hashlib.sha256(salt + mrn.encode()).hexdigest()[:16]


def age_band(birth: date, on: date) -> str:
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if age < 18:
        return "<18"
    if age >= 90:
        return "90+"
    low = age // 5 * 5
    return f"{low}-{low + 4}"


def _flag(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def outcome_values(journeys: list[Journey], templates: list[tuple[int, dict]]) -> dict:
    """``{journey id: {(instrument, timepoint): value}}`` for a batch, in one query."""
    cohort = cohort_cte([Journey.id.in_([j.id for j in journeys])], name="research_cohort")
    values = values_cte(cohort, templates, name="research_values")
    rows = db.session.execute(
        sa.select(values.c.journey_id, values.c.instrument, values.c.timepoint, values.c.value)
    )
    out: dict[int, dict] = {}
    for journey_id, instrument, timepoint, value in rows:
        out.setdefault(journey_id, {})[(instrument, timepoint)] = value
    return out


def measure_cells(measure: Measure, values: dict, definition: dict) -> list[str]:
    key = measure.key
    cells, flags = [], []
    baseline = values.get((key, "baseline"))
    for timepoint in measure.timepoints:
        value = values.get((key, timepoint))
        if is_scale(definition):
            cells.append(_number(value))
            if timepoint != "baseline":
                flags.append(_flag(mcid_reached(definition, baseline, value)))
        else:
            answer = None if value is None else int(value)
            cells.append(option_code(definition, answer) or "")
            success = None if answer is None else answer in success_values(definition)
            flags.append(_flag(success))
    return cells + flags


def journey_row(
    journey: Journey, export: Export, number: int, values: dict, definitions: dict, tz
) -> list:
    patient, template = journey.patient, journey.template
    surgery_day = journey.surgery_at.astimezone(tz).date() if journey.surgery_at else None

    def days(value: date | None) -> str:
        return "" if value is None or surgery_day is None else str((value - surgery_day).days)

    went_home = journey.discharged_at
    row = [
        pseudonym(patient.mrn, export.salt),
        number,
        template.slug,
        template.version,
        journey.condition,
        journey.levels,
        journey.side,
        journey.approach,
        journey.anesthesia,
        journey.status,
        journey.stage,
        patient.sex,
        age_band(patient.birth_date, surgery_day or journey.consultation_date),
        days(journey.consultation_date),
        days(journey.ended_at.astimezone(tz).date() if journey.ended_at else None),
        days(went_home.astimezone(tz).date() if went_home else None),
        f"{(went_home - journey.surgery_at).total_seconds() / 3600:.1f}"
        if went_home and journey.surgery_at
        else "",
    ]
    if export.identified:
        birth = patient.birth_date.isoformat()
        row[2:2] = [journey.id, patient.mrn, patient.given_name, patient.family_name, birth]
    for measure in MEASURES:
        row += measure_cells(measure, values, definitions[measure.key])
    return row


def rows(export: Export) -> Iterator[list]:
    """The header, then one row per journey, in pseudonym order.

    Rows are made a batch of journeys at a time; they are sorted before they leave, since the
    database's order (patients as registered) could help tell who a row is.
    """
    yield columns(export.identified)
    sql.prepare()
    tz = clinic_tz()
    definitions = catalogue.definitions(m.key for m in MEASURES)
    templates = [
        (row.id, row.definition)
        for row in db.session.execute(sa.select(PathwayTemplate.id, PathwayTemplate.definition))
    ]
    query = (
        sa.select(Journey)
        .options(joinedload(Journey.patient), joinedload(Journey.template))
        .order_by(Journey.patient_id, Journey.started_at, Journey.id)
        .execution_options(yield_per=BATCH)
    )
    made = []
    current, number = None, 0
    for batch in db.session.scalars(query).partitions():
        journeys = list(batch)
        values = outcome_values(journeys, templates)
        for journey in journeys:
            number = number + 1 if journey.patient_id == current else 1
            current = journey.patient_id
            mine = values.get(journey.id, {})
            made.append(journey_row(journey, export, number, mine, definitions, tz))
    made.sort(key=lambda row: (row[0], row[1]))
    yield from made


def csv_text(export: Export) -> Iterator[str]:
    """The CSV as UTF-8 text chunks, starting with a byte-order mark (spreadsheets need it)."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows(export):
        writer.writerow(row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
