"""`Encoded` sends its JSON as it is, with the route's status, its type and length; or takes Litestar's way."""

from __future__ import annotations

import msgspec
from litestar import Litestar, Response, get, post
from litestar.datastructures import Cookie
from litestar.testing import AsyncTestClient

from api.responses import Encoded


class Thing(msgspec.Struct):
    """What the routes answer."""

    name: str
    count: int


BODY = msgspec.json.encode(Thing("ære", 3))


@post("/made", sync_to_thread=False)
def made() -> Response[Thing]:
    """201, the route's default for POST."""
    return Encoded(BODY)


@get("/replayed", sync_to_thread=False)
def replayed() -> Response[Thing]:
    """A status and a header of its own."""
    return Encoded(BODY, status_code=202, headers={"Idempotent-Replayed": "true"})


@get("/with-cookie", response_cookies=[Cookie(key="seen", value="1")], sync_to_thread=False)
def with_cookie() -> Response[Thing]:
    """The route sets a cookie: Litestar's own response sends it."""
    return Encoded(BODY)


APP = Litestar([made, replayed, with_cookie])


async def test_the_body_goes_out_as_encoded_with_its_type_length_and_the_routes_status() -> None:
    async with AsyncTestClient(APP) as client:
        answer = await client.post("/made")
    assert answer.status_code == 201
    assert answer.content == BODY
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(BODY))  # bytes, not characters: "æ" is two
    assert msgspec.json.decode(answer.content, type=Thing) == Thing("ære", 3)


async def test_its_own_status_and_headers_are_sent() -> None:
    async with AsyncTestClient(APP) as client:
        answer = await client.get("/replayed")
    assert answer.status_code == 202
    assert answer.headers["idempotent-replayed"] == "true"
    assert answer.content == BODY


async def test_a_route_with_cookies_answers_through_litestar_and_keeps_them() -> None:
    async with AsyncTestClient(APP) as client:
        answer = await client.get("/with-cookie")
    assert answer.status_code == 200
    assert answer.cookies["seen"] == "1"
    assert answer.content == BODY


def test_the_schema_documents_what_the_bytes_hold() -> None:
    schema = APP.openapi_schema.to_schema()
    content = schema["paths"]["/made"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert content == {"$ref": "#/components/schemas/Thing"}
