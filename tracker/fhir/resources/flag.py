"""Flag: an alert raised by the check-in rules; active until it is resolved."""

import sqlalchemy as sa

from tracker.fhir import codes
from tracker.fhir.common import Context, concept, episode, latest, ref, resource
from tracker.fhir.mapping import Mapping
from tracker.portal.models import Alert


def to_resources(alert: Alert, ctx: Context, extras: dict) -> list[dict]:
    kind = {"system": ctx.system("alert-kind"), "code": alert.kind}
    kind["display"] = codes.ALERT_KINDS.get(alert.kind, alert.kind.replace("_", " "))
    return [
        resource(
            "Flag",
            alert.id,
            latest(alert.created_at, alert.acknowledged_at, alert.resolved_at),
            ctx,
            extension=[
                episode(alert.journey_id),
                {"url": ctx.extension_url("alert-severity"), "valueCode": alert.severity},
                {"url": ctx.extension_url("alert-status"), "valueCode": alert.status},
            ],
            status="inactive" if alert.status == "resolved" else "active",
            category=[concept(codes.CLINICAL_FLAG)],
            code=concept(kind, text=alert.summary),
            subject=ref("Patient", alert.patient_id),
            period={
                "start": ctx.instant(alert.created_at),
                "end": ctx.instant(alert.resolved_at),
            },
        )
    ]


MAPPING = Mapping(
    resource_type="Flag",
    model=Alert,
    to_resources=to_resources,
    changed_since=lambda since: sa.or_(
        Alert.created_at >= since, Alert.acknowledged_at >= since, Alert.resolved_at >= since
    ),
    of_patient=lambda patient_id: Alert.patient_id == patient_id,
    description="Alerts from the check-ins: active while open or acknowledged, then inactive.",
    plain_rows=True,
)
