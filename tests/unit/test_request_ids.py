"""Request ids the API makes (`api.middleware.request_id_of`): well formed, never repeated, a prefix a process."""

from __future__ import annotations

import os
import re

from api.middleware import _MADE_IDS, request_id_of

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def _scope(*headers: tuple[bytes, bytes]) -> dict[str, object]:
    return {"type": "http", "headers": list(headers)}


def test_made_ids_are_32_hex_digits_and_never_repeat() -> None:
    made = [request_id_of(_scope()) for _ in range(1000)]  # type: ignore[arg-type]
    assert all(HEX32.match(made_id) for made_id in made)
    assert len(set(made)) == len(made)
    assert len({made_id[:16] for made_id in made}) == 1  # one process, one prefix, counting


def test_an_id_is_kept_for_the_request_and_a_well_formed_one_is_taken_from_the_client() -> None:
    scope = _scope()
    assert request_id_of(scope) == request_id_of(scope)  # type: ignore[arg-type]
    assert request_id_of(_scope((b"x-request-id", b"trace-me-12345"))) == "trace-me-12345"  # type: ignore[arg-type]
    assert HEX32.match(request_id_of(_scope((b"x-request-id", b"bad id")))) is not None  # type: ignore[arg-type]


def test_a_forked_process_draws_a_prefix_of_its_own() -> None:
    reader, writer = os.pipe()
    parent = _MADE_IDS.next()
    child = os.fork()
    if child == 0:  # the child: send its first id and leave at once
        os.write(writer, _MADE_IDS.next().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    forked = os.read(reader, 64).decode()
    os.close(reader)
    assert HEX32.match(forked) is not None
    assert forked[:16] != parent[:16]
    assert forked[16:] == f"{0:016x}"  # counting from 0 again
