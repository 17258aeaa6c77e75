"""The research CSV: one row per journey, pseudonymous, with scores at fixed timepoints.

Pseudonyms are a salted SHA-256 of the MRN with a new random salt for every export, so one
export's rows cannot be linked to another's (nor to the MRN). Names, MRNs and exact dates never
appear unless an administrator asks for identified data; dates are days from surgery.

Scores over time are :class:`Measure` objects: each gives one column per timepoint and one
MCID flag per follow-up timepoint. Pain (back and leg) is here; the outcomes work adds its PROM
scores (ODI, …) by appending a Measure to :data:`MEASURES`.
"""

import csv
import hashlib
import io
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.clock import clinic_today
from tracker.db import db
from tracker.journeys.models import Journey
from tracker.portal.models import CheckIn
from tracker.timeutil import clinic_tz

BATCH = 500


@dataclass(frozen=True)
class Timepoint:
    name: str
    #: the day after surgery aimed at, and the window (inclusive) a score may come from
    day: int
    first: int
    last: int


FOLLOW_UPS = (
    Timepoint("2w", 14, 10, 18),
    Timepoint("6w", 42, 35, 49),
    Timepoint("3m", 90, 76, 104),
    Timepoint("12m", 365, 335, 395),
)


@dataclass(frozen=True)
class Score:
    #: the patient's local date the score is about
    day: date
    at: datetime
    value: float


@dataclass(frozen=True)
class Measure:
    """A score followed over time: ``<name>_baseline``, ``<name>_2w``, …, ``<name>_mcid_2w``, …

    The baseline is the last score recorded before surgery; a timepoint takes the score closest
    to its day within its window.
    """

    name: str
    #: ``journeys -> {journey id: [Score, …]}``, one query for a batch of journeys
    load: Callable[[list[Journey]], dict[int, list[Score]]]
    #: ``(baseline, value) -> bool | None``: a minimal clinically important improvement
    mcid: Callable[[float, float], bool | None]


def pain_mcid(baseline: float, value: float) -> bool | None:
    """NRS 0-10: 2 points or 30 % lower than baseline (Ostelo 2008; CLINICAL.md)."""
    if baseline <= 0:
        return None  # nothing to improve on
    drop = baseline - value
    return drop >= 2 or drop / baseline >= 0.30


def _pain_loader(site: str) -> Callable[[list[Journey]], dict[int, list[Score]]]:
    column = getattr(CheckIn, f"{site}_pain")

    def load(journeys: list[Journey]) -> dict[int, list[Score]]:
        rows = db.session.execute(
            sa.select(CheckIn.journey_id, CheckIn.day, CheckIn.recorded_at, column)
            .where(CheckIn.journey_id.in_([j.id for j in journeys]))
            .order_by(CheckIn.recorded_at)
        )
        scores: dict[int, list[Score]] = {}
        for journey_id, day, at, value in rows:
            scores.setdefault(journey_id, []).append(Score(day, at, value))
        return scores

    return load


#: every score the CSV follows, in column order
MEASURES: list[Measure] = [
    Measure("back_pain", _pain_loader("back"), pain_mcid),
    Measure("leg_pain", _pain_loader("leg"), pain_mcid),
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
        names += [f"{measure.name}_baseline"] + [f"{measure.name}_{t.name}" for t in FOLLOW_UPS]
        names += [f"{measure.name}_mcid_{t.name}" for t in FOLLOW_UPS]
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


def start_export(user: StaffUser, *, identified: bool, now: datetime) -> Export:
    """Record the export (who, identified or not) and make its salt. The caller checks roles."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Journey))
    record(
        "export.journeys_csv",
        JourneysCsv(identified),
        actor=user,
        now=now,
        details={"identified": identified, "journeys": count},
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


def _follow_up(scores: list[Score], surgery_day: date, point: Timepoint) -> float | None:
    inside = [s for s in scores if point.first <= (s.day - surgery_day).days <= point.last]
    if not inside:
        return None
    return min(inside, key=lambda s: (abs((s.day - surgery_day).days - point.day), s.at)).value


def measure_cells(measure: Measure, scores: list[Score], journey: Journey) -> list[str]:
    cells = 1 + 2 * len(FOLLOW_UPS)
    if journey.surgery_at is None:
        return [""] * cells
    surgery_day = journey.surgery_at.astimezone(ZoneInfo(journey.patient.timezone)).date()
    before = [s for s in scores if s.at < journey.surgery_at]
    baseline = before[-1].value if before else None
    values = [_follow_up(scores, surgery_day, point) for point in FOLLOW_UPS]
    flags = [
        measure.mcid(baseline, value) if baseline is not None and value is not None else None
        for value in values
    ]
    return [_number(baseline)] + [_number(v) for v in values] + [_flag(f) for f in flags]


def journey_row(journey: Journey, export: Export, number: int, scores: dict, tz) -> list:
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
        row += measure_cells(measure, scores[measure.name].get(journey.id, []), journey)
    return row


def rows(export: Export) -> Iterator[list]:
    """The header, then one row per journey, in pseudonym order.

    Rows are made a batch of journeys at a time; they are sorted before they leave, since the
    database's order (patients as registered) could help tell who a row is.
    """
    yield columns(export.identified)
    tz = clinic_tz()
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
        scores = {measure.name: measure.load(journeys) for measure in MEASURES}
        for journey in journeys:
            number = number + 1 if journey.patient_id == current else 1
            current = journey.patient_id
            made.append(journey_row(journey, export, number, scores, tz))
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
