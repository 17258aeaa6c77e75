"""The outcomes CSV opens in a spreadsheet: UTF-8 with a BOM, a header, one row per journey."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import NOW
from tests.outcomes.conftest import ODI_28, ODI_60, surgery_day
from tests.web.conftest import Browser
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.outcomes.export import BOM, columns, lines
from tracker.outcomes.report import ReportFilters


def read(filters: ReportFilters | None = None) -> tuple[str, list[dict]]:
    text = "".join(lines(filters or ReportFilters(), now=NOW))
    return text, list(csv.DictReader(io.StringIO(text.removeprefix(BOM), newline="")))


def test_one_row_per_journey_with_its_values(operated, answer, check_in, make_patient):
    patient = make_patient(mrn="=HYPERLINK(1)", given_name="Ni Made", family_name="Sudarsana")
    first = operated(60, patient=patient, levels="L4-L5, L5-S1")
    answer(first, "odi", ODI_60, at=first.surgery_at - timedelta(days=2))
    answer(first, "leg_pain", [8], at=first.surgery_at - timedelta(days=2))
    answer(first, "odi", ODI_28, at=first.surgery_at + timedelta(days=43))
    answer(first, "global_change", [2], at=first.surgery_at + timedelta(days=43))
    check_in(first, surgery_day(first) + timedelta(days=14), 3, 5)
    second = operated(30, stay_hours=30)
    db.session.commit()

    text, rows = read()
    assert text.startswith(BOM + "journey_id,mrn,pathway,")
    assert "\r\n" in text and text.count("\r\n") == 3  # header and two rows
    assert [r["journey_id"] for r in rows] == [str(first.id), str(second.id)]  # by surgery date
    row = rows[0]
    assert list(row) == columns()
    assert row["mrn"] == "'=HYPERLINK(1)"  # never run as a formula
    assert row["levels"] == "L4-L5, L5-S1"  # the comma stays inside its cell
    assert (row["pathway"], row["pathway_version"], row["condition"]) == (
        "teld",
        "1",
        "herniated_disc",
    )
    assert row["surgery_date"] == str(surgery_day(first))
    assert row["same_day_discharge"] == "yes" and rows[1]["same_day_discharge"] == "no"
    assert (row["odi_baseline"], row["odi_6w"], row["odi_mcid_6w"]) == ("60", "28", "yes")
    assert (row["leg_pain_baseline"], row["leg_pain_2w"], row["leg_pain_mcid_2w"]) == (
        "8",
        "5",
        "yes",
    )
    assert row["global_change_6w"] == "2"
    assert row["questionnaires_complete_6w"] == "no"  # back and leg pain not answered
    assert row["questionnaires_complete_baseline"] == "no"
    assert row["odi_3m"] == "" and row["odi_mcid_3m"] == ""
    assert rows[1]["odi_baseline"] == ""
    assert (row["red_flag_alerts"], row["theatre_returns"]) == ("0", "0")


def test_an_empty_cohort_is_a_header(app, instruments):
    text, rows = read(ReportFilters(pathway="teld"))
    assert rows == [] and text == BOM + ",".join(columns()) + "\r\n"


def test_the_download_is_audited(client, coordinator, operated, clock):
    operated(60)
    browser = Browser(client)
    browser.sign_in(coordinator)
    response = client.get("/reports/outcomes.csv?pathway=teld")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="outcomes-teld-'
    )
    assert response.get_data().startswith(BOM.encode("utf-8"))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "outcomes.export"))
    assert event.actor_id == coordinator.id and event.details == {"pathway": "teld"}
