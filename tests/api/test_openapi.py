"""The OpenAPI 3 description is served, complete, and names the bearer scheme."""

import re


def test_openapi_document_lists_every_endpoint(app, client):
    response = client.get("/api/v1/openapi.json")  # no token needed to read the description
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Tracker API"
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    served = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("api-docs.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    ours = {
        (method, path)
        for method, path in served
        if path.split("/")[3] in ("patients", "journeys", "tasks", "appointments")
    }
    assert len(ours) >= 18
    assert documented == served


def test_openapi_document_declares_bearer_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "flask tokens create EMAIL",
    }
    assert spec["security"] == [{"bearer": []}]


def test_openapi_document_describes_bodies_and_answers(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    create = spec["paths"]["/api/v1/patients"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "sex",
        "timezone",
    }
    assert schema["properties"]["sex"]["enum"] == ["female", "male", "other", "unknown"]
    assert "201" in create["responses"] and "422" in create["responses"]
    patch = spec["paths"]["/api/v1/patients/{patient_id}"]["patch"]
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "required" not in spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    listing = spec["paths"]["/api/v1/patients"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"q", "page", "per_page"}
    journey = spec["components"]["schemas"]["Journey"]
    assert {"stages", "appointments", "transitions", "notes"} <= set(journey["properties"])
