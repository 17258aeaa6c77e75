"""The fixed outcomes API: record a questionnaire, read a journey's outcome, the report and CSV."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import NOW
from tests.outcomes.conftest import ODI_28, ODI_60
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.outcomes.models import QuestionnaireResponse


def post(client, headers, journey, body, **extra):
    return client.post(
        f"/api/v1/journeys/{journey.id}/questionnaire-responses",
        json=body,
        headers=headers,
        **extra,
    )


def iso(instant) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def test_post_an_odi_returns_its_score_and_band(client, api_headers, operated, coordinator, clock):
    journey = operated(50)
    headers = api_headers()
    body = {
        "instrument": "odi",
        "answers": ODI_60,
        "completed_at": iso(journey.surgery_at - timedelta(days=2)),
        "timepoint": "baseline",
    }
    response = post(client, headers, journey, body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert (data["score"], data["band"], data["timepoint"]) == (60.0, "severe", "baseline")
    assert data["instrument"] == "odi" and data["instrument_version"] == 1
    assert (data["entered_by"], data["entered_by_id"], data["source"]) == (
        "staff",
        coordinator.id,
        "api",
    )
    assert [a["value"] for a in data["answers"]] == ODI_60
    assert data["answers"][0]["item"] == "pain_intensity"

    # One item unanswered: divided by 45; two: not scored (201 all the same, score null).
    one_missing = {**body, "answers": [3] * 9 + [None], "timepoint": None}
    one_missing["completed_at"] = iso(journey.surgery_at + timedelta(days=40))
    scored = post(client, headers, journey, one_missing).get_json()
    assert (scored["score"], scored["band"], scored["timepoint"]) == (60.0, "severe", "6w")
    two = {**one_missing, "answers": [3] * 8 + [None, None]}
    unscored = post(client, headers, journey, two)
    assert unscored.status_code == 201
    assert (unscored.get_json()["score"], unscored.get_json()["band"]) == (None, None)
    assert unscored.get_json()["missing"] == 2


def test_a_value_outside_the_options_is_refused_naming_the_item(
    client, api_headers, operated, clock
):
    journey = operated(50)
    body = {
        "instrument": "odi",
        "answers": [3, 3, 3, 7, 3, 3, 3, 3, 3, 3],
        "completed_at": iso(journey.surgery_at + timedelta(days=40)),
        "timepoint": "6w",
    }
    response = post(client, api_headers(), journey, body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert list(errors) == ["answers[3]"]
    assert "Item 4 (Walking): 7 is not an answer" in errors["answers[3]"][0]
    for bad, field in (
        ({"answers": [3] * 9}, "answers"),
        ({"answers": ["3"] * 10}, "answers[0]"),
        ({"answers": [True] + [3] * 9}, "answers[0]"),
        ({"instrument": "sf36"}, "instrument"),
        ({"timepoint": "9w"}, "timepoint"),
        ({"timepoint": "baseline"}, "timepoint"),  # answered after the operation
        ({"completed_at": iso(NOW + timedelta(days=3))}, "completed_at"),
        ({"completed_at": "2026-12-01"}, "completed_at"),
    ):
        response = post(client, api_headers(), journey, {**body, "answers": ODI_28, **bad})
        assert response.status_code == 422, (bad, response.get_json())
        assert field in response.get_json()["errors"]["json"], (bad, response.get_json())
    # Nothing was stored by any of them.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionnaireResponse)) == 0


def test_access_idempotency_and_missing_journeys(client, api_headers, operated, make_user, clock):
    journey = operated(50)
    body = {
        "instrument": "leg_pain",
        "answers": [4],
        "completed_at": iso(journey.surgery_at + timedelta(days=41)),
        "timepoint": "6w",
    }
    assert post(client, {}, journey, body).status_code == 401
    admin = api_headers(make_user("admin"))
    assert post(client, admin, journey, body).status_code == 403
    missing = client.post(
        "/api/v1/journeys/999999/questionnaire-responses", json=body, headers=api_headers()
    )
    assert missing.status_code == 404
    headers = {**api_headers(), "Idempotency-Key": "tool-7f3a"}
    first = post(client, headers, journey, body)
    again = post(client, headers, journey, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionnaireResponse)) == 1
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "questionnaire.complete")
    )
    assert event.details["instrument"] == "leg_pain v1" and event.details["score"] == 4.0


def test_a_journeys_outcomes(client, api_headers, operated, answer, clock):
    journey = operated(60)
    answer(journey, "odi", ODI_60, at=journey.surgery_at - timedelta(days=3))
    answer(journey, "leg_pain", [8], at=journey.surgery_at - timedelta(days=3))
    answer(journey, "odi", ODI_28, at=journey.surgery_at + timedelta(days=43))
    answer(journey, "leg_pain", [7], at=journey.surgery_at + timedelta(days=43))
    response = client.get(f"/api/v1/journeys/{journey.id}/outcomes", headers=api_headers())
    assert response.status_code == 200
    body = response.get_json()
    odi = body["instruments"]["odi"]
    assert odi["baseline"]["score"] == 60.0 and odi["baseline"]["timepoint"] == "baseline"
    [six] = odi["points"]
    assert {k: six[k] for k in ("timepoint", "score", "change", "mcid_reached")} == {
        "timepoint": "6w",
        "score": 28.0,
        "change": -32.0,
        "mcid_reached": True,
    }
    assert six["completed_at"].endswith("Z") and six["substantial_reached"] is True
    leg = body["instruments"]["leg_pain"]
    assert leg["points"][0]["change"] == -1.0 and leg["points"][0]["mcid_reached"] is False
    assert body["instruments"]["back_pain"] == {
        "name": "Back pain (0-10)",
        "mcid": {"points": 2, "percent": 30},
        "substantial": {"points": 2.5},
        "baseline": None,
        "points": [],
    }
    states = {s["timepoint"]: s["state"] for s in body["schedule"]}
    assert states["6w"] == "missed" and states["3m"] == "upcoming"  # 3 of 4 answered: not done
    assert client.get(f"/api/v1/journeys/{journey.id}/outcomes").status_code == 401


def test_the_report_and_csv_over_the_api(client, api_headers, operated, answer, clock):
    journey = operated(60)
    answer(journey, "odi", ODI_60, at=journey.surgery_at - timedelta(days=3))
    answer(journey, "odi", ODI_28, at=journey.surgery_at + timedelta(days=43))
    headers = api_headers()
    response = client.get("/api/v1/reports/outcomes?pathway=teld", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["patients"] == 1 and body["small_group"] is True
    six = next(t for t in body["timepoints"] if t["timepoint"] == "6w")
    assert six["odi"] == {"n": 1, "median": 28.0, "q1": 28.0, "q3": 28.0, "small": True}
    assert six["mcid"]["odi"] == {"count": 1, "of": 1, "percent": 100.0, "small": True}
    bad = client.get("/api/v1/reports/outcomes?condition=gout", headers=headers)
    assert bad.status_code == 422 and "condition" in bad.get_json()["errors"]["query"]
    huge = client.get("/api/v1/reports/outcomes?surgeon_id=2147483648", headers=headers)
    assert huge.status_code == 422 and "surgeon_id" in huge.get_json()["errors"]["query"]
    backwards = client.get(
        "/api/v1/reports/outcomes?surgery_from=2026-12-01&surgery_to=2026-11-01", headers=headers
    )
    assert backwards.status_code == 422
    exported = client.get("/api/v1/reports/outcomes.csv?pathway=teld", headers=headers)
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert [(r["journey_id"], r["odi_baseline"], r["odi_6w"], r["odi_mcid_6w"]) for r in rows] == [
        (str(journey.id), "60", "28", "yes")
    ]
    # A pathway filter that is no slug (a newline, a quote) still answers, with a clean filename.
    odd = client.get("/api/v1/reports/outcomes.csv?pathway=%0Ate%22ld", headers=headers)
    assert odd.status_code == 200
    assert odd.headers["Content-Disposition"].startswith('attachment; filename="outcomes-teld-')
    assert client.get("/api/v1/reports/outcomes").status_code == 401
