from __future__ import annotations

from typing import Any

import httpx


async def test_openapi_is_3_1_and_lists_the_health_paths(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert {"/health/live", "/health/ready"} <= set(schema["paths"])


PROBLEM_JSON = "application/problem+json"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (e.g. #/components/responses/Problem503)."""
    while "$ref" in node:
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


async def test_every_operation_lists_its_problem_responses(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operations = [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 50
    for method, path, operation in operations:
        where = f"{method} {path}"
        errors = {
            int(code): _resolve(schema, response)
            for code, response in operation["responses"].items()
            if int(code) >= 400
        }
        assert 503 in errors, where  # overload can reach any operation
        fhir = path.startswith("/fhir/R4/")  # the FHIR interface answers the same problems as OperationOutcomes
        for code, response in errors.items():
            media_type, required = ("application/fhir+json", {"resourceType", "issue"}) if fhir else (
                PROBLEM_JSON, {"type", "title", "status"})  # fmt: skip
            assert set(response["content"]) == {media_type}, (where, code)
            problem = response["content"][media_type]["schema"]
            assert set(problem["required"]) == required, (where, code)
            if code in {429, 503}:
                assert "Retry-After" in response["headers"], (where, code)
        if "requestBody" in operation:
            assert {400, 413, 415, 422} <= set(errors), where
        if "{" in path:
            assert 404 in errors, where
        if path.startswith("/api/v1/") and operation.get("parameters"):
            assert 422 in errors, where


async def test_booking_documents_its_headers_and_every_refusal(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    book = schema["paths"]["/api/v1/bookings"]["post"]
    header = next(p for p in book["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert header["required"] is True
    assert {"401", "403", "409", "413", "415", "422", "429", "503"} <= set(book["responses"])
    assert schema["components"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert "application/json" in book["requestBody"]["content"]


async def test_the_schema_lists_the_404_of_bodies_naming_objects_and_the_calendar_media_type(
    client: httpx.AsyncClient,
) -> None:
    # Found by the fuzz test: a body naming an unknown service or person is a 404, unknown sign-in providers and
    # missing Web Push keys too, and the calendar files are text/calendar, not JSON.
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, method in [
        ("/api/v1/bookings", "post"),
        ("/api/v1/allocations", "post"),
        ("/api/v1/proxy-links", "post"),
        ("/api/v1/coordinators", "post"),
        ("/auth/login", "get"),
        ("/api/v1/me/push-subscriptions/public-key", "get"),
    ]:
        assert "404" in paths[path][method]["responses"], (method, path)
    for path in ("/api/v1/bookings/{booking_id}/event.ics", "/ical/{filename}"):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) == {"text/calendar"}, path
    assert "304" in paths["/ical/{filename}"]["get"]["responses"]
