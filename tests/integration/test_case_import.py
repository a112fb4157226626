"""Importing the case system's export through the services: created, unchanged, updated, refused, each row told."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from casesystem.rules import Refusal, read_file
from casesystem.service import Report, import_rows
from core.settings import Settings
from people.access import Principal
from people.audit import Origin
from people.errors import ForbiddenError
from people.rules import synthetic_national_id
from people.service import find_by_national_id
from people.tables import AuditEntry, ProxyLink
from tests.world import World, build_world

TODAY = date(2026, 9, 9)
KARI = synthetic_national_id(date(1950, 1, 2), 100)
PER = synthetic_national_id(date(1980, 6, 7), 300)
HEADER = (
    "record;ref;national_id;given_name;family_name;phone;recipient_national_id;kind;valid_from;service;minutes;period"
)


def _file(*rows: str) -> bytes:
    return "\r\n".join((HEADER, *rows)).encode("cp1252")


GOOD = (
    f"person;;{KARI};Bjørg;Ærø-Åsen;;;;;;;",
    f"person;;{PER};Øystein;Ås;+4791234567;;;;;;",
    f"proxy;;{PER};;;;{KARI};relative;01.09.2026;;;",
    f"decision;V-17;;;;;{KARI};;2026-09-01;Hjelp;120;week",
)


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


def _admin(world: World) -> Principal:
    return Principal(world.municipality, world.people["muni_admin"], roles=frozenset({("municipality_admin", None)}))


async def _import(session: AsyncSession, world: World, settings: Settings, data: bytes, **options: bool) -> Report:
    return await import_rows(session, _admin(world), Origin(), read_file(data), key=settings.national_id_key,
                             today=TODAY, **options)  # fmt: skip


def _actions(report: Report) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(o.row, o.action, o.changed) for o in report.outcomes]


async def _audited(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(AuditEntry)) or 0


async def test_a_second_import_changes_nothing_and_a_changed_row_updates(
    db_session: AsyncSession, world: World, settings: Settings
) -> None:
    first = await _import(db_session, world, settings, _file(*GOOD))
    assert _actions(first) == [(2, "create", ()), (3, "create", ()), (4, "create", ()), (5, "create", ())]
    assert first.keep
    assert first.encoding == "windows-1252"
    kari = await find_by_national_id(db_session, world.municipality, KARI, key=settings.national_id_key)
    assert kari is not None
    assert (kari.given_name, kari.family_name) == ("Bjørg", "Ærø-Åsen")
    link = await db_session.scalar(select(ProxyLink).where(ProxyLink.recipient_id == kari.id))
    assert link is not None
    assert link.kind == "relative"
    decision = await db_session.scalar(select(Allocation).where(Allocation.external_ref == "V-17"))
    assert decision is not None
    assert decision.minutes == 120

    audited = await _audited(db_session)
    again = await _import(db_session, world, settings, _file(*GOOD))
    assert [o.action for o in again.outcomes] == ["unchanged"] * 4
    assert await _audited(db_session) == audited + 1  # nothing written: only the run itself is logged

    changed = (GOOD[0], GOOD[1].replace("+4791234567", "+4799999999"), GOOD[2], GOOD[3].replace(";120;", ";90;"))
    third = await _import(db_session, world, settings, _file(*changed))
    assert _actions(third) == [(2, "unchanged", ()), (3, "update", ("phone",)), (4, "unchanged", ()),
                               (5, "update", ("minutes",))]  # fmt: skip
    await db_session.refresh(decision)
    assert decision.minutes == 90


async def test_refused_rows_are_told_with_row_and_column_and_the_rest_still_tried(
    db_session: AsyncSession, world: World, settings: Settings
) -> None:
    stranger = synthetic_national_id(date(1990, 3, 3), 400)
    rows = (
        *GOOD,
        f"proxy;;{stranger};;;;{KARI};parent;2026-09-01;;;",  # the proxy is nobody the municipality knows
        f"decision;V-18;;;;;{KARI};;2026-09-01;Fotpleie;60;week",  # no such service
        f"decision;V-19;;;;;{KARI};;2026-10-01;Hjelp;60;week",  # overlaps V-17 (same service, no end)
    )
    report = await _import(db_session, world, settings, _file(*rows))
    assert [(o.row, o.action) for o in report.outcomes][:4] == [(2, "create"), (3, "create"), (4, "create"),
                                                                 (5, "create")]  # fmt: skip
    assert [r for o in report.refused for r in o.refusals] == [
        Refusal(6, "national_id", "import_unknown_person"),
        Refusal(7, "service", "import_unknown_service"),
        Refusal(8, None, "allocation_overlaps", report.refused[2].refusals[0].fields),
    ]
    assert not report.keep  # all or nothing: the caller rolls back
    assert (await _import(db_session, world, settings, _file(*rows), skip_refused=True)).keep
    assert not (await _import(db_session, world, settings, _file(*GOOD), dry_run=True)).keep


async def test_only_a_municipality_administrator_imports(
    db_session: AsyncSession, world: World, settings: Settings
) -> None:
    staff = Principal(world.municipality, world.people["staff"], roles=frozenset({("staff", world.departments["d1"])}))
    with pytest.raises(ForbiddenError):
        await import_rows(db_session, staff, Origin(), read_file(_file(*GOOD)), key=settings.national_id_key,
                          today=TODAY)  # fmt: skip
