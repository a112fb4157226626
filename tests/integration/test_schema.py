from __future__ import annotations

import httpx


async def test_openapi_is_3_1_and_lists_the_health_paths(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert {"/health/live", "/health/ready"} <= set(schema["paths"])
