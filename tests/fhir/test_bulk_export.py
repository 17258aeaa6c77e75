"""``flask fhir export`` and the asynchronous ``$export``: files, filters, owners, lifecycle."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.fhir.conftest import FHIR_JSON, ndjson, validate
from tracker.audit.models import AuditEvent
from tracker.clock import utcnow
from tracker.db import db
from tracker.fhir import worker
from tracker.fhir.common import make_context
from tracker.fhir.models import ExportJob
from tracker.fhir.registry import MAPPINGS
from tracker.portal.models import Alert
from tracker.reminders.scheduler import make_scheduler

PREFER = {"Prefer": "respond-async", "Accept": FHIR_JSON}


def test_cli_writes_only_the_types_asked_for(runner, operated, tmp_path):
    operated()
    out = tmp_path / "out"
    result = runner.invoke(
        args=["fhir", "export", str(out), "--type", "Observation", "--type", "Patient"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["Observation.ndjson", "Patient.ndjson"]
    observations = ndjson(out / "Observation.ndjson")
    assert len(observations) == 2 * 6  # six check-ins, back and leg
    for body in observations:
        validate(body)
    assert "Observation" in result.output and "12" in result.output
    [row] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "fhir.export"))
    assert (row.actor_label, row.kind, row.details["via"]) == ("command line", "read", "cli")
    assert row.details["counts"] == {"Observation": 12, "Patient": 1}


def test_cli_since_keeps_only_what_changed(runner, operated, make_patient, tmp_path, clock):
    operated()
    cutoff = utcnow() + timedelta(minutes=5)
    clock.move_to(cutoff + timedelta(minutes=5))
    newcomer = make_patient(mrn="RM-NEW")
    out = tmp_path / "since"
    result = runner.invoke(args=["fhir", "export", str(out), "--since", cutoff.isoformat()])
    assert result.exit_code == 0, result.output
    assert [p["id"] for p in ndjson(out / "Patient.ndjson")] == [str(newcomer.id)]
    assert not (out / "Observation.ndjson").exists()  # no file for nothing


def test_cli_refuses_a_bad_since_or_type(runner, tmp_path):
    bad = runner.invoke(args=["fhir", "export", str(tmp_path), "--since", "last tuesday"])
    assert bad.exit_code == 2
    assert "not an ISO 8601 instant" in bad.output
    wrong = runner.invoke(args=["fhir", "export", str(tmp_path), "--type", "Spaceship"])
    assert wrong.exit_code == 2
    assert "Spaceship" in wrong.output


@pytest.fixture
def export_dir(app, tmp_path):
    app.config["FHIR_EXPORT_DIR"] = str(tmp_path / "exports")
    return tmp_path / "exports"


def _kickoff(client, headers, query=""):
    return client.get(f"/api/v1/fhir/$export{query}", headers={**headers, **PREFER})


def test_async_export_from_kickoff_to_files(client, api_headers, operated, export_dir):
    operated()
    headers = api_headers()
    kickoff = _kickoff(client, headers, "?_type=Patient,Observation,Flag")
    assert kickoff.status_code == 202
    status_url = kickoff.headers["Content-Location"]
    assert "/api/v1/fhir/$export-status/" in status_url
    waiting = client.get(status_url, headers=headers)
    assert waiting.status_code == 202
    assert waiting.headers["X-Progress"] == "waiting for a worker"

    assert worker.run_pending() == 1
    done = client.get(status_url, headers=headers)
    assert done.status_code == 200
    assert "Expires" in done.headers
    manifest = done.get_json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("$export?_type=Patient,Observation,Flag")
    alerts = db.session.scalar(sa.select(sa.func.count()).select_from(Alert))
    assert alerts >= 1
    assert [(o["type"], o["count"]) for o in manifest["output"]] == [
        ("Patient", 1),
        ("Observation", 12),
        ("Flag", alerts),
    ]
    for item in manifest["output"]:
        response = client.get(item["url"], headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "application/fhir+ndjson"
        lines = response.get_data(as_text=True).splitlines()
        response.close()  # send_file streams from the open file
        assert len(lines) == item["count"]
    downloads = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "fhir.export.download")
    ).all()
    assert len(downloads) == 3
    assert {(e.kind, e.details["via"]) for e in downloads} == {("read", "api")}
    assert sorted(e.details["file"] for e in downloads) == [
        "Flag.ndjson",
        "Observation.ndjson",
        "Patient.ndjson",
    ]
    [asked] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "fhir.export.request")
    ).all()
    assert (asked.kind, asked.object_type, asked.details["types"]) == (
        "read",
        "ExportJob",
        ["Patient", "Observation", "Flag"],
    )


def test_only_the_requester_sees_an_export(client, api_headers, make_user, operated, export_dir):
    operated()
    mine = api_headers()
    kickoff = _kickoff(client, mine, "?_type=Patient")
    worker.run_pending()
    status_url = kickoff.headers["Content-Location"]
    file_url = client.get(status_url, headers=mine).get_json()["output"][0]["url"]
    other = api_headers(make_user("clinician"))
    assert client.get(status_url, headers=other).status_code == 404
    assert client.get(file_url, headers=other).status_code == 404
    assert client.get(file_url).status_code == 401
    admin = api_headers(make_user("admin"))
    assert client.get(file_url, headers=admin).status_code == 403
    assert client.get(file_url.replace("Patient", "Secret"), headers=mine).status_code == 404


@pytest.mark.parametrize(
    ("query", "headers", "message"),
    [
        ("", {"Prefer": ""}, "Prefer: respond-async"),
        ("?_type=Patient,Spaceship", PREFER, "Spaceship"),
        ("?_since=yesterday", PREFER, "_since"),
        ("?_outputFormat=text/csv", PREFER, "_outputFormat"),
        ("?patient=Patient/1", PREFER, "Not supported here: patient"),
    ],
)
def test_a_bad_kickoff_is_400_and_queues_nothing(client, api_headers, query, headers, message):
    response = client.get(f"/api/v1/fhir/$export{query}", headers={**api_headers(), **headers})
    assert response.status_code == 400
    body = response.get_json(force=True)
    assert body["resourceType"] == "OperationOutcome"
    assert message in body["issue"][0]["diagnostics"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob)) == 0


def test_two_waiting_exports_per_user_then_429(client, api_headers, export_dir):
    headers = api_headers()
    assert _kickoff(client, headers).status_code == 202
    assert _kickoff(client, headers).status_code == 202
    third = _kickoff(client, headers)
    assert third.status_code == 429
    assert third.get_json(force=True)["issue"][0]["code"] == "throttled"


def test_delete_cancels_and_removes_the_files(client, api_headers, operated, export_dir):
    operated()
    headers = api_headers()
    status_url = _kickoff(client, headers, "?_type=Patient").headers["Content-Location"]
    worker.run_pending()
    key = status_url.rsplit("/", 1)[1]
    assert (export_dir / key / "Patient.ndjson").is_file()
    assert client.delete(status_url, headers=headers).status_code == 202
    assert not (export_dir / key).exists()
    assert client.get(status_url, headers=headers).status_code == 404
    assert client.delete(status_url, headers=headers).status_code == 404


def test_a_waiting_export_cancelled_never_runs(client, api_headers, export_dir):
    headers = api_headers()
    status_url = _kickoff(client, headers).headers["Content-Location"]
    client.delete(status_url, headers=headers)
    assert worker.run_pending() == 0


def test_files_expire(client, api_headers, operated, export_dir, app, clock):
    operated()
    headers = api_headers()
    status_url = _kickoff(client, headers, "?_type=Patient").headers["Content-Location"]
    worker.run_pending()
    key = status_url.rsplit("/", 1)[1]
    hours = app.config["FHIR_EXPORT_RETENTION_HOURS"]
    clock.shift(timedelta(hours=hours, minutes=1))
    worker.run_pending()
    assert not (export_dir / key).exists()
    assert client.get(status_url, headers=headers).status_code == 404


def test_a_failed_export_says_so(client, api_headers, export_dir, monkeypatch):
    headers = api_headers()
    status_url = _kickoff(client, headers).headers["Content-Location"]

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(worker.bulk, "write_ndjson", broken)
    worker.run_pending()
    response = client.get(status_url, headers=headers)
    assert response.status_code == 500
    assert "No space left on device" in response.get_json(force=True)["issue"][0]["diagnostics"]


def test_an_abandoned_export_is_taken_over(client, api_headers, export_dir, clock):
    headers = api_headers()
    status_url = _kickoff(client, headers, "?_type=Patient").headers["Content-Location"]
    job = worker.claim(utcnow())  # a worker claims it, then dies
    assert job.status == "running"
    assert worker.claim(utcnow()) is None  # alive: nobody else takes it
    clock.shift(worker.STALE_AFTER + timedelta(minutes=1))
    assert worker.run_pending() == 1
    assert client.get(status_url, headers=headers).status_code == 200


def test_the_scheduler_runs_the_export_worker(app):
    assert make_scheduler(app).get_job("fhir.exports") is not None


def test_plain_rows_make_the_same_resources_as_orm_objects(operated, proms):
    """Bulk exports read plain rows where a mapping allows it; a read uses ORM objects."""
    operated(mrn="RM-2")
    journey, _ = proms()
    ctx = make_context()
    plain = [m for m in MAPPINGS if m.plain_rows]
    assert {m.resource_type for m in plain} >= {"Observation", "Task", "Patient"}
    for mapping in MAPPINGS:
        streamed = list(mapping.stream(ctx, since=None, batch=3))
        rows = db.session.scalars(mapping.query().order_by(mapping.model.id)).unique().all()
        assert streamed == list(mapping.convert(list(rows), ctx)), mapping.resource_type
        for body in streamed:
            validate(body)
