"""FHIR R4 over HTTP: read, ``Patient/$everything``, ``metadata``, the Bulk Data ``$export``.

Same bearer tokens and roles as the rest of the API (coordinators and clinicians; only the
CapabilityStatement is public). Answers are ``application/fhir+json``; errors are
OperationOutcome resources. Each read, export request and file download is one read row of
the audit trail (``record_read``), like the rest of the API.
"""

import json
from email.utils import format_datetime

from flask import Response, g, request, send_file, url_for
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException, default_exceptions

from tracker.api_support import authenticate, clinical, get_or_404
from tracker.audit.services import record_read
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import DomainError
from tracker.fhir import bundle, documents, jobs
from tracker.fhir.capability import capability_statement
from tracker.fhir.common import make_context, parse_since
from tracker.fhir.registry import RESOURCE_TYPES
from tracker.patients.models import Patient

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
EXPORT_PARAMETERS = {"_type", "_since", "_outputFormat"}
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
}

blp = Blueprint(
    "fhir_api",
    __name__,
    description="FHIR R4: reads, Patient/$everything, CapabilityStatement, Bulk Data $export.",
)


@blp.before_request
def _authenticate():
    if request.endpoint != "fhir_api.capability":
        authenticate()


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status, headers=headers, mimetype=FHIR_JSON
    )


def outcome(status: int, message: str, *, severity: str = "error", headers=None) -> Response:
    code = ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }
    return fhir_response(body, status, headers)


def _domain_error(error: DomainError):
    db.session.rollback()
    return outcome(error.status, error.message)


def _http_error(error: HTTPException):
    db.session.rollback()
    data = getattr(error, "data", None) or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return outcome(error.code or 500, data.get("message") or error.description, headers=headers)


blp.register_error_handler(DomainError, _domain_error)
for _code in default_exceptions:  # a status-code handler, or the app's HTML pages would win
    blp.register_error_handler(_code, _http_error)


@blp.route("/fhir/metadata", methods=["GET"])
@blp.response(200, content_type=FHIR_JSON, description="The CapabilityStatement (no token).")
def capability():
    """What this FHIR server offers."""
    return fhir_response(capability_statement(make_context(), now=utcnow()))


@blp.route("/fhir/Patient/<int:patient_id>/$everything", methods=["GET"])
@clinical
@blp.response(200, content_type=FHIR_JSON, description="A searchset Bundle.")
def everything(patient_id: int):
    """Every resource about one patient: journeys, tasks, appointments, pain, sheets, …"""
    patient = get_or_404(Patient, patient_id)
    now = utcnow()
    body = bundle.everything(patient, make_context(), now=now)
    record_read(
        "fhir.everything",
        patient,
        actor=g.api_user,
        patient_id=patient.id,
        now=now,
        details={"via": "api", "resources": body["total"]},
    )
    return fhir_response(body)


@blp.route("/fhir/Binary/<fhir_id>", methods=["GET"])
@clinical
@blp.response(200, content_type="application/pdf", description="A discharge sheet's PDF.")
def binary(fhir_id: str):
    """The PDF of a discharge sheet; with ``Accept: application/fhir+json`` a Binary resource."""
    sheet = documents.sheet_for_binary(fhir_id)
    data = documents.sheet_pdf(sheet)
    record_read(
        "fhir.read",
        sheet,
        actor=g.api_user,
        patient_id=sheet.journey.patient_id,
        now=utcnow(),
        details={"via": "api", "resource": f"Binary/{sheet.id}"},
    )
    accept = request.accept_mimetypes
    if accept.best_match(["application/pdf", FHIR_JSON]) == FHIR_JSON:
        return fhir_response(documents.binary_resource(sheet, data, make_context()))
    return Response(data, mimetype="application/pdf")


@blp.route("/fhir/$export", methods=["GET"])
@clinical
@blp.response(202, description="Accepted; poll the Content-Location URL.")
def export_kickoff():
    """Start a Bulk Data export of the whole clinic (``Prefer: respond-async`` required)."""
    if "respond-async" not in request.headers.get("Prefer", ""):
        return outcome(
            400, "Send the header 'Prefer: respond-async': exports run in the background."
        )
    unknown = sorted(set(request.args) - EXPORT_PARAMETERS)
    if unknown:
        return outcome(400, f"Not supported here: {', '.join(unknown)}.")
    output_format = request.args.get("_outputFormat", NDJSON)
    if output_format not in OUTPUT_FORMATS:
        return outcome(400, f"_outputFormat {output_format!r}: only application/fhir+ndjson.")
    types = [t.strip() for v in request.args.getlist("_type") for t in v.split(",") if t.strip()]
    wrong = [t for t in types if t not in RESOURCE_TYPES]
    if wrong:
        return outcome(
            400,
            f"_type: unknown or not exported: {', '.join(wrong)}. "
            f"This server exports {', '.join(RESOURCE_TYPES)}.",
        )
    since = None
    if request.args.get("_since"):
        try:
            since = parse_since(request.args["_since"])
        except ValueError as error:
            return outcome(400, f"_since: {error}")
    job = jobs.request_export(
        g.api_user,
        types=list(dict.fromkeys(types)) or list(RESOURCE_TYPES),
        since=since,
        request_url=request.url,
        now=utcnow(),
    )
    db.session.commit()
    status_url = url_for("fhir_api.export_status", key=job.key, _external=True)
    return outcome(
        202,
        f"Export accepted; poll {status_url}",
        severity="information",
        headers={"Content-Location": status_url},
    )


@blp.route("/fhir/$export-status/<key>", methods=["GET"])
@clinical
@blp.response(200, description="The file list once done; 202 with X-Progress until then.")
def export_status(key: str):
    """How an export is going; its file list (the manifest) when complete."""
    job = jobs.job_for(key, g.api_user)
    if job.status in ("queued", "running"):
        headers = {"X-Progress": jobs.progress_text(job), "Retry-After": "5"}
        return Response(status=202, headers=headers)
    if job.status == "failed":
        return outcome(500, f"The export failed: {job.error}")
    if job.status == "cancelled":
        return outcome(404, "This export was cancelled.")
    body = jobs.manifest(job, make_context(), _file_url)
    headers = {"Expires": format_datetime(job.expires_at, usegmt=True)}
    return Response(json.dumps(body), 200, headers=headers, mimetype="application/json")


@blp.route("/fhir/$export-status/<key>", methods=["DELETE"])
@clinical
@blp.response(202, description="Cancelled, or its files deleted.")
def export_cancel(key: str):
    """Cancel an export, or delete a finished export's files."""
    job = jobs.job_for(key, g.api_user)
    jobs.cancel(job, user=g.api_user, now=utcnow())
    db.session.commit()
    return outcome(202, "The export is cancelled and its files deleted.", severity="information")


def _file_url(job, name: str) -> str:
    return url_for("fhir_api.export_file", key=job.key, name=name, _external=True)


@blp.route("/fhir/$export-files/<key>/<name>", methods=["GET"])
@clinical
@blp.response(200, content_type=NDJSON, description="One NDJSON file of a completed export.")
def export_file(key: str, name: str):
    """One file of a completed export (only for the user who asked for the export)."""
    job = jobs.job_for(key, g.api_user)
    path = jobs.output_file(job, name)
    jobs.record_download(job, name, user=g.api_user, now=utcnow())
    return send_file(path, mimetype=NDJSON, as_attachment=False, max_age=0)


@blp.route("/fhir/<resource_type>/<fhir_id>", methods=["GET"])
@clinical
@blp.response(200, content_type=FHIR_JSON, description="One resource.")
def read(resource_type: str, fhir_id: str):
    """One resource by type and id, e.g. ``Observation/12-leg``."""
    if resource_type not in RESOURCE_TYPES:
        return outcome(404, f"Unknown resource type {resource_type!r}.")
    found = bundle.read(resource_type, fhir_id, make_context())
    if found is None:
        return outcome(404, f"No {resource_type}/{fhir_id}.")
    row, body = found
    record_read(
        "fhir.read",
        row,
        actor=g.api_user,
        patient_id=bundle.patient_of(body),
        now=utcnow(),
        details={"via": "api", "resource": f"{resource_type}/{fhir_id}"},
    )
    return fhir_response(body)
