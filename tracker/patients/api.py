"""Patients over JSON: create, find, read and correct."""

import marshmallow as ma
from flask import g
from flask_smorest import Blueprint

from tracker.api_support import authenticate, clinical, get_or_404, json_errors, require_json_body
from tracker.audit.services import record_read
from tracker.clock import utcnow
from tracker.db import db
from tracker.patients import services
from tracker.patients.models import Patient
from tracker.patients.schemas import (
    PatientCreateSchema,
    PatientPageSchema,
    PatientPatchSchema,
    PatientQuerySchema,
    PatientSchema,
)

blp = Blueprint("patients_api", __name__, description="Patients: create, find, read, correct.")
blp.before_request(authenticate)
blp.before_request(require_json_body)
json_errors(blp)


@blp.route("/patients", methods=["POST"])
@clinical
@blp.arguments(PatientCreateSchema)
@blp.response(201, PatientSchema)
def create_patient(values):
    """Register a patient."""
    patient = services.create_patient(values, actor=g.api_user, now=utcnow())
    db.session.commit()
    return patient


@blp.route("/patients", methods=["GET"])
@clinical
@blp.arguments(PatientQuerySchema, location="query", unknown=ma.RAISE)
@blp.response(200, PatientPageSchema)
def list_patients(args):
    """Find patients by name or MRN, a page at a time, in name order."""
    page = db.paginate(
        services.search_query(args.get("q")),
        page=args["page"],
        per_page=args["per_page"],
        error_out=False,
    )
    record_read(
        "patient.search",
        actor=g.api_user,
        details={
            "via": "api",
            "q": args.get("q"),
            "page": page.page,
            "shown": [patient.id for patient in page.items],
            "total": page.total,
        },
    )
    return {
        "items": page.items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


@blp.route("/patients/<int:patient_id>", methods=["GET"])
@clinical
@blp.response(200, PatientSchema)
def get_patient(patient_id: int):
    """One patient."""
    patient = get_or_404(Patient, patient_id)
    record_read(
        "patient.view", patient, actor=g.api_user, patient_id=patient.id, details={"via": "api"}
    )
    return patient


@blp.route("/patients/<int:patient_id>", methods=["PATCH"])
@clinical
@blp.arguments(PatientPatchSchema(partial=True))
@blp.response(200, PatientSchema)
def update_patient(values, patient_id: int):
    """Correct some of a patient's details; fields left out stay as they are."""
    patient = get_or_404(Patient, patient_id)
    services.update_patient(patient, values, actor=g.api_user, now=utcnow())
    db.session.commit()
    return patient
