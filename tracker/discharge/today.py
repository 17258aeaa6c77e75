"""Today's discharges: who goes home today, whose sheet is signed off, and the day's batch.

A patient goes home today when they went home today (clinic time), or have not gone home yet
and their pathway's planned stay ends today. The page runs the same few statements however busy
the clinic is: journeys, their appointments, latest sheets and drafts each in one query.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.discharge import content as sheet_content
from tracker.discharge.models import DischargeBatch, DischargeDraft, DischargeSheet
from tracker.errors import Conflict
from tracker.i18n import gettext as _
from tracker.journeys.models import Appointment, Journey
from tracker.pathways.models import PathwayTemplate
from tracker.timeutil import at_local, clinic_tz, local_date


@dataclass
class Leaving:
    """One patient going home today, and where their discharge sheet stands."""

    journey: Journey
    #: the latest issued (signed-off) version, if any
    sheet: DischargeSheet | None
    draft: DischargeDraft | None
    #: facts without which not even a draft can be printed
    missing: list[str]

    @property
    def signed(self) -> bool:
        return self.sheet is not None

    @property
    def draft_printable(self) -> bool:
        return self.sheet is None and not self.missing


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = clinic_tz()
    return at_local(day, time(0), tz), at_local(day + timedelta(days=1), time(0), tz)


def going_home(today: date) -> list[Journey]:
    """Journeys (not cancelled) whose discharge day, in clinic time, is ``today``."""
    # Few, and kept in hand until the journeys below have found theirs in the session (which
    # only holds objects someone refers to): no query, and no decoding of each definition once
    # per row, as a join would.
    templates = db.session.scalars(sa.select(PathwayTemplate)).all()
    stays: dict[int, list[int]] = {}
    for template in templates:
        stay = int(template.definition.get("planned_stay_days", 0))
        stays.setdefault(stay, []).append(template.id)
    start, end = _day_bounds(today)
    # Planned to go today, one condition per planned stay, each a range of surgery dates read
    # from their index. Whether the journey is still here is left to the check below: asked in
    # SQL ("discharged_at IS NULL"), SQLite read it from the discharge index instead, i.e. every
    # journey not yet discharged (8 ms at 100k patients); those already gone are at most a
    # day's operations.
    planned = [
        sa.and_(
            Journey.template_id.in_(ids),
            Journey.surgery_at >= start - timedelta(days=stay),
            Journey.surgery_at < end - timedelta(days=stay),
        )
        for stay, ids in stays.items()
    ]
    went_home = sa.and_(Journey.discharged_at >= start, Journey.discharged_at < end)
    journeys = db.session.scalars(
        sa.select(Journey)
        .where(Journey.status != "cancelled", sa.or_(went_home, *planned))
        .options(joinedload(Journey.patient), joinedload(Journey.surgeon))
        .order_by(Journey.surgery_at, Journey.id)
    ).all()
    # The SQL above is the index-friendly form; this is the definition itself.
    tz = clinic_tz()
    leaving = [j for j in journeys if j.anchor_date("discharge", tz) == today]
    del templates  # each journey holds its own now
    return leaving


def latest_sheets(journey_ids: list[int]) -> dict[int, DischargeSheet]:
    """The latest issued version of each journey's sheet (without its HTML), by journey id."""
    if not journey_ids:
        return {}
    newest = (
        sa.select(DischargeSheet.journey_id, sa.func.max(DischargeSheet.version).label("v"))
        .where(DischargeSheet.journey_id.in_(journey_ids))
        .group_by(DischargeSheet.journey_id)
        .subquery()
    )
    sheets = db.session.scalars(
        sa.select(DischargeSheet)
        .join(
            newest,
            sa.and_(
                DischargeSheet.journey_id == newest.c.journey_id,
                DischargeSheet.version == newest.c.v,
            ),
        )
        .options(
            defer(DischargeSheet.html),
            defer(DischargeSheet.content),
            joinedload(DischargeSheet.issued_by),
        )
    )
    return {sheet.journey_id: sheet for sheet in sheets}


def drafts(journey_ids: list[int]) -> dict[int, DischargeDraft]:
    if not journey_ids:
        return {}
    rows = db.session.scalars(
        sa.select(DischargeDraft).where(DischargeDraft.journey_id.in_(journey_ids))
    )
    return {draft.journey_id: draft for draft in rows}


def _with_appointments(journeys: list[Journey]) -> None:
    """Load the appointments of ``journeys`` in one statement (the others never need theirs)."""
    ids = [j.id for j in journeys]
    booked: dict[int, list[Appointment]] = {i: [] for i in ids}
    for appointment in db.session.scalars(
        sa.select(Appointment)
        .where(Appointment.journey_id.in_(ids))
        .order_by(Appointment.starts_at)
    ):
        booked[appointment.journey_id].append(appointment)
    for journey in journeys:
        set_committed_value(journey, "appointments", booked[journey.id])


def overview(now: datetime) -> list[Leaving]:
    """Everyone going home today with their sheet: signed off, a draft waiting, or nothing."""
    journeys = going_home(local_date(now, clinic_tz()))
    ids = [j.id for j in journeys]
    sheets, waiting = latest_sheets(ids), drafts(ids)
    # Only a sheet not signed off yet needs the journey's facts checked (its follow-ups).
    _with_appointments([j for j in journeys if j.id not in sheets])
    return [
        Leaving(
            journey=j,
            sheet=sheets.get(j.id),
            draft=waiting.get(j.id),
            missing=[] if j.id in sheets else sheet_content.missing_facts(j, now),
        )
        for j in journeys
    ]


@dataclass
class BatchPlan:
    #: what the PDF holds, in print order: (journey, issued sheet, or None for its draft)
    items: list[tuple[Journey, DischargeSheet | None]]
    #: who is not in it, and why
    left_out: list[tuple[Journey, str]]


def plan_batch(now: datetime, *, include_drafts: bool = False) -> BatchPlan:
    """Today's batch: every signed-off sheet; drafts (marked DRAFT) only when asked for."""
    items, left_out = [], []
    for leaving in overview(now):
        if leaving.signed:
            items.append((leaving.journey, leaving.sheet))
        elif leaving.missing:
            left_out.append((leaving.journey, sheet_content.missing_message(leaving.missing)))
        elif include_drafts:
            items.append((leaving.journey, None))
        else:
            left_out.append((leaving.journey, _("Not signed off yet (the draft is left out).")))
    return BatchPlan(items, left_out)


def start_batch(
    *, size: str, include_drafts: bool, actor: StaffUser, now: datetime
) -> DischargeBatch:
    """A batch of today's sheets to be prepared in the background (see ``discharge.jobs``)."""
    plan = plan_batch(now, include_drafts=include_drafts)
    if not plan.items:
        raise Conflict(
            _("No discharge sheet of today's patients is signed off yet.")
            if not include_drafts
            else _("No discharge sheet can be printed for today.")
        )
    batch = DischargeBatch(
        day=local_date(now, clinic_tz()),
        size=size,
        include_drafts=include_drafts,
        items=[
            {"journey_id": journey.id, "sheet_id": sheet.id if sheet else None}
            for journey, sheet in plan.items
        ],
        status="queued",
        total=len(plan.items),
        done=0,
        created_at=now,
        updated_at=now,
        created_by_id=actor.id,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def record_download(batch: DischargeBatch, *, actor: StaffUser, now: datetime) -> None:
    """The batch left the building: one ``discharge.download`` event per sheet in it."""
    ids = [item["journey_id"] for item in batch.items]
    journeys = {j.id: j for j in db.session.scalars(sa.select(Journey).where(Journey.id.in_(ids)))}
    sheet_ids = [item["sheet_id"] for item in batch.items if item["sheet_id"]]
    sheets = {
        sheet.id: sheet
        for sheet in db.session.scalars(
            sa.select(DischargeSheet)
            .where(DischargeSheet.id.in_(sheet_ids))
            .options(defer(DischargeSheet.html), defer(DischargeSheet.content))
        )
    }
    for item in batch.items:
        journey = journeys[item["journey_id"]]
        sheet = sheets.get(item["sheet_id"])
        record(
            "discharge.download",
            sheet or journey,
            actor=actor,
            patient_id=journey.patient_id,
            now=now,
            details={
                "version": sheet.version if sheet else None,
                "draft": sheet is None,
                "size": batch.size,
                "batch": True,
            },
        )
