"""The outcomes report as CSV: one row per journey of the cohort, for a spreadsheet.

The file is UTF-8 with a byte-order mark (so Excel reads names like "Sudarsana" or "Ni Made"
right when the file is double-clicked), comma-separated, with a header row, dots as decimal
marks, ISO dates and CRLF line ends (RFC 4180). Text cells that a spreadsheet would run as a
formula (starting with =, +, - or @) get a leading apostrophe.

The rows come from one SQL query (the shared timepoint values pivoted per journey), read in
batches and written as they arrive.
"""

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime

import sqlalchemy as sa
from flask import Response, current_app, stream_with_context

from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.journeys.models import Journey
from tracker.outcomes import catalogue, sql
from tracker.outcomes.models import TIMEPOINTS, QuestionnaireResponse, TheatreReturn
from tracker.outcomes.report import ReportFilters, cohort_where, templates_for
from tracker.outcomes.scoring import mcid_reached
from tracker.outcomes.values import cohort_cte, scheduled, values_cte, windows_cte
from tracker.pathways.models import PathwayTemplate
from tracker.patients.models import Patient
from tracker.portal.models import Alert

BOM = "\ufeff"
MEASURES = ("back_pain", "leg_pain", "odi")
CATEGORIES = ("global_change", "macnab")
BATCH = 1000


def columns() -> list[str]:
    head = [
        "journey_id",
        "mrn",
        "pathway",
        "pathway_version",
        "condition",
        "levels",
        "side",
        "surgeon",
        "surgery_date",
        "discharged_at",
        "same_day_discharge",
        "journey_status",
    ]
    per_point = []
    for tp in TIMEPOINTS:
        per_point += [f"{m}_{tp}" for m in MEASURES]
        if tp != "baseline":
            per_point += [f"{c}_{tp}" for c in CATEGORIES]
            per_point += [f"{m}_mcid_{tp}" for m in MEASURES]
        per_point.append(f"questionnaires_complete_{tp}")
    return [*head, *per_point, "red_flag_alerts", "theatre_returns"]


def _query(filters: ReportFilters, now: datetime):
    templates = templates_for(filters)
    cohort = cohort_cte(cohort_where(filters, now))
    windows = windows_cte(templates)
    values = values_cte(cohort, templates)
    pivot = [
        sa.func.max(
            sa.case((sa.and_(values.c.instrument == m, values.c.timepoint == tp), values.c.value))
        ).label(f"{m}_{tp}")
        for tp in TIMEPOINTS
        for m in (*MEASURES, *CATEGORIES)
    ]
    measured = (
        sa.select(values.c.journey_id, *pivot).group_by(values.c.journey_id).subquery("measured")
    )
    r = QuestionnaireResponse
    done = (
        sa.select(
            r.journey_id, r.timepoint, sa.func.count(sa.distinct(r.instrument_key)).label("n")
        )
        .join(cohort, cohort.c.id == r.journey_id)
        .where(
            r.status == "completed",
            scheduled(templates, cohort.c.template_id, r.timepoint, r.instrument_key),
        )
        .group_by(r.journey_id, r.timepoint)
        .subquery("done")
    )
    complete = (
        sa.select(
            cohort.c.id.label("journey_id"),
            *(
                sa.func.max(
                    sa.case(
                        (
                            windows.c.timepoint == tp,
                            sa.case((done.c.n >= windows.c.n_instruments, 1), else_=0),
                        )
                    )
                ).label(f"complete_{tp}")
                for tp in TIMEPOINTS
            ),
        )
        .join(windows, sa.and_(windows.c.template_id == cohort.c.template_id))
        .outerjoin(
            done, sa.and_(done.c.journey_id == cohort.c.id, done.c.timepoint == windows.c.timepoint)
        )
        .where(windows.c.n_instruments > 0)
        .group_by(cohort.c.id)
        .subquery("complete")
    )
    alerts = (
        sa.select(Alert.journey_id, sa.func.count().label("n"))
        .where(Alert.kind == "red_flag")
        .group_by(Alert.journey_id)
        .subquery("red_flags")
    )
    returns = (
        sa.select(TheatreReturn.journey_id, sa.func.count().label("n"))
        .where(TheatreReturn.voided_at.is_(None))
        .group_by(TheatreReturn.journey_id)
        .subquery("returns")
    )
    zone = current_app.config["CLINIC_TIMEZONE"]
    return (
        sa.select(
            Journey.id.label("journey_id"),
            Patient.mrn,
            PathwayTemplate.slug.label("pathway"),
            PathwayTemplate.version.label("pathway_version"),
            Journey.condition,
            Journey.levels,
            Journey.side,
            StaffUser.name.label("surgeon"),
            Journey.surgery_at,
            Journey.discharged_at,
            (
                sql.local_day_number(Journey.discharged_at, zone)
                == sql.local_day_number(Journey.surgery_at, zone)
            ).label("same_day"),
            Journey.status,
            *(c for c in measured.c if c.name != "journey_id"),
            *(c for c in complete.c if c.name != "journey_id"),
            sa.func.coalesce(alerts.c.n, 0).label("red_flag_alerts"),
            sa.func.coalesce(returns.c.n, 0).label("theatre_returns"),
        )
        .select_from(cohort)
        .join(Journey, Journey.id == cohort.c.id)
        .join(Patient, Patient.id == Journey.patient_id)
        .join(PathwayTemplate, PathwayTemplate.id == Journey.template_id)
        .outerjoin(StaffUser, StaffUser.id == Journey.surgeon_id)
        .outerjoin(measured, measured.c.journey_id == cohort.c.id)
        .outerjoin(complete, complete.c.journey_id == cohort.c.id)
        .outerjoin(alerts, alerts.c.journey_id == cohort.c.id)
        .outerjoin(returns, returns.c.journey_id == cohort.c.id)
        .order_by(Journey.surgery_at, Journey.id)
    )


def _text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value) -> str:
    if value is None:
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def _flag(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _row(row, definitions: dict, local) -> list[str]:
    values = row._mapping
    out = [
        str(row.journey_id),
        _text(row.mrn),
        _text(row.pathway),
        str(row.pathway_version),
        _text(row.condition),
        _text(row.levels),
        _text(row.side),
        _text(row.surgeon),
        local(row.surgery_at).date().isoformat() if row.surgery_at else "",
        local(row.discharged_at).isoformat(timespec="minutes") if row.discharged_at else "",
        _flag(row.same_day) if row.discharged_at else "",
        row.status,
    ]
    for tp in TIMEPOINTS:
        out += [_number(values.get(f"{m}_{tp}")) for m in MEASURES]
        if tp != "baseline":
            out += [_number(values.get(f"{c}_{tp}")) for c in CATEGORIES]
            for m in MEASURES:
                reached = mcid_reached(
                    definitions[m], values.get(f"{m}_baseline"), values.get(f"{m}_{tp}")
                )
                out.append(_flag(reached))
        out.append(_flag(values.get(f"complete_{tp}")))
    out += [str(row.red_flag_alerts), str(row.theatre_returns)]
    return out


def lines(filters: ReportFilters, *, now: datetime) -> Iterator[str]:
    """The CSV text, a batch of rows at a time (the first chunk starts with the BOM)."""
    sql.prepare()
    definitions = catalogue.definitions(MEASURES)
    zone = sql.zone_info(current_app.config["CLINIC_TIMEZONE"])

    def local(instant: datetime) -> datetime:
        return instant.astimezone(zone).replace(tzinfo=None)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns())
    yield BOM + buffer.getvalue()
    result = db.session.execute(_query(filters, now).execution_options(yield_per=BATCH))
    for rows in result.partitions():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_row(row, definitions, local) for row in rows)
        yield buffer.getvalue()


def filename(filters: ReportFilters, today: date) -> str:
    # The pathway filter is whatever was asked for: only a slug's letters go into a header.
    pathway = re.sub(r"[^A-Za-z0-9_-]", "", filters.pathway or "") or "all"
    return "-".join(["outcomes", pathway, today.isoformat()]) + ".csv"


def response(filters: ReportFilters, *, now: datetime, today: date) -> Response:
    """The CSV as a download, written while it is read."""
    out = Response(stream_with_context(lines(filters, now=now)), mimetype="text/csv")
    out.headers["Content-Type"] = "text/csv; charset=utf-8"
    out.headers["Content-Disposition"] = f'attachment; filename="{filename(filters, today)}"'
    out.headers["Cache-Control"] = "private, no-store"
    return out
