"""The README's production path, on an empty database: municipality, administrator, import, sign-in, a booking.

The operator's steps run as the real command (`python -m tjenesteshop ...`, in a process of its own); the
administrator signs in through a real OpenID provider (tests/oidc_provider.py) and uses the API as the web app
does. The export is Windows-1252, as EHR exports often are: the names with æøå, and a service name with an en
dash (a character ISO 8859-1 lacks), must arrive intact.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from core.settings import Settings, async_database_url, plain_database_url
from people.rules import synthetic_national_id
from tests.conftest import RunServers, _drop_database, _with_database, http_client
from tests.oidc_provider import TOLERATE_PROVIDER_WARNINGS, running_provider, sign_in_at_provider
from tjenesteshop import embedded

pytestmark = [pytest.mark.slow, TOLERATE_PROVIDER_WARNINGS, pytest.mark.timeout(300)]

ADMIN = synthetic_national_id(date(1972, 5, 17), 150)
KARI = synthetic_national_id(date(1941, 2, 3), 120)
LIV = synthetic_national_id(date(1969, 8, 9), 220)
SERVICE = "Praktisk bistand – rengjøring"  # noqa: RUF001 - an en dash: in Windows-1252, not in ISO 8859-1
DEPARTMENT = "Hjemmetjenesten sør"
EXPORT = (
    "record;ref;national_id;given_name;family_name;recipient_national_id;kind;valid_from;service;department;"
    "minutes;period\r\n"
    f"person;;{KARI};Åse;Ødegård;;;;;;;\r\n"
    f"person;;{LIV};Liv;Bø;;;;;;;\r\n"
    f"proxy;;{LIV};;;{KARI};relative;01.01.2026;;;;\r\n"
    f"decision;2026/123-4;;;;{KARI};;01.01.2026;{SERVICE};{DEPARTMENT};120;week\r\n"
)


@dataclass(frozen=True)
class Installation:
    """A database of its own, empty at the start, and how the command reaches it."""

    database_url: str
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`tjenesteshop ARGS` against this installation."""
        return subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "tjenesteshop", *args], env=self.env, capture_output=True, text=True, check=False
        )

    async def count(self, table: str) -> int:
        """Rows in a table (a fixed name from the test)."""
        conn = await asyncpg.connect(plain_database_url(self.database_url))
        try:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 - the test's own names
        finally:
            await conn.close()


@pytest.fixture
def installation(servers: RunServers) -> Iterator[Installation]:
    name = f"tjenesteshop_setup_{uuid.uuid4().hex[:10]}"
    asyncio.run(embedded.ensure_database(servers.admin_url, name))
    url = async_database_url(_with_database(servers.admin_url, name))
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": servers.redis_url,
           "TJENESTESHOP_REDIS_PREFIX": f"{servers.key_prefix}setup:", "TJENESTESHOP_LOG_LEVEL": "WARNING"}  # fmt: skip
    try:
        yield Installation(url, env)
    finally:
        asyncio.run(_drop_database(servers.admin_url, name))


@pytest.fixture
async def web(installation: Installation, servers: RunServers) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the installation's database, with ID-porten played by a real OpenID provider."""
    with running_provider() as issuer:
        settings = Settings(
            DATABASE_URL=installation.database_url, REDIS_URL=servers.redis_url,
            redis_prefix=f"{servers.key_prefix}setup:", base_url="http://test", idporten_issuer=issuer,
            idporten_client_id="tjenesteshop", idporten_client_secret=SecretStr("hemmelig"), _env_file=None,
        )  # fmt: skip
        async with http_client(create_app(settings)) as client:
            yield client


async def _sign_in(client: httpx.AsyncClient, national_id: str) -> str:
    """Through /auth/login, the provider's form and back; return the CSRF token of the new session."""
    login = await client.get("/auth/login", params={"provider": "idporten"})
    assert login.status_code == 302
    async with httpx.AsyncClient() as browser_at_provider:
        back = await sign_in_at_provider(browser_at_provider, login.headers["location"], sub=f"sub-{national_id}",
                                         claims={"pid": national_id, "acr": "idporten-loa-substantial"})  # fmt: skip
    parts = urlsplit(back)
    signed_in = await client.get(f"{parts.path}?{parts.query}")
    assert signed_in.status_code == 303, signed_in.text
    me = (await client.get("/api/v1/me")).json()
    return str(me["csrf_token"])


def _ok(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 0, result.stderr
    assert says in result.stdout + result.stderr, result.stdout + result.stderr


async def test_from_an_empty_database_to_the_first_booking(  # noqa: PLR0915 - one walk-through, step by step
    installation: Installation, web: httpx.AsyncClient, tmp_path: Path
) -> None:
    # 1. The operator creates the municipality: a number from before 2024 is refused, naming the current one.
    old = installation.run("municipality", "create", "--number", "3805", "--name", "Larvik")
    assert old.returncode == 1
    assert "Mente du 3909 Larvik?" in old.stderr
    _ok(installation.run("municipality", "create", "--number", "3909", "--name", "Larvik"), "3909 Larvik er opprettet")
    _ok(installation.run("municipality", "create", "--number", "3909"), "finnes allerede")

    # 2. ... and adds the first administrator; a mistyped national id is refused in Norwegian.
    typo = ADMIN[:-1] + str((int(ADMIN[-1]) + 1) % 10)
    names = ("--given-name", "Tone", "--family-name", "Håland")
    refused = installation.run("admin", "add", "--municipality", "3909", "--national-id", typo, *names)
    assert refused.returncode == 1
    assert "Fødselsnummeret er ikke gyldig" in refused.stderr
    _ok(installation.run("admin", "add", "--municipality", "3909", "--national-id", ADMIN, *names),
        "kommuneadministrator i 3909 Larvik")  # fmt: skip
    _ok(installation.run("admin", "add", "--municipality", "3909", "--national-id", ADMIN, *names), "allerede")

    # 3. The administrator signs in with ID-porten for the first time, and sets up a department and a service.
    csrf = await _sign_in(web, ADMIN)
    me = (await web.get("/api/v1/me")).json()
    assert me["person"]["given_name"] == "Tone"
    headers = {"X-CSRF-Token": csrf}
    department = await web.post("/api/v1/departments", json={"name": DEPARTMENT}, headers=headers)
    assert department.status_code == 201, department.text
    department_id = department.json()["id"]
    weekdays = [{"weekday": day, "start": "08:00", "end": "16:00", "staff": 2} for day in range(5)]
    hours = await web.put(f"/api/v1/departments/{department_id}/opening-hours", json=weekdays, headers=headers)
    assert hours.status_code == 200, hours.text
    service = await web.post(
        f"/api/v1/departments/{department_id}/services",
        json={"name": {"nb": SERVICE}, "description": {"nb": "Hjelp til rengjøring hjemme"}, "durations": [60]},
        headers=headers,
    )
    assert service.status_code == 201, service.text
    service_id = service.json()["id"]

    # 4. The case system's export, in Windows-1252: a dry run stores nothing; a bad file stores nothing; then in.
    export = tmp_path / "eksport.csv"
    export.write_bytes(EXPORT.encode("cp1252"))
    dry = installation.run("import", "--municipality", "3909", "--dry-run", str(export))
    _ok(dry, "prøvekjøring: ingenting er lagret")
    assert "rad 5: vedtak 2026/123-4: blir opprettet" in dry.stdout
    assert "lest som windows-1252" in dry.stdout
    assert await installation.count("allocation") == 0
    bad = tmp_path / "feil.csv"
    bad.write_bytes((EXPORT + f"decision;2026/9-1;;;;{KARI};;01.01.2026;Fotpleie;;60;week\r\n").encode("cp1252"))
    aborted = installation.run("import", "--municipality", "3909", str(bad))
    assert aborted.returncode == 1
    assert "rad 6: vedtak 2026/9-1: avvist; kolonne «service»: Fant ingen tjeneste" in aborted.stdout
    assert "ingenting er lagret" in aborted.stdout
    assert await installation.count("person") == 1  # the administrator only: nothing half-imported
    _ok(installation.run("import", "--municipality", "3909", str(export)), "lagret")
    again = installation.run("import", "--municipality", "3909", str(export))
    _ok(again, "0 opprettet, 0 endret, 4 uendret, 0 avvist")

    # 5. The administrator finds the imported recipient, names intact, and books a visit for her.
    people = (await web.get("/api/v1/allocations")).json()
    assert [(a["external_ref"], a["service_id"], a["minutes"]) for a in people] == [("2026/123-4", service_id, 120)]
    recipient_id = people[0]["recipient_id"]
    recipient = (await web.get(f"/api/v1/persons/{recipient_id}")).json()
    assert (recipient["given_name"], recipient["family_name"]) == ("Åse", "Ødegård")
    free = await web.get("/api/v1/availability", params={"recipient_id": recipient_id, "service_id": service_id})
    assert free.status_code == 200, free.text
    start = next(s["start"] for d in free.json()["days"] for s in d["slots"]
                 if any(length["status"] == "free" for length in s["lengths"]))  # fmt: skip
    booked = await web.post(
        "/api/v1/bookings",
        json={"recipient_id": recipient_id, "service_id": service_id, "start": start, "minutes": 60},
        headers=headers | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert booked.status_code == 201, booked.text
    assert await installation.count("booking") == 1
