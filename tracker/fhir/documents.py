"""``Binary/<id>``: the PDF of an issued discharge sheet, rendered from its kept HTML."""

import base64

from tracker.db import db
from tracker.discharge import pdf
from tracker.discharge.models import DischargeSheet
from tracker.errors import NotFound
from tracker.fhir.common import Context, resource


def sheet_for_binary(fhir_id: str) -> DischargeSheet:
    sheet = db.session.get(DischargeSheet, int(fhir_id)) if fhir_id.isdigit() else None
    if sheet is None:
        raise NotFound(f"No Binary/{fhir_id}.")
    return sheet


def sheet_pdf(sheet: DischargeSheet) -> bytes:
    """The issued sheet as PDF: its HTML as handed out, whatever changed since."""
    return pdf.write_pdf([sheet.html], size=pdf.page_size(None))


def binary_resource(sheet: DischargeSheet, data: bytes, ctx: Context) -> dict:
    return resource(
        "Binary",
        sheet.id,
        sheet.issued_at,
        ctx,
        contentType="application/pdf",
        securityContext={"reference": f"DocumentReference/{sheet.id}"},
        data=base64.b64encode(data).decode("ascii"),
    )
