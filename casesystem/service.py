"""Importing the case system's export: people, proxy links and decisions, in one transaction. Never commits.

Every row is applied in a savepoint of its own through the same services the API uses (the same rules, the
same audit entries), so a refused row leaves nothing behind and the rows after it are still tried and reported.
Whether the whole is then kept is the caller's choice (`Report.keep`): a dry run never is; otherwise only when
no row was refused, unless the caller chose to skip refused rows.

Idempotent: people are known by national id, proxy links by (proxy, recipient, first day), decisions by the
case system's reference (`external_ref`). A row equal to what is stored changes nothing; a changed row updates.
A cell left empty leaves what is stored (a person's own phone number, say) as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.allocations import AllocationInput, create_allocation, update_allocation
from booking.tables import Allocation
from casesystem.rules import DecisionRow, PersonRow, ProxyRow, ReadFile, Refusal, Row
from core.errors import DomainError
from departments.tables import Department, Service
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.rules import national_id_masked
from people.service import (
    NewPerson,
    create_person,
    find_by_national_id,
    grant_role,
    link_proxy,
    update_person,
    update_proxy_link,
)
from people.tables import Person, ProxyLink

Action = Literal["create", "update", "unchanged", "refuse"]
_FIXED = ("recipient_id", "service_id", "period", "period_anchor")  # a decision keeps these; end it and make anew


class RowRefusedError(DomainError):
    """A row the database says no to (an unknown person or service); `column` names the cell at fault."""

    def __init__(self, code: str, column: str, **fields: object) -> None:
        """Refuse the row with `code`, blaming `column`."""
        super().__init__(**fields)
        self.code = code  # type: ignore[misc]  # an instance's code shadows the class default on purpose
        self.column = column


@dataclass(frozen=True)
class RowOutcome:
    """What became, or would become, of one row."""

    row: int
    record: str
    action: Action
    subject: str  # whom or what the row is about: a masked national id, or the decision's reference
    changed: tuple[str, ...] = ()
    refusals: tuple[Refusal, ...] = ()


@dataclass
class Report:
    """Every row's outcome, by row number, and whether the import may be kept."""

    encoding: str
    outcomes: list[RowOutcome] = field(default_factory=list)
    dry_run: bool = False
    skip_refused: bool = False

    @property
    def refused(self) -> list[RowOutcome]:
        """The rows refused."""
        return [o for o in self.outcomes if o.action == "refuse"]

    @property
    def keep(self) -> bool:
        """Whether the caller should commit: not a dry run, and nothing refused (or refused rows skipped)."""
        return not self.dry_run and (self.skip_refused or not self.refused)

    def count(self, action: Action) -> int:
        """How many rows had this outcome."""
        return sum(1 for o in self.outcomes if o.action == action)


def _subject(row: Row) -> str:
    if isinstance(row, PersonRow):
        return national_id_masked(row.national_id)
    if isinstance(row, ProxyRow):
        return f"{national_id_masked(row.national_id)} → {national_id_masked(row.recipient_national_id)}"
    return row.ref


def _record(row: Row) -> str:
    return {PersonRow: "person", ProxyRow: "proxy", DecisionRow: "decision"}[type(row)]


@dataclass(frozen=True)
class _Context:
    session: AsyncSession
    principal: Principal
    origin: Origin
    key: bytes
    today: date


Applied = tuple[Action, tuple[str, ...]]


def _differences(current: object, wanted: Mapping[str, object]) -> dict[str, object]:
    return {name: value for name, value in wanted.items() if getattr(current, name) != value}


async def _person(ctx: _Context, row: PersonRow) -> Applied:
    person = await find_by_national_id(ctx.session, ctx.principal.municipality_id, row.national_id, key=ctx.key)
    details = {"given_name": row.given_name, "family_name": row.family_name, "phone": row.phone, "email": row.email,
               "language": row.language, "address": row.address}  # fmt: skip
    given = {name: value for name, value in details.items() if value is not None}
    if person is None:
        new = NewPerson(row.national_id, row.given_name, row.family_name, phone=row.phone, email=row.email,
                        language=row.language or "nb", address=row.address)  # fmt: skip
        await create_person(ctx.session, ctx.principal, ctx.origin, new, key=ctx.key)
        return "create", ()
    changes = _differences(person, given)
    if not changes:
        return "unchanged", ()
    await update_person(ctx.session, ctx.principal, ctx.origin, person, changes)
    return "update", tuple(changes)


async def _known(ctx: _Context, national_id: str, column: str) -> Person:
    person = await find_by_national_id(ctx.session, ctx.principal.municipality_id, national_id, key=ctx.key)
    if person is None:
        raise RowRefusedError("import_unknown_person", column)
    return person


async def _proxy(ctx: _Context, row: ProxyRow) -> Applied:
    proxy = await _known(ctx, row.national_id, "national_id")
    recipient = await _known(ctx, row.recipient_national_id, "recipient_national_id")
    link = await ctx.session.scalar(
        select(ProxyLink).where(ProxyLink.municipality_id == ctx.principal.municipality_id,
                                ProxyLink.proxy_id == proxy.id, ProxyLink.recipient_id == recipient.id,
                                ProxyLink.valid_from == row.valid_from)
    )  # fmt: skip
    wanted: dict[str, object] = {"kind": row.kind, "valid_to": row.valid_to, "reminders": row.reminders}
    if link is None:
        created = await link_proxy(ctx.session, ctx.principal, ctx.origin, proxy_id=proxy.id,
                                   recipient_id=recipient.id, kind=row.kind, valid_from=row.valid_from,
                                   valid_to=row.valid_to, today=ctx.today)  # fmt: skip
        created.reminders = row.reminders
        return "create", ()
    if link.ended_at is not None:
        raise RowRefusedError("import_proxy_link_ended", "valid_from")
    changes = _differences(link, wanted)
    if not changes:
        return "unchanged", ()
    await update_proxy_link(ctx.session, ctx.principal, ctx.origin, link, changes=changes, today=ctx.today)
    return "update", tuple(changes)


async def _service(ctx: _Context, row: DecisionRow) -> Service:
    municipality = ctx.principal.municipality_id
    try:
        by_id: uuid.UUID | None = uuid.UUID(row.service)
    except ValueError:
        by_id = None
    query = select(Service).join(Department, Department.id == Service.department_id)
    query = query.where(Service.municipality_id == municipality)
    if by_id is not None:
        query = query.where(Service.id == by_id)
    else:
        query = query.where(func.lower(Service.name["nb"].astext) == row.service.lower(), Service.active)
    if row.department is not None:
        query = query.where(func.lower(Department.name) == row.department.lower())
    found = (await ctx.session.scalars(query.limit(2))).all()
    if not found:
        raise RowRefusedError("import_unknown_service", "service" if row.department is None else "department")
    if len(found) > 1:
        raise RowRefusedError("import_ambiguous_service", "department")
    return found[0]


async def _decision(ctx: _Context, row: DecisionRow) -> Applied:
    recipient = await _known(ctx, row.recipient_national_id, "recipient_national_id")
    service = await _service(ctx, row)
    existing = await ctx.session.scalar(
        select(Allocation).where(Allocation.municipality_id == ctx.principal.municipality_id,
                                 Allocation.external_ref == row.ref)
    )  # fmt: skip
    await grant_role(ctx.session, ctx.principal, ctx.origin, person_id=recipient.id, role="recipient",
                     department_id=None)  # fmt: skip
    if existing is None:
        data = AllocationInput(recipient_id=recipient.id, service_id=service.id, minutes=row.minutes,
                               period=row.period, valid_from=row.valid_from, period_anchor=row.period_anchor,
                               valid_to=row.valid_to, kind=row.kind, evaluation_date=row.evaluation_date,
                               external_ref=row.ref, review_date=row.review_date)  # fmt: skip
        await create_allocation(ctx.session, ctx.principal, ctx.origin, data)
        return "create", ()
    fixed = {"recipient_id": recipient.id, "service_id": service.id, "period": row.period,
             "period_anchor": row.period_anchor}  # fmt: skip
    moved = _differences(existing, fixed)
    if moved:
        column = {"recipient_id": "recipient_national_id", "service_id": "service"}.get(next(iter(moved)), "period")
        raise RowRefusedError("import_decision_fixed", column, allocation_id=str(existing.id))
    wanted: dict[str, object] = {"minutes": row.minutes, "valid_from": row.valid_from, "valid_to": row.valid_to,
                                 "kind": row.kind, "evaluation_date": row.evaluation_date}  # fmt: skip
    if row.review_date is not None:
        wanted["review_date"] = row.review_date
    changes = _differences(existing, wanted)
    if not changes:
        return "unchanged", ()
    await update_allocation(ctx.session, ctx.principal, ctx.origin, allocation_id=existing.id, changes=changes,
                            today=ctx.today)  # fmt: skip
    return "update", tuple(changes)


_ORDER = {PersonRow: 0, ProxyRow: 1, DecisionRow: 2}  # people first, then the links and decisions naming them


async def _step(ctx: _Context, row: Row) -> Applied:
    if isinstance(row, PersonRow):
        return await _person(ctx, row)
    if isinstance(row, ProxyRow):
        return await _proxy(ctx, row)
    return await _decision(ctx, row)


async def _apply(ctx: _Context, row: Row) -> RowOutcome:
    try:
        async with ctx.session.begin_nested():
            action, changed = await _step(ctx, row)
    except RowRefusedError as exc:
        refusal = Refusal(row.row, exc.column, exc.code, exc.fields)
    except DomainError as exc:
        refusal = Refusal(row.row, None, exc.code, exc.fields)
    except DBAPIError:  # a value the database will not hold, that the checks above did not foresee
        refusal = Refusal(row.row, None, "import_not_saved")
    else:
        return RowOutcome(row.row, _record(row), action, _subject(row), changed)
    return RowOutcome(row.row, _record(row), "refuse", _subject(row), refusals=(refusal,))


async def import_rows(  # noqa: PLR0913 - keyword-only after the file; each is one choice of the caller
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    read: ReadFile,
    *,
    key: bytes,
    today: date,
    dry_run: bool = False,
    skip_refused: bool = False,
) -> Report:
    """Apply the rows read from the export (people first, then proxy links, then decisions); report each.

    The caller commits when `Report.keep` says so and rolls back otherwise (a dry run writes the same rows,
    with the same checks, and is rolled back: what it reports is what a real run would do).
    """
    if not principal.is_municipality_admin:
        raise ForbiddenError
    report = Report(read.encoding, dry_run=dry_run, skip_refused=skip_refused)
    by_row: dict[int, list[Refusal]] = {}
    for refusal in read.refusals:
        by_row.setdefault(refusal.row, []).append(refusal)
    report.outcomes += [RowOutcome(row, "", "refuse", "", refusals=tuple(found)) for row, found in by_row.items()]
    ctx = _Context(session, principal, origin, key, today)
    for row in sorted(read.rows, key=lambda r: _ORDER[type(r)]):  # stable: in file order within each kind
        report.outcomes.append(await _apply(ctx, row))
    report.outcomes.sort(key=lambda o: o.row)
    await record(session, principal, origin, action="case_import.run", object_type="case_import", object_id=None)
    return report
