"""PROM scores in the research CSV: the outcomes services' values at each timepoint, MCID and
success flags, and the download button on the outcomes report."""

import csv
import io
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import NOW
from tests.fhir.conftest import at
from tests.web.conftest import Browser
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.exports.research import MEASURES, columns, measure_columns
from tracker.outcomes.services import Submission, record_submissions

URL = "/api/v1/exports/journeys.csv"


def _rows(client, headers) -> list[dict]:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_prom_columns_are_documented_in_the_readme():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Research CSV.**", 1)[1].split("## Configuration", 1)[0]
    for measure in MEASURES:
        assert f"`{measure.key}" in section, measure.key
    assert measure_columns(MEASURES[2]) == [
        "odi_baseline",
        "odi_6w",
        "odi_3m",
        "odi_12m",
        "odi_mcid_6w",
        "odi_mcid_3m",
        "odi_mcid_12m",
    ]
    assert "global_change_success_6w" in columns(identified=False)
    assert "macnab_3m" in columns(identified=False)


def test_odi_global_change_and_flags_at_each_timepoint(client, api_headers, proms):
    proms()
    [row] = _rows(client, api_headers())
    assert (row["odi_baseline"], row["odi_6w"], row["odi_3m"]) == ("60", "28.9", "")
    assert (row["odi_mcid_6w"], row["odi_mcid_3m"]) == ("1", "")
    assert (row["global_change_6w"], row["global_change_success_6w"]) == ("much_improved", "1")
    assert row["macnab_3m"] == row["macnab_success_3m"] == ""
    # Pain as before: the baseline questionnaire, then the check-in nearest to day 14.
    assert (row["back_pain_baseline"], row["leg_pain_baseline"]) == ("6", "8")
    assert (row["leg_pain_2w"], row["leg_pain_mcid_2w"]) == ("0", "1")


def test_a_small_gain_is_no_mcid_and_a_poor_rating_no_success(
    client, api_headers, operated, coordinator
):
    journey = operated()
    for instrument, answers, day, timepoint in (
        ("odi", [3] * 10, -5, "baseline"),
        ("odi", [3, 3, 3, 3, 3, 3, 3, 2, 2, 2], 42, "6w"),  # 60 -> 54: under 10 points, 30 %
        ("global_change", [4], 42, "6w"),
    ):
        record_submissions(
            journey,
            [Submission(instrument, answers, at(day), timepoint)],
            source="paper",
            actor=coordinator,
            now=max(at(day), NOW),
        )
    db.session.commit()
    [row] = _rows(client, api_headers())
    assert (row["odi_6w"], row["odi_mcid_6w"]) == ("54", "0")
    assert (row["global_change_6w"], row["global_change_success_6w"]) == ("no_change", "0")


def test_the_outcomes_report_has_a_research_csv_button(client, coordinator, proms):
    proms()
    browser = Browser(client)
    assert browser.sign_in(coordinator).status_code == 302
    page = client.get("/reports/outcomes").get_data(as_text=True)
    assert 'href="/exports/journeys.csv"' in page
    response = client.get("/exports/journeys.csv")
    assert response.status_code == 200
    assert "odi_6w" in response.get_data(as_text=True)
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export.journeys_csv")
    ).all()
    assert (event.kind, event.actor_id, event.details["via"]) == ("read", coordinator.id, "web")
    assert client.get("/exports/journeys.csv?identified=1").status_code == 403
