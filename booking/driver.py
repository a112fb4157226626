"""Booking on the database driver itself (asyncpg, no ORM): the API's hot path, and the one home of its SQL.

Issue 18 measured where a booking's CPU went: more than half into SQLAlchemy's ORM (a greenlet a statement,
result processing, the identity map), for three statements that need none of it. Here a booking is two
statements on the driver, plain rows in and out:

1. `CONTEXT`: the service and its department, the recipient's decision valid on the visit's local date, the
   booking an earlier request with the same Idempotency-Key made, and the facts access needs (whether the
   recipient is of the caller's municipality, which departments serve them, whether the caller is their proxy
   or coordinator). The pure rules (`booking.rules`, `booking.service.plan`) then decide without a lock.
2. `BOOK_VISIT`: the function `book_visit` (`booking/sql/book_visit.sql`: the locks in DESIGN.md's order, the
   insert under the exclusion constraint) with the outbox event `created` and the audit entry `booking.create`,
   in one statement: whole by itself, so it needs no transaction around it.

The ORM's callers (`booking.service.book_once`, the waitlist) run the same statements on their session's
connection (`core.db.driver_of`), inside their transaction, and load the booking as an ORM object after.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import asyncpg

from booking import ledger
from booking.access import may_act_in_department
from booking.errors import BookingRefusedError, refusal
from core.errors import NotFoundError
from people.access import Principal
from people.audit import Origin

if TYPE_CHECKING:
    from booking.service import BookRequest


class ServiceFacts(NamedTuple):
    """What a booking reads of its service."""

    id: uuid.UUID
    active: bool
    durations: list[int]
    buffer_before: int
    buffer_after: int
    staff_units: int


class DepartmentFacts(NamedTuple):
    """What a booking reads of the service's department."""

    id: uuid.UUID
    municipality_id: uuid.UUID
    timezone: str
    grid_minutes: int
    horizon_days: int
    notice_hours: int
    cancel_deadline_hours: int


class AllocationFacts(NamedTuple):
    """The recipient's decision on the service valid on the visit's date."""

    id: uuid.UUID
    municipality_id: uuid.UUID
    minutes: int
    period: str
    period_anchor: date | None


@dataclass(frozen=True, slots=True)
class Reach:
    """What access to a recipient's data in a department depends on, beyond the caller's roles."""

    recipient_found: bool  # the recipient is a person of the caller's municipality
    serving: frozenset[uuid.UUID]  # departments with a decision of theirs valid today or later
    proxy: bool  # the caller holds a proxy link to them valid today
    coordinator: bool  # the caller is their coordinator today


# The caller's person and token are NULL when not one: `= NULL` matches nothing. Today is the department's.
CONTEXT = """
SELECT s.id, s.active, s.durations, s.buffer_before, s.buffer_after, s.staff_units,
       d.id, d.municipality_id, d.timezone, d.grid_minutes, d.horizon_days, d.notice_hours, d.cancel_deadline_hours,
       a.id, a.municipality_id, a.minutes, a.period, a.period_anchor,
       (SELECT e.id FROM booking e
         WHERE e.municipality_id = $2 AND e.idempotency_scope = $5 AND e.idempotency_key = $6) AS earlier,
       EXISTS (SELECT 1 FROM person r WHERE r.id = $3 AND r.municipality_id = $2) AS recipient_found,
       ARRAY(SELECT v.department_id FROM allocation v
              WHERE v.recipient_id = $3 AND (v.valid_to IS NULL OR v.valid_to >= t.today)) AS serving,
       EXISTS (SELECT 1 FROM proxy_link p
                WHERE p.proxy_id = $7 AND p.recipient_id = $3 AND p.municipality_id = $2 AND p.ended_at IS NULL
                  AND p.valid_from <= t.today AND (p.valid_to IS NULL OR p.valid_to >= t.today)) AS proxy,
       EXISTS (SELECT 1 FROM coordinator c
                WHERE c.staff_id = $7 AND c.recipient_id = $3 AND c.municipality_id = $2
                  AND c.valid_from <= t.today AND (c.valid_to IS NULL OR c.valid_to >= t.today)) AS coordinator
FROM service s
JOIN department d ON d.id = s.department_id
CROSS JOIN LATERAL (SELECT CAST(timezone(d.timezone, $4) AS date) AS visit_day,
                           CAST(timezone(d.timezone, $8) AS date) AS today) AS t
LEFT JOIN LATERAL (SELECT v.id, v.municipality_id, v.minutes, v.period, v.period_anchor FROM allocation v
                    WHERE v.recipient_id = $3 AND v.service_id = s.id AND v.valid_from <= t.visit_day
                      AND (v.valid_to IS NULL OR v.valid_to >= t.visit_day)
                    ORDER BY v.valid_from DESC LIMIT 1) AS a ON true
WHERE s.id = $1 AND s.municipality_id = $2
"""

# Writes, only for a booking this request inserted (not one an earlier request with the same key made), the
# outbox event and the audit entry: the rows `outbox.emit(..., "created")` and `people.audit.record(...,
# action="booking.create")` would add, in the same statement.
BOOK_VISIT = """
WITH b AS (
    SELECT * FROM book_visit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                             $20, $21)
), event AS (
    INSERT INTO booking_event (municipality_id, booking_id, kind, details)
    SELECT b.municipality_id, b.id, 'created', '{}' FROM b WHERE b.id = $1
), audit AS (
    INSERT INTO audit_entry (municipality_id, actor_person_id, actor_token_id, subject_person_id, action, object_type,
                             object_id, outcome, ip, user_agent, request_id)
    SELECT b.municipality_id, b.actor_person_id, b.actor_token_id, b.recipient_id, 'booking.create', 'booking',
           CAST(b.id AS text), 'ok', $22, $23, $24
    FROM b WHERE b.id = $1
)
SELECT * FROM b
"""

BOOKING = "SELECT * FROM booking WHERE id = $1"


@dataclass(frozen=True, slots=True)
class Context:
    """A booking's context as `CONTEXT` reads it (see `booking.service.Context` for the ORM's)."""

    service: ServiceFacts
    department: DepartmentFacts
    allocation: AllocationFacts | None
    earlier_id: uuid.UUID | None
    reach: Reach


def _context(row: asyncpg.Record) -> Context:
    allocation = AllocationFacts(*row[13:18]) if row[13] is not None else None
    reach = Reach(row["recipient_found"], frozenset(row["serving"]), row["proxy"], row["coordinator"])
    return Context(ServiceFacts(*row[0:6]), DepartmentFacts(*row[6:13]), allocation, row["earlier"], reach)


def acted_by(principal: Principal, recipient_id: uuid.UUID, *, proxy: bool) -> str:
    """Who is acting, as the booking records it: an integration, the recipient, a proxy, an admin or staff."""
    if principal.token_id is not None:
        return "integration"
    if principal.person_id == recipient_id:
        return "recipient"
    if proxy:
        return "proxy"
    if principal.is_municipality_admin or principal.departments("department_admin"):
        return "admin"
    return "staff"


def where(origin: Origin) -> tuple[str | None, str | None, str | None]:
    """Where the request came from, for the audit entries the functions write: address, user agent, request id."""
    return origin.ip, (origin.user_agent or "")[:400] or None, origin.request_id


async def fetch_refusing(conn: asyncpg.Connection, statement: str, *args: Any) -> asyncpg.Record | None:  # noqa: ANN401
    """`conn.fetchrow`, a function's refusal raised as `BookingRefusedError` (the statement then did nothing)."""
    try:
        return await conn.fetchrow(statement, *args)
    except asyncpg.PostgresError as exc:
        refused = refusal(exc)
        if refused is None:
            raise
        raise refused from exc


def idempotency_scope(principal: Principal) -> str:
    """Keys are the sender's own: one person's key never finds another's booking."""
    return str(principal.person_id or principal.token_id)


async def book(  # noqa: PLR0913 - keyword-only after the request; each is needed
    conn: asyncpg.Connection, principal: Principal, origin: Origin, request: BookRequest, *, key: str, now: datetime
) -> tuple[asyncpg.Record, bool]:
    """Book a visit, or find the booking an earlier request with the same Idempotency-Key made.

    Returns:
        The booking's row, and whether it was an earlier request's (a retry, answered with the first answer).

    Raises:
        NotFoundError: an unknown service, or a recipient the caller may not see in its department.
        BookingRefusedError: why not (the pure rules, the decision, or `book_visit`'s refusals).

    """
    from booking.service import plan  # noqa: PLC0415 - service imports this module

    scope = idempotency_scope(principal)
    row = await conn.fetchrow(CONTEXT, request.service_id, principal.municipality_id, request.recipient_id,
                              request.start, scope, key, principal.person_id, now)  # fmt: skip
    if row is None:
        raise NotFoundError(service_id=str(request.service_id))
    context = _context(row)
    if context.earlier_id is not None:
        earlier = await conn.fetchrow(BOOKING, context.earlier_id)
        assert earlier is not None  # noqa: S101 - found a moment ago; bookings are never deleted
        return earlier, True
    if not context.service.active:
        raise BookingRefusedError("service_retired")
    department = context.department
    if not may_act_in_department(principal, request.recipient_id, department.id, **_reach(context.reach)):
        raise NotFoundError
    claim = plan(context, request, now)  # type: ignore[arg-type]  # the facts have the ORM objects' attributes
    new_id = uuid.uuid4()
    booking = await fetch_refusing(
        conn, BOOK_VISIT, new_id, department.municipality_id, request.recipient_id, department.id,
        request.service_id, claim.allocation.id, claim.period_start, claim.period_end, claim.allocation.minutes,
        request.start, request.start + timedelta(minutes=request.minutes), claim.span_start, claim.span_end,
        claim.minutes, claim.staff_units, claim.cells_needed,
        acted_by(principal, request.recipient_id, proxy=context.reach.proxy), principal.person_id,
        principal.token_id, key, scope, *where(origin),
    )  # fmt: skip
    assert booking is not None  # noqa: S101 - book_visit returns the booking or refuses
    return booking, booking["id"] != new_id  # another id: the same key won a moment ago


def _reach(reach: Reach) -> dict[str, Any]:
    return {"serving": reach.serving, "proxy": reach.proxy, "coordinator": reach.coordinator,
            "recipient_found": reach.recipient_found}  # fmt: skip


async def book_claim(
    conn: asyncpg.Connection, claim: ledger.Claim, new: ledger.NewBooking, origin: Origin
) -> uuid.UUID:
    """`book_visit` for a claim planned already (the waitlist's accept), in the caller's transaction: its id.

    The id differs from `new.id` when another request with the same Idempotency-Key committed meanwhile.
    """
    allocation = claim.allocation
    row = await fetch_refusing(
        conn, BOOK_VISIT, new.id, allocation.municipality_id, new.recipient_id, claim.department_id, new.service_id,
        allocation.id, claim.period_start, claim.period_end, allocation.minutes, new.starts_at, new.ends_at,
        claim.span_start, claim.span_end, claim.minutes, claim.staff_units, claim.cells_needed, new.acted_by,
        new.actor_person_id, new.actor_token_id, new.idempotency_key, new.idempotency_scope, *where(origin),
    )  # fmt: skip
    assert row is not None  # noqa: S101 - book_visit returns the booking or refuses
    return uuid.UUID(str(row["id"]))
