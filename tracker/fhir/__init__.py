"""FHIR R4 export: a patient's whole journey, single reads, Bulk Data NDJSON and ``$export``.

Mapping modules (``resources/``, one per resource type) turn rows into resources; the registry
lists them; the bundle builder, the API, the bulk writer and the CapabilityStatement work from
that list.
"""

from flask import Flask

from tracker.fhir import worker


def init_app(app: Flask) -> None:
    # The scheduler (embedded or `flask scheduler`) runs waiting $export jobs.
    app.extensions.setdefault("scheduler_jobs", []).append(
        (
            "fhir.exports",
            worker.tick,
            "interval",
            {
                "seconds": int(app.config.get("FHIR_EXPORT_POLL_SECONDS", 5)),
                "max_instances": 1,  # one export at a time per scheduler
                "coalesce": True,
                "misfire_grace_time": None,
            },
        )
    )
