"""Through the API alone: register a patient, start a journey, move the surgery, finish it."""

STAGES = ["consultation", "preparation", "procedure", "discharge", "follow_up"]


def test_a_patient_from_first_visit_to_a_completed_journey(
    client, auth, templates, surgeon, patient_body
):
    def call(method, url, body=None, status=200):
        response = client.open(f"/api/v1{url}", method=method, json=body, headers=auth)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    patient = call("POST", "/patients", patient_body(), status=201)
    journey = call(
        "POST",
        f"/patients/{patient['id']}/journeys",
        {
            "template": "teld",
            "condition": "sciatica",
            "levels": "L5-S1",
            "side": "right",
            "anesthesia": "local_sedation",
            "consultation_date": "2026-11-20",
            "surgery_at": "2026-12-10T08:30",
            "surgeon_id": surgeon.id,
        },
        status=201,
    )
    jid = journey["id"]
    tasks = {t["key"]: t for s in journey["stages"] for t in s["tasks"]}
    appointments = {a["key"]: a for a in journey["appointments"]}

    # Some work is already done before the surgery moves: it must stay where it is.
    call("POST", f"/tasks/{tasks['medicine_review']['id']}/complete")
    call("PATCH", f"/appointments/{appointments['preop_visit']['id']}", {"status": "completed"})
    physio = call(
        "POST",
        f"/journeys/{jid}/appointments",
        {"kind": "other", "title": "Physiotherapy", "starts_at": "2026-12-05T15:00"},
        status=201,
    )

    result = call(
        "POST",
        f"/journeys/{jid}/reschedule",
        {"surgery_at": "2026-12-17T09:00:00+07:00", "reason": "Surgeon at a congress"},
    )
    journey = result["journey"]
    assert journey["surgery_at"] == "2026-12-17T02:00:00Z"
    moved = {(m["item"], m["id"]) for m in result["moved"]}
    moved_tasks = {key for key, t in tasks.items() if ("task", t["id"]) in moved}
    assert moved_tasks == {
        key
        for key, t in tasks.items()
        if t["anchor"] in ("surgery", "discharge") and key != "medicine_review"
    }
    assert moved_tasks >= {"preop_assessment", "checked_in", "discharge_sheet", "outcome_3m"}
    assert {key for key, a in appointments.items() if ("appointment", a["id"]) in moved} == {
        "surgery",
        "wound_check",
        "review_6w",
        "outcome_3m",
    }
    after_tasks = {t["key"]: t for s in journey["stages"] for t in s["tasks"]}
    after_appointments = {a["id"]: a for a in journey["appointments"]}
    assert after_tasks["preop_assessment"]["due_on"] == "2026-12-10"  # 7 days before, moved a week
    assert after_tasks["medicine_review"]["due_on"] == tasks["medicine_review"]["due_on"]
    assert after_tasks["consent_signed"]["due_on"] == tasks["consent_signed"]["due_on"]
    preop = after_appointments[appointments["preop_visit"]["id"]]
    assert preop["starts_at"] == appointments["preop_visit"]["starts_at"]
    assert after_appointments[physio["id"]]["starts_at"] == "2026-12-05T08:00:00Z"
    # Moved by the same number of days (a week), keeping its 09:00 local time; sequence raised.
    wound = after_appointments[appointments["wound_check"]["id"]]
    assert wound["starts_at"] == "2026-12-31T02:00:00Z"
    assert wound["sequence"] == 1

    # Consultation: open required tasks, so an override reason is needed.
    call("POST", f"/journeys/{jid}/advance", status=409)
    journey = call(
        "POST", f"/journeys/{jid}/advance", {"override_reason": "Consent on the paper form"}
    )
    assert journey["stage"] == "preparation"

    # Preparation: finish every task, then advance without a reason.
    for task in journey["stages"][1]["tasks"]:
        if task["status"] == "open":
            call("POST", f"/tasks/{task['id']}/complete")
    journey = call("POST", f"/journeys/{jid}/advance", {})
    assert journey["stage"] == "procedure"

    for expected, reason in (
        ("discharge", "Procedure notes to follow"),
        ("follow_up", "Discharge sheet printed on the ward"),
        ("follow_up", "Outcome collected at another clinic"),
    ):
        journey = call("POST", f"/journeys/{jid}/advance", {"override_reason": reason})
        assert journey["stage"] == expected

    assert journey["status"] == "completed"
    assert journey["ended_at"] is not None and journey["discharged_at"] is not None
    assert [s["status"] for s in journey["stages"]] == ["done"] * 5
    assert [(t["from_stage"], t["to_stage"], t["override"]) for t in journey["transitions"]] == [
        (None, "consultation", False),
        ("consultation", "preparation", True),
        ("preparation", "procedure", False),
        ("procedure", "discharge", True),
        ("discharge", "follow_up", True),
        ("follow_up", "completed", True),
    ]
    assert all(s["started_at"] and s["ended_at"] for s in journey["stages"])

    call("POST", f"/journeys/{jid}/advance", {"override_reason": "again"}, status=409)
    listed = call("GET", f"/patients/{patient['id']}/journeys")
    assert [(j["id"], j["status"]) for j in listed["items"]] == [(jid, "completed")]
