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

A signed-in recipient booking their own visit, the common case, takes one statement instead (`_book_own`): the
service's and department's facts a context read last are kept (`FACTS`), the visit is planned from them, and
`BOOK_OWN_VISIT` (`booking/sql/book_own_visit.sql`) checks those facts, the recipient and their decision in the
same statement as the booking. Access needs nothing more for one's own data; anyone else's booking, and any fact
found changed, take the two statements above.

The ORM's callers (`booking.service.book_once`, the waitlist) run the same statements on their session's
connection (`core.db.driver_of`), inside their transaction, and load the booking as an ORM object after.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

import asyncpg

from booking import ledger, rules
from booking.access import may_act_in_department
from booking.errors import BookingRefusedError, refusal
from core.errors import NotFoundError
from people.access import CALLER, Caller, Principal, principal_of
from people.audit import Origin


@dataclass(frozen=True)
class BookRequest:
    """A recipient's visit of `minutes` of a service from `start`."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    start: datetime
    minutes: int


class ServiceLike(Protocol):
    """What planning a visit reads of its service (the ORM's `Service`, or `ServiceFacts`)."""

    @property
    def durations(self) -> list[int]: ...  # noqa: D102 - as the class says
    @property
    def buffer_before(self) -> int: ...  # noqa: D102
    @property
    def buffer_after(self) -> int: ...  # noqa: D102
    @property
    def staff_units(self) -> int: ...  # noqa: D102


class DepartmentLike(Protocol):
    """What planning a visit reads of its department (the ORM's `Department`, or `DepartmentFacts`)."""

    @property
    def id(self) -> uuid.UUID: ...  # noqa: D102 - as the class says
    @property
    def timezone(self) -> str: ...  # noqa: D102
    @property
    def grid_minutes(self) -> int: ...  # noqa: D102
    @property
    def horizon_days(self) -> int: ...  # noqa: D102
    @property
    def notice_hours(self) -> int: ...  # noqa: D102
    @property
    def cancel_deadline_hours(self) -> int: ...  # noqa: D102


class ContextLike(Protocol):
    """A visit's context as planning reads it (`booking.service.Context`, or this module's `Context`)."""

    @property
    def service(self) -> ServiceLike: ...  # noqa: D102 - as the class says
    @property
    def department(self) -> DepartmentLike: ...  # noqa: D102
    @property
    def allocation(self) -> ledger.AllocationLike | None: ...  # noqa: D102


def policy_of(department: DepartmentLike) -> rules.Policy:
    """The department's booking policy for the pure rules."""
    return rules.Policy(
        zone=ZoneInfo(department.timezone),
        grid_minutes=department.grid_minutes,
        horizon_days=department.horizon_days,
        notice_hours=department.notice_hours,
        cancel_deadline_hours=department.cancel_deadline_hours,
    )


@dataclass(frozen=True, slots=True)
class Span:
    """What a visit takes from the department: from `start` to `end`, `cells` grid cells; on local date `day`."""

    day: date
    start: datetime
    end: datetime
    cells: int


def span_of(service: ServiceLike, department: DepartmentLike, request: BookRequest, now: datetime) -> Span:
    """Check the pure rules (lengths, the grid, notice, horizon) and work out what the visit would occupy."""
    policy = policy_of(department)
    problem = rules.start_problem(request.start, request.minutes, list(service.durations), policy, now)
    if problem is not None:
        raise BookingRefusedError(problem)
    start, end = rules.occupied(request.start, request.minutes, service.buffer_before, service.buffer_after)
    cells = rules.cells_covering(start, end, department.grid_minutes)
    return Span(request.start.astimezone(policy.zone).date(), start, end, cells)


def plan(context: ContextLike, request: BookRequest, now: datetime) -> ledger.Claim:
    """Check everything that needs no lock (the pure rules, the decision), and work out what the visit would take."""
    service, department, allocation = context.service, context.department, context.allocation
    span = span_of(service, department, request, now)
    if allocation is None:
        raise BookingRefusedError("no_valid_allocation", date=span.day.isoformat())
    period = rules.period_of(allocation.period, allocation.period_anchor, span.day)
    return ledger.Claim(
        allocation=allocation,
        period_start=period.start,
        period_end=period.end,
        minutes=request.minutes,
        department_id=department.id,
        span_start=span.start,
        span_end=span.end,
        staff_units=service.staff_units,
        cells_needed=span.cells,
    )


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


# What access to the recipient's data depends on (`Reach`), as columns of a context query: `recipient`,
# `municipality` and `caller` (the caller's person, NULL for a token: `= NULL` matches nothing) are its
# parameters; `t.today` is the department's local date (`_DAYS`).
_REACH = """EXISTS (SELECT 1 FROM person r
                WHERE r.id = {recipient} AND r.municipality_id = {municipality}) AS recipient_found,
       ARRAY(SELECT v.department_id FROM allocation v
              WHERE v.recipient_id = {recipient} AND (v.valid_to IS NULL OR v.valid_to >= t.today)) AS serving,
       EXISTS (SELECT 1 FROM proxy_link p
                WHERE p.proxy_id = {caller} AND p.recipient_id = {recipient} AND p.municipality_id = {municipality}
                  AND p.ended_at IS NULL AND p.valid_from <= t.today
                  AND (p.valid_to IS NULL OR p.valid_to >= t.today)) AS proxy,
       EXISTS (SELECT 1 FROM coordinator c
                WHERE c.staff_id = {caller} AND c.recipient_id = {recipient} AND c.municipality_id = {municipality}
                  AND c.valid_from <= t.today AND (c.valid_to IS NULL OR c.valid_to >= t.today)) AS coordinator"""
# The visit's local date and today's, in the department's zone (`d`).
_DAYS = """CROSS JOIN LATERAL (SELECT CAST(timezone(d.timezone, {visit}) AS date) AS visit_day,
                           CAST(timezone(d.timezone, {now}) AS date) AS today) AS t"""
# The recipient's decision on the service valid on the visit's date (`a`, the latest that began by then).
_DECISION = """LEFT JOIN LATERAL (SELECT v.id, v.municipality_id, v.minutes, v.period, v.period_anchor FROM allocation v
                    WHERE v.recipient_id = {recipient} AND v.service_id = {service} AND v.valid_from <= t.visit_day
                      AND (v.valid_to IS NULL OR v.valid_to >= t.visit_day)
                    ORDER BY v.valid_from DESC, v.id DESC LIMIT 1) AS a ON true"""

CONTEXT = """
SELECT s.id, s.active, s.durations, s.buffer_before, s.buffer_after, s.staff_units,
       d.id, d.municipality_id, d.timezone, d.grid_minutes, d.horizon_days, d.notice_hours, d.cancel_deadline_hours,
       a.id, a.municipality_id, a.minutes, a.period, a.period_anchor,
       (SELECT e.id FROM booking e
         WHERE e.municipality_id = $2 AND e.idempotency_scope = $5 AND e.idempotency_key = $6) AS earlier,
       {reach},
       {caller}
FROM service s
JOIN department d ON d.id = s.department_id
{days}
{decision}
WHERE s.id = $1 AND s.municipality_id = $2
""".format(  # noqa: S608 - the fragments are this module's constants; the values are parameters
    reach=_REACH.format(recipient="$3", municipality="$2", caller="$7"),
    caller=CALLER.format(person="$7", municipality="$2"),
    days=_DAYS.format(visit="$4", now="$8"),
    decision=_DECISION.format(recipient="$3", service="s.id"),
)

# A booking function's call (its first parameter the new booking's id, its 22nd to 24th where the request came from)
# that writes, only for a booking this request inserted (not one an earlier request with the same key made), the
# outbox event and the audit entry: the rows `outbox.emit(..., "created")` and `people.audit.record(...,
# action="booking.create")` would add, in the same statement.
_CREATED = """
WITH b AS (
    SELECT * FROM {call}
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
_ARGUMENTS = "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
BOOK_VISIT = _CREATED.replace("{call}", "book_visit" + _ARGUMENTS)
# A recipient's own booking in one statement (`book_own_visit`): no row when the facts planned with are not the
# database's, and then nothing was written.
BOOK_OWN_VISIT = _CREATED.replace("{call}", "book_own_visit" + _ARGUMENTS)

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
    reach = reach_of(row)
    return Context(ServiceFacts(*row[0:6]), DepartmentFacts(*row[6:13]), allocation, row["earlier"], reach)


def reach_of(row: asyncpg.Record) -> Reach:
    """The `_REACH` columns of a context query's row."""
    return Reach(row["recipient_found"], frozenset(row["serving"]), row["proxy"], row["coordinator"])


def reaches(principal: Principal, recipient_id: uuid.UUID, department_id: uuid.UUID, reach: Reach) -> bool:
    """Whether the principal may see and act on the recipient's data in the department (`may_act_in_department`)."""
    return may_act_in_department(principal, recipient_id, department_id, recipient_found=reach.recipient_found,
                                 serving=reach.serving, proxy=reach.proxy, coordinator=reach.coordinator)  # fmt: skip


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


def idempotency_scope(caller: Caller) -> str:
    """Keys are the sender's own: one person's key never finds another's booking."""
    return str(caller.person_id or caller.token_id)


async def book(  # noqa: PLR0913 - keyword-only after the request; each is needed
    conn: asyncpg.Connection, caller: Caller, origin: Origin, request: BookRequest, *, key: str, now: datetime
) -> tuple[asyncpg.Record, bool]:
    """Book a visit, or find the booking an earlier request with the same Idempotency-Key made.

    Returns:
        The booking's row, and whether it was an earlier request's (a retry, answered with the first answer).

    Raises:
        NotFoundError: an unknown service, or a recipient the caller may not see in its department.
        BookingRefusedError: why not (the pure rules, the decision, or `book_visit`'s refusals).

    """
    scope = idempotency_scope(caller)
    if caller.token_id is None and caller.person_id == request.recipient_id:
        own = await _book_own(conn, caller, origin, request, key=key, now=now)
        if own is not None:
            return own
    row = await conn.fetchrow(CONTEXT, request.service_id, caller.municipality_id, request.recipient_id,
                              request.start, scope, key, caller.person_id, now)  # fmt: skip
    if row is None:
        raise NotFoundError(service_id=str(request.service_id))
    principal = principal_of(caller, row["caller_found"], row["caller_roles"])
    context = _context(row)
    FACTS.keep(context.service, context.department)
    if context.earlier_id is not None:
        earlier = await conn.fetchrow(BOOKING, context.earlier_id)
        assert earlier is not None  # noqa: S101 - found a moment ago; bookings are never deleted
        return earlier, True
    if not context.service.active:
        raise BookingRefusedError("service_retired")
    department = context.department
    if not reaches(principal, request.recipient_id, department.id, context.reach):
        raise NotFoundError
    claim = plan(context, request, now)
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


class KeptFacts:
    """The facts of the services booked lately and of their departments, as the last context read them.

    They let a recipient's own booking be planned before anything is read (`_book_own`); `book_own_visit` checks
    them against the database in the same statement as the booking, so a fact changed since only costs that
    booking the longer way. At most `size` services are kept, the least recently booked let go first.
    """

    def __init__(self, size: int = 1024) -> None:
        """Keep nothing yet, and at most `size` services' facts."""
        self.size = size
        self._facts: OrderedDict[uuid.UUID, tuple[ServiceFacts, DepartmentFacts]] = OrderedDict()

    def keep(self, service: ServiceFacts, department: DepartmentFacts) -> None:
        """Keep (or renew) a service's and its department's facts."""
        self._facts[service.id] = (service, department)
        self._facts.move_to_end(service.id)
        if len(self._facts) > self.size:
            self._facts.popitem(last=False)

    def get(self, service_id: uuid.UUID) -> tuple[ServiceFacts, DepartmentFacts] | None:
        """A service's and its department's facts, when kept."""
        found = self._facts.get(service_id)
        if found is not None:
            self._facts.move_to_end(service_id)
        return found


FACTS = KeptFacts()


async def _book_own(  # noqa: PLR0913 - keyword-only after the request, as `book`
    conn: asyncpg.Connection, caller: Caller, origin: Origin, request: BookRequest, *, key: str, now: datetime
) -> tuple[asyncpg.Record, bool] | None:
    """A recipient's booking of their own visit in one statement, planned from the kept facts; None: take the long way.

    The long way (`book`'s context read) is taken when no facts are kept for the service, when the pure rules
    refuse on the kept facts (the long way then says why, or finds a retry's booking first), and when
    `book_own_visit` finds anything other than it was planned for.
    """
    kept = FACTS.get(request.service_id)
    if kept is None:
        return None
    service, department = kept
    if department.municipality_id != caller.municipality_id:
        return None
    try:
        span = span_of(service, department, request, now)
    except BookingRefusedError:
        return None
    new_id = uuid.uuid4()
    booking = await fetch_refusing(
        conn, BOOK_OWN_VISIT, new_id, caller.municipality_id, request.recipient_id, request.service_id, department.id,
        request.start, request.start + timedelta(minutes=request.minutes), span.start, span.end, request.minutes,
        key, idempotency_scope(caller), service.durations, service.buffer_before, service.buffer_after,
        service.staff_units, span.cells, department.timezone, department.grid_minutes, department.horizon_days,
        department.notice_hours, *where(origin),
    )  # fmt: skip
    if booking is None:
        return None
    return booking, booking["id"] != new_id  # another id: an earlier request's with the same key


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


# A booking as a change reads it, with its service, department and reach (as `CONTEXT`), and, for a move, the
# decision valid on the new date ($4: the new start; NULL for a cancellation, which then finds none). $3 is the
# caller's person (NULL for a token), $5 now.
CHANGE_CONTEXT = """
SELECT s.id, s.active, s.durations, s.buffer_before, s.buffer_after, s.staff_units,
       d.id, d.municipality_id, d.timezone, d.grid_minutes, d.horizon_days, d.notice_hours, d.cancel_deadline_hours,
       a.id, a.municipality_id, a.minutes, a.period, a.period_anchor,
       CAST(NULL AS uuid) AS earlier,
       {reach},
       {caller},
       b.recipient_id AS booked_recipient, b.department_id AS booked_department, b.status AS booked_status,
       b.starts_at AS booked_start, b.minutes AS booked_minutes, b.sequence AS booked_sequence,
       d.late_cancel_uses_allocation
FROM booking b
JOIN service s ON s.id = b.service_id
JOIN department d ON d.id = b.department_id
{days}
{decision}
WHERE b.id = $1 AND b.municipality_id = $2
""".format(
    reach=_REACH.format(recipient="b.recipient_id", municipality="$2", caller="$3"),
    caller=CALLER.format(person="$3", municipality="$2"),
    days=_DAYS.format(visit="$4", now="$5"),
    decision=_DECISION.format(recipient="b.recipient_id", service="s.id"),
)
CANCEL_VISIT = "SELECT * FROM cancel_visit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
# A recipient's cancellation of their own booking in one statement: no row when it is not theirs, not active, begun,
# or changed meanwhile, and then nothing was written.
CANCEL_OWN_VISIT = "SELECT * FROM cancel_own_visit($1, $2, $3, $4, $5, $6, $7)"
MOVE_VISIT = (
    "SELECT * FROM move_visit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
    "$20)"
)
ATTEMPTS = 3
"""How often a change reads a booking that another change keeps changing under it, before answering "busy"."""


@dataclass(frozen=True, slots=True)
class Booked:
    """An active, upcoming booking as a change reads it (unlocked): its context and what the change checks."""

    context: Context
    recipient_id: uuid.UUID
    department_id: uuid.UUID
    starts_at: datetime
    minutes: int
    sequence: int
    late_cancel_uses_allocation: bool


async def _booked(
    conn: asyncpg.Connection, caller: Caller, booking_id: uuid.UUID, now: datetime, new_start: datetime | None
) -> tuple[Principal, Booked]:
    """The booking if the caller may change it (404 otherwise), active (`not_active`) and not begun (`in_the_past`)."""
    row = await conn.fetchrow(CHANGE_CONTEXT, booking_id, caller.municipality_id, caller.person_id, new_start, now)
    if row is None:
        raise NotFoundError
    principal = principal_of(caller, row["caller_found"], row["caller_roles"])
    context = _context(row)
    recipient, department = row["booked_recipient"], row["booked_department"]
    if not reaches(principal, recipient, department, context.reach):
        raise NotFoundError
    if row["booked_status"] != "booked":
        raise BookingRefusedError("not_active", booking_status=row["booked_status"])
    if row["booked_start"] <= now:
        raise BookingRefusedError("in_the_past")
    return principal, Booked(context, recipient, department, row["booked_start"], row["booked_minutes"],
                             row["booked_sequence"], row["late_cancel_uses_allocation"])  # fmt: skip


async def cancel(
    conn: asyncpg.Connection, caller: Caller, origin: Origin, booking_id: uuid.UUID, *, now: datetime
) -> asyncpg.Record:
    """Cancel: staff time always comes back; within the deadline the department's policy decides the minutes.

    Read and decided without a lock, then `cancel_visit` once, which changes the booking only if it is as read
    (its sequence); if another change came between, it is read again and decided anew. Returns the booking's row.
    A signed-in person's own booking is first tried in one statement (`cancel_own_visit`, the same decision in
    SQL); anyone else's, and anything that statement does not take, costs that one extra statement (a lookup by
    the booking's key) before the long way.
    """
    if caller.token_id is None:
        row = await fetch_refusing(conn, CANCEL_OWN_VISIT, booking_id, caller.municipality_id, caller.person_id, now,
                                   *where(origin))  # fmt: skip
        if row is not None:
            return row
    for _ in range(ATTEMPTS):
        principal, booked = await _booked(conn, caller, booking_id, now, None)
        late = rules.is_late_cancellation(booked.starts_at, now, policy_of(booked.context.department))
        status = "late_cancelled" if late else "cancelled"
        minutes_back = not (late and booked.late_cancel_uses_allocation)
        row = await fetch_refusing(
            conn, CANCEL_VISIT, booking_id, principal.municipality_id, status, minutes_back, now, principal.person_id,
            principal.token_id, *where(origin), booked.sequence,
        )  # fmt: skip
        if row is not None:
            return row
    raise BookingRefusedError("busy")


async def move(  # noqa: PLR0913 - keyword-only after the booking; each is needed
    conn: asyncpg.Connection, caller: Caller, origin: Origin, booking_id: uuid.UUID, *, start: datetime,
    minutes: int | None, now: datetime,
) -> asyncpg.Record:  # fmt: skip
    """Move a booking: give back the old time, take the new; if that fails, nothing moved. The booking's row.

    The new time is checked like a booking's (`plan`) without a lock; then `move_visit` once, which changes the
    booking only if it is as read (its sequence), or it is read again and decided anew.
    """
    for _ in range(ATTEMPTS):
        principal, booked = await _booked(conn, caller, booking_id, now, start)
        service = booked.context.service
        if not service.active:
            raise BookingRefusedError("service_retired")
        claim = plan(
            booked.context, BookRequest(booked.recipient_id, service.id, start, minutes or booked.minutes), now
        )
        allocation = claim.allocation
        row = await fetch_refusing(
            conn, MOVE_VISIT, booking_id, principal.municipality_id, allocation.id, claim.period_start,
            claim.period_end, allocation.minutes, start, start + timedelta(minutes=claim.minutes), claim.span_start,
            claim.span_end, claim.minutes, claim.staff_units, claim.cells_needed, now, principal.person_id,
            principal.token_id, *where(origin), booked.sequence,
        )  # fmt: skip
        if row is not None:
            return row
    raise BookingRefusedError("busy")
