"""What every part of the generator shares: the clinic's facts, row ids, and the rows made.

The context is plain data (it crosses into worker processes). Ids are handed out in fixed
blocks per patient and per journey, so that any worker can generate any patient without asking
the others: patient ``i``'s second journey, its tasks and its reminders always get the same ids.
Gaps between blocks are harmless (sequences are moved past the highest id afterwards).
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from tracker.timeutil import at_local

#: journeys a patient may have (a second one after a recurrence or a cancelled first try)
JOURNEYS_PER_PATIENT = 2
#: ids reserved per journey (or per patient, for the audit trail) in each table
BLOCKS = {
    "journeys": 1,
    "tasks": 32,
    "appointments": 16,
    "stage_transitions": 16,
    "notes": 4,
    "reminders": 192,
    "portal_invitations": 2,
    "portal_check_ins": 48,
    "portal_milestones": 16,
    "portal_alerts": 8,
    "conversations": 2,
    "messages": 8,
}
AUDIT_BLOCK = 384  # per patient
TABLES = ("patients", "audit_events", *BLOCKS)


@dataclass(frozen=True)
class Person:
    """A staff member as the generated rows name them."""

    id: int
    name: str


@dataclass(frozen=True)
class Pathway:
    key: str  # "teld" or "il"
    id: int
    slug: str
    version: int
    name: str
    definition: dict


@dataclass
class Context:
    now: datetime
    seed: int
    patients: int
    span_days: int
    clinic_tz: str
    pathways: dict[str, Pathway]
    coordinators: list[Person]
    surgeons: dict[str, list[Person]]
    #: the first id of each table's generated rows
    bases: dict[str, int]
    #: clinic name and phone, portal link, quiet hours, on-duty address: what messages need
    config: dict[str, Any]
    #: journeys discharged this many days back (and today) get real discharge sheets
    sheet_days: int = 7

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.clinic_tz)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def at(self, day: date, clock: str, minutes: int = 0) -> datetime:
        """The UTC instant of a clinic wall-clock time on ``day``."""
        return _at(day, clock, self.clinic_tz) + timedelta(minutes=minutes)

    def patient_id(self, index: int) -> int:
        return self.bases["patients"] + index

    def journey_slot(self, index: int, number: int) -> int:
        return index * JOURNEYS_PER_PATIENT + number


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=200_000)
def _at(day: date, clock: str, tz: str) -> datetime:
    return at_local(day, time.fromisoformat(clock), _zone(tz))


def zone(name: str) -> ZoneInfo:
    return _zone(name)


def local_at(day: date, clock: str, tz_name: str) -> datetime:
    """The UTC instant of a wall-clock time ``clock`` on ``day`` in zone ``tz_name`` (cached)."""
    return _at(day, clock, tz_name)


class Block:
    """Consecutive ids of one table for one journey (or patient)."""

    def __init__(self, first: int, size: int, table: str):
        self.next, self.end, self.table = first, first + size, table

    def take(self) -> int:
        if self.next >= self.end:
            raise RuntimeError(f"more {self.table} rows than the generator reserves ids for")
        self.next += 1
        return self.next - 1


@dataclass
class Rows:
    """The rows made for a group of patients, per table, as dicts of column values."""

    tables: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    #: (journey id, "issue" or "draft", when): discharge sheets made afterwards by the services
    sheets: list[tuple[int, str, datetime]] = field(default_factory=list)

    def add(self, table: str, **values) -> dict:
        """Add a row; the dict returned is the row (changing it changes what is written)."""
        self.tables[table].append(values)
        return values

    def keep(self, table: str, row: dict) -> dict:
        self.tables[table].append(row)
        return row


class Ledger:
    """One journey's id blocks and its patient's audit block."""

    def __init__(self, ctx: Context, index: int, number: int, audit: Block):
        slot = ctx.journey_slot(index, number)
        self.journey_id = ctx.bases["journeys"] + slot
        self.blocks = {
            table: Block(ctx.bases[table] + slot * size, size, table)
            for table, size in BLOCKS.items()
            if table != "journeys"
        }
        self.audit = audit

    def id(self, table: str) -> int:
        return self.blocks[table].take()


def audit_block(ctx: Context, index: int) -> Block:
    return Block(ctx.bases["audit_events"] + index * AUDIT_BLOCK, AUDIT_BLOCK, "audit_events")


class JsonText(str):
    """A JSON column's value already serialised (the writer passes it through)."""


def _iso_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()  # as ``tracker.audit.services`` stores dates and instants
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_text(value: Any) -> JsonText:
    return JsonText(json.dumps(value, default=_iso_default))


@lru_cache(maxsize=1024)
def _titles_text(key: tuple) -> JsonText:
    return json_text(dict(key))


def titles_json(titles: dict) -> JsonText:
    """A task's ``{"en": …, "id": …}`` titles as JSON, made once per template task."""
    return _titles_text(tuple(titles.items()))


def audit(
    rows: Rows,
    block: Block,
    at: datetime,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    actor: Person | None,
    patient_id: int,
    details: dict | None = None,
    label: str | None = None,
    kind: str | None = None,
) -> None:
    """An audit event as ``record`` writes it (``kind="read"``: as ``record_read`` does);
    ``label`` names an actor who is no staff user (e.g. "patient portal")."""
    row = rows.add(
        "audit_events",
        id=block.take(),
        at=at,
        actor_id=actor.id if actor else None,
        actor_label=label or (actor.name if actor else "system"),
        action=action,
        patient_id=patient_id,
        object_type=object_type,
        object_id=object_id,
        details=json_text(details or {}),
    )
    if kind is not None:
        row["kind"] = kind


@dataclass
class Life:
    """What happens to one journey, decided up front; times after ``now`` have not happened."""

    id: int
    patient_id: int
    patient: dict
    pathway: Pathway
    coordinator: Person
    surgeon: Person
    consult_day: date
    started_at: datetime
    surgery_at: datetime | None = None
    #: when the surgery became known (the start, or a booking afterwards)
    booked_at: datetime | None = None
    stay: int = 0
    went_home: datetime | None = None
    #: (from stage, to stage, at, by, reason, override) that have happened
    transitions: list[tuple] = field(default_factory=list)
    stage: str = "consultation"
    status: str = "active"
    ended_at: datetime | None = None
    cancel_reason: str | None = None
    discharged_at: datetime | None = None
    #: the journey's appointments as rows (dicts), kept for reminders and the portal
    appointments: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    tz: ZoneInfo | None = None
    #: the portal invitation row, and the one of the patient's previous journey (it is replaced)
    invitation: dict | None = None
    previous_invitation: dict | None = None

    @property
    def definition(self) -> dict:
        return self.pathway.definition

    @property
    def minutes(self) -> int:
        return int(self.definition.get("procedure_minutes", 90))

    @property
    def surgery_day(self) -> date | None:
        return self.surgery_at.astimezone(self.tz).date() if self.surgery_at else None

    def anchor_day(self, anchor: str) -> date | None:
        """The anchor as planning sees it (the planned stay, as tasks' due dates use)."""
        if anchor == "consultation":
            return self.consult_day
        if self.surgery_day is None:
            return None
        planned = int(self.definition.get("planned_stay_days", 0))
        return self.surgery_day + timedelta(days=planned if anchor == "discharge" else 0)

    def stage_exit(self, stage: str) -> datetime | None:
        for from_stage, _to, at, *_ in self.transitions:
            if from_stage == stage:
                return at
        return None
