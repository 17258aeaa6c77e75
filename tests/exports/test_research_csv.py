"""The research CSV: pseudonymous rows, days from surgery, pain at timepoints, MCID flags."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.exports.research import age_band, columns
from tracker.journeys.services import cancel

URL = "/api/v1/exports/journeys.csv"


def _rows(client, headers, query="") -> list[dict]:
    response = client.get(URL + query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so spreadsheets read it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_one_pseudonymous_row_per_journey_with_pain_at_timepoints(client, api_headers, operated):
    journey = operated(mrn="RM-5150", given_name="Ayu", family_name="Lestari")
    response = client.get(URL, headers=api_headers())
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    for secret in ("RM-5150", "Ayu", "Lestari", "1970-05-17", "2026-10-15"):
        assert secret not in text
    [row] = list(csv.DictReader(io.StringIO(text[1:])))
    assert list(row) == columns(identified=False)
    assert len(row["patient_pid"]) == 16
    assert row["journey_number"] == "1"
    assert (row["pathway"], row["pathway_version"], row["condition"]) == (
        "teld",
        "1",
        "herniated_disc",
    )
    assert (row["levels"], row["side"], row["sex"], row["age_band"]) == (
        "L4-L5",
        "left",
        "female",
        "55-59",
    )
    assert (row["status"], row["stage"]) == ("active", "follow_up")
    assert row["consultation_day"] == "-14"
    assert (row["stay_nights"], row["stay_hours"], row["end_day"]) == ("0", "6.0", "")
    assert (row["leg_pain_baseline"], row["back_pain_baseline"]) == ("8", "6")
    assert (row["leg_pain_2w"], row["back_pain_2w"]) == ("0", "3")
    assert (row["leg_pain_mcid_2w"], row["back_pain_mcid_2w"]) == ("1", "1")
    assert row["leg_pain_6w"] == row["leg_pain_mcid_6w"] == row["leg_pain_12m"] == ""
    assert journey.id  # the row is about this journey


def test_pseudonyms_link_a_patients_journeys_but_not_two_exports(
    client, api_headers, make_journey, make_patient, coordinator, now
):
    patient = make_patient()
    first = make_journey(patient)
    cancel(first, reason="Postponed.", actor=coordinator, now=now)
    db.session.commit()
    make_journey(patient)
    make_journey()
    headers = api_headers()
    rows = _rows(client, headers)
    assert len(rows) == 3
    pids = [row["patient_pid"] for row in rows]
    assert len(set(pids)) == 2
    twice = [row for row in rows if pids.count(row["patient_pid"]) == 2]
    assert sorted(row["journey_number"] for row in twice) == ["1", "2"]
    again = {row["patient_pid"] for row in _rows(client, headers)}
    assert again.isdisjoint(pids)


def test_identified_data_only_for_an_admin_and_audited(client, api_headers, make_user, operated):
    operated(mrn="RM-5150")
    refused = client.get(URL + "?identified=true", headers=api_headers())
    assert refused.status_code == 403
    assert "administrator" in refused.get_json()["message"]
    admin = make_user("admin")
    [row] = _rows(client, api_headers(admin), "?identified=true")
    assert list(row) == columns(identified=True)
    assert (row["mrn"], row["birth_date"]) == ("RM-5150", "1970-05-17")
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export.journeys_csv")
    ).all()
    assert [(e.actor_id, e.kind, e.details["identified"], e.details["via"]) for e in events] == [
        (admin.id, "read", True, "api")
    ]


def test_a_misspelt_parameter_is_422(client, api_headers):
    response = client.get(URL + "?identifed=true", headers=api_headers())
    assert response.status_code == 422
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(1970, 5, 17), date(2026, 5, 16), "55-59"),
        (date(1970, 5, 17), date(2026, 5, 17), "55-59"),
        (date(1971, 5, 17), date(2026, 5, 16), "50-54"),
        (date(2010, 1, 1), date(2026, 1, 1), "<18"),
        (date(1930, 1, 1), date(2026, 1, 1), "90+"),
    ],
)
def test_age_bands(born, on, band):
    assert age_band(born, on) == band


def test_signed_in_staff_download_it_from_the_web_too(
    app, client, coordinator, make_user, operated
):
    operated(mrn="RM-5150")
    assert client.get("/exports/journeys.csv").status_code == 302  # to sign-in
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    client.post(
        "/sign-in",
        data={"email": coordinator.email, "password": PASSWORD, "csrf_token": token},
    )
    response = client.get("/exports/journeys.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "RM-5150" not in response.get_data(as_text=True)
    assert client.get("/exports/journeys.csv?identified=1").status_code == 403
