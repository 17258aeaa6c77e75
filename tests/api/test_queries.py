"""List endpoints run a fixed number of SQL statements, however many rows they return."""

from tracker.db import db
from tracker.journeys import services


def _statements(client, count_queries, url, headers) -> tuple[int, dict]:
    # Requests share the test's app context and session; start from a clean one, as in serving.
    db.session.remove()
    with count_queries() as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(statements), response.get_json()


def test_patient_list_queries_do_not_grow_with_rows(client, auth, make_patient, count_queries):
    url = "/api/v1/patients?per_page=50"
    for _ in range(3):
        make_patient()
    client.get(url, headers=auth)  # the token's first use is written once; keep it out
    few, body = _statements(client, count_queries, url, auth)
    assert len(body["items"]) == 3
    for _ in range(27):
        make_patient()
    many, body = _statements(client, count_queries, url, auth)
    assert len(body["items"]) == 30
    assert few == many


def test_journey_list_queries_do_not_grow_with_rows(
    client, auth, make_patient, make_journey, make_user, coordinator, now, count_queries
):
    patient = make_patient()

    def add_journeys(n):
        for i in range(n):
            # Each with its own surgeon and either pathway, so a lazy load would show.
            journey = make_journey(
                patient=patient, template=("teld", "il")[i % 2], surgeon=make_user("clinician")
            )
            services.cancel(journey, reason="Rebooked", actor=coordinator, now=now)
            db.session.commit()

    url = f"/api/v1/patients/{patient.id}/journeys"
    add_journeys(3)
    client.get(url, headers=auth)
    few, body = _statements(client, count_queries, url, auth)
    assert len(body["items"]) == 3
    add_journeys(27)
    many, body = _statements(client, count_queries, url, auth)
    assert len(body["items"]) == 30
    assert few == many


def test_journey_detail_queries_do_not_grow_with_its_items(
    client, auth, make_journey, make_user, count_queries
):
    small = make_journey()
    client.get(f"/api/v1/journeys/{small.id}", headers=auth)
    few, _ = _statements(client, count_queries, f"/api/v1/journeys/{small.id}", auth)
    big = make_journey()
    for n in range(20):
        author, mover = make_user("clinician"), make_user("coordinator")
        services.add_note(big, f"note {n}", actor=author, now=big.started_at)
        services.advance(big, actor=mover, now=big.started_at, override_reason="test")
        services.move_back(big, reason="test", actor=mover, now=big.started_at)
        services.create_appointment(
            big,
            {"kind": "other", "title": f"Physio {n}", "starts_at": big.surgery_at},
            actor=author,
            now=big.started_at,
        )
    db.session.commit()
    many, body = _statements(client, count_queries, f"/api/v1/journeys/{big.id}", auth)
    assert len(body["notes"]) == 20 and len(body["transitions"]) == 41
    assert few == many
