"""Free times on the database driver, computed in PostgreSQL: the API's availability (issue 18).

`booking.availability.load_free_times` reads the ledger and runs `grid_free_times` in Python: a few hundred starts
times each length, then a struct each to encode, about 5 ms of the API's CPU for 14 days. Here the same
calculation runs where the ledger is, in the function `free_slots` (`booking/sql/free_slots.sql`, held equal to
`grid_free_times` by tests/integration/test_free_slots.py), which hands back each day's starts as the JSON the API
answers with. Python keeps what is per recipient and small: access, the decisions' allowances a date
(`availability.allowances_of`, the same code as the ORM's), and the envelope.

After the caller's statement, `CONTEXT` (the service, department, access facts, the booking being moved and the
recipient's decisions). Then, for a move (or a service whose buffers and lengths pass `REACH_MINUTES`), `FREE`: cells,
own bookings and `free_slots` at once, the moved visit's span given back. Every other read takes the department's
grid as it is for everyone (`DayGrid`: `free_slots` with no one's own visits, minutes or notice), kept a local day at
a time in the process (`GRIDS`) while the cells of the UTC days around it stay as they were: `CHECK` reads each UTC
day's signature (the count of its open cells and a hash sum of each one's start and free units) with the recipient's
own visits, `PLAIN` makes again only the days whose signatures moved, and `apply` puts in what is the recipient's.
The grid was PostgreSQL's largest cost of a read (about 3 ms of its 3.8); a read whose cells are unchanged costs it
about 0.5 ms, and a booking makes again the five days around its date, not fourteen (`bench.rush`).
"""

from __future__ import annotations

import functools
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from booking import rules
from booking.availability import _EPOCH_WALL, CELLS, OWN, Allowance, Bounds, allowances_of, bounds, day_number
from booking.driver import _DAYS, _REACH, reach_of, reaches, where
from core.errors import NotFoundError
from people.access import CALLER, Caller, Principal, principal_of
from people.audit import Origin


class Moving(NamedTuple):
    """A booked visit being moved, as the context reads it: what it gives back."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    service_id: uuid.UUID
    status: str
    span_start: datetime
    span_end: datetime
    staff_units: int
    allocation_id: uuid.UUID
    period_start: date
    minutes: int
    minutes_returned: bool


# $1 service, $2 municipality, $3 recipient, $4 the caller's person (NULL for a token), $5 now, $6 the booking being
# moved (NULL: none), $7 the first date asked for (NULL: today).
CONTEXT = """
SELECT s.id, s.durations, s.staff_units, s.buffer_before, s.buffer_after,
       d.id, d.timezone, d.grid_minutes, d.horizon_days, d.notice_hours, d.cancel_deadline_hours, t.today,
       {reach},
       {caller},
       CASE WHEN m.id IS NOT NULL THEN ROW(m.id, m.recipient_id, m.service_id, m.status, m.span_start, m.span_end,
                                           m.staff_units, m.allocation_id, m.period_start, m.minutes,
                                           m.minutes_returned) END AS moving,
       ARRAY(SELECT ROW(v.id, v.minutes, v.period, v.period_anchor, v.valid_from, v.valid_to, p.period_start, p.used)
               FROM allocation v
               -- Each decision's periods from a month back, through their index (LATERAL: never a hash join
               -- over every period of the municipality, whatever the statistics say).
               LEFT JOIN LATERAL (SELECT p1.period_start, p1.used FROM allocation_period p1
                                   WHERE p1.municipality_id = $2 AND p1.allocation_id = v.id
                                     AND p1.period_start > f.first - {longest} AND p1.period_end >= f.first) AS p
                      ON true
              WHERE v.recipient_id = $3 AND v.service_id = s.id
                AND (v.valid_to IS NULL OR v.valid_to >= f.first)) AS decisions
FROM service s
JOIN department d ON d.id = s.department_id
{days}
CROSS JOIN LATERAL (SELECT GREATEST(coalesce($7, t.today), t.today) AS first) AS f
LEFT JOIN booking m ON m.id = $6 AND m.municipality_id = $2
WHERE s.id = $1 AND s.municipality_id = $2
""".format(  # noqa: S608 - the fragments are constants of booking.driver; the values are parameters
    reach=_REACH.format(recipient="$3", municipality="$2", caller="$4"),
    caller=CALLER.format(person="$4", municipality="$2"),
    days=_DAYS.format(visit="CAST(NULL AS timestamptz)", now="$5"),
    longest=rules.LONGEST_PERIOD_DAYS,
)

# `free_slots` over the cells of a CTE `cell`, as CTE `found`; and the answer's columns, from both.
_FOUND = """found AS (
    SELECT f.start, f.wall, f.codes
      FROM free_slots((SELECT array_agg(start ORDER BY start) FROM cell),
                      (SELECT array_agg(wall ORDER BY start) FROM cell),
                      (SELECT array_agg(free ORDER BY start) FROM cell),
                      {rest}) AS f
)"""
_ANSWER = """ARRAY(SELECT DISTINCT div(wall, 1440) FROM cell WHERE wall IS NOT NULL) AS open_days,
       ARRAY(SELECT start FROM found) AS starts, ARRAY(SELECT wall FROM found) AS walls,
       ARRAY(SELECT codes FROM found) AS codes"""
_SPAN = {"municipality": "$1", "department": "$2", "zone": "$3", "start": "$4", "end": "$5"}
# The cells as they are, nothing given back.
_CELLS_AS_THEY_ARE = CELLS.format(**_SPAN, back_start="NULL", back_end="NULL", back_units="0")

# The cells (`availability.CELLS`) and the recipient's own visits (`availability.OWN`), and `free_slots` over both.
# $1 municipality, $2 department, $3 zone, $4 and $5 the cells' span, $6-$8 the span given back and its units, $9
# recipient, $10 the booking moved (or the zero id), $11-$15 the service (durations, units, buffers) and the grid,
# $16 past, $17 earliest, $18 the last day, $19 and $20 the days with a decision and the minutes left on each.
FREE = f"""
WITH cell AS ({CELLS.format(**_SPAN, back_start="$6", back_end="$7", back_units="$8")}
), own AS ({OWN.format(municipality="$1", recipient="$9", start="$4", end="$5", moving="$10")}
), {
    _FOUND.format(
        rest="(SELECT array_agg(s) FROM own), (SELECT array_agg(e) FROM own), $11, $12, $13, $14, $15, "
        "$16, $17, $18, $19, $20"
    )
}
SELECT {_ANSWER}
"""  # noqa: S608 - the fragments are constants; the values are parameters

ANY_TIME = 2**62  # `PLAIN`'s past, notice and horizon: none
ANY_LEFT = 2**31 - 1  # `PLAIN`'s minutes left on every day: enough for any length

# The cells' state, a UTC day at a time: their count and a sum of a hash of each open cell's start and free units.
# Two reads that find a day with the same signature saw the same cells on it (a booking, a cancellation, an
# opening-hours or staffing change moves it). A local day's starts depend on the cells of the UTC days around it
# (`NEIGHBOURS`), so its grid is kept under their signatures. UTC days, not local ones: a cell's local time costs a
# time zone conversion, and a read with its grid kept needs none.
_SIGNED = """signed AS (
    SELECT div(start, 1440) AS day, count(*) || ':' || sum(hashint8extended(start * 65536 + free, 0)) AS signature
      FROM cell GROUP BY 1
)"""
_SIGNATURES = """ARRAY(SELECT day FROM signed ORDER BY day) AS days,
       ARRAY(SELECT signature FROM signed ORDER BY day) AS signatures"""

# The days' signatures and the recipient's own visits: what a read of the grid already kept (`GRIDS`) needs.
# $1 municipality, $2 department, $3 zone, $4 and $5 the cells' span (whole UTC days), $6 recipient, $7 the zero id.
CHECK = f"""
WITH cell AS ({_CELLS_AS_THEY_ARE}
), own AS ({OWN.format(municipality="$1", recipient="$6", start="$4", end="$5", moving="$7")}
), {_SIGNED}
SELECT {_SIGNATURES}, ARRAY(SELECT s FROM own ORDER BY s) AS own_starts, ARRAY(SELECT e FROM own ORDER BY s) AS own_ends
"""  # noqa: S608 - the fragments are constants; the values are parameters

# The department's grid for everyone: `free_slots` with no own visits, every day of the span open to every length,
# nothing passed or too soon (`apply` puts the recipient's in), with the signatures of the days it read and the local
# days with open cells. $1-$5 as CHECK's, $6-$10 the service (durations, units, buffers) and the grid, $11 the days
# of the span.
_NO_ONE = (  # `free_slots`' arguments after the cells for no one: no own visits, no bounds, every day's minutes
    f"CAST('{{}}' AS bigint[]), CAST('{{}}' AS bigint[]), $6, $7, $8, $9, $10, {-ANY_TIME}, {-ANY_TIME}, {ANY_TIME}, "
    f"$11, array_fill({ANY_LEFT}, ARRAY[cardinality(CAST($11 AS bigint[]))])"
)
PLAIN = f"""
WITH cell AS ({_CELLS_AS_THEY_ARE}
), {_FOUND.format(rest=_NO_ONE)}, {_SIGNED}
SELECT {_SIGNATURES}, {_ANSWER}
"""

# A local day's starts reach the cells of the local days either side (a buffer before midnight, a visit past it) as
# long as a buffer, and a visit with its buffer after, are shorter than the shortest day (`REACH_MINUTES`); and a local
# day lies within the UTC day of its date and the ones either side (UTC offsets run from -12 to +14 hours). So a local
# day's starts depend on the cells of the UTC days two either side of its date's.
NEIGHBOURS = 2
REACH_MINUTES = 23 * 60

READ_LOGGED = """
INSERT INTO audit_entry (municipality_id, actor_person_id, actor_token_id, subject_person_id, action, object_type,
                         object_id, outcome, ip, user_agent, request_id)
VALUES ($1, $2, $3, $4, 'availability.read', 'person', $5, 'ok', $6, $7, $8)
"""
_NOT_MOVING = uuid.UUID(int=0)
_NOTHING = "[]"


class HoursOut(msgspec.Struct):
    """`api.controllers.availability.HoursRead`, as encoded."""

    period: str
    period_start: date
    period_end: date
    left_minutes: int
    next_period_start: date | None


class DayOut(msgspec.Struct):
    """`DayRead` with its starts as `free_slots` encoded them."""

    date: date
    closed: bool
    hours: HoursOut
    slots: msgspec.Raw


class AvailabilityOut(msgspec.Struct):
    """`AvailabilityRead`, as encoded (the API documents that one)."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    timezone: str
    days: list[DayOut]


@dataclass(frozen=True, slots=True)
class Asked:
    """What a caller asks for: a recipient's free times of a service, from and to a date, maybe for a move."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    first: date | None
    last: date | None
    moving: uuid.UUID | None


class RangeError(Exception):
    """The dates asked for end before they begin (within today and the horizon): `max_days` the horizon."""

    def __init__(self, max_days: int) -> None:
        """The department's horizon in days."""
        super().__init__(max_days)
        self.max_days = max_days


def _hours(allowance: Allowance) -> HoursOut:
    a = allowance
    return HoursOut(a.period, a.period_start, a.period_end, max(0, a.left), a.renews)


async def availability(
    conn: asyncpg.Connection, caller: Caller, origin: Origin, asked: Asked, *, now: datetime
) -> bytes:
    """The recipient's free times as the API's JSON (`AvailabilityRead`).

    Raises:
        NotFoundError: an unknown service, a recipient the caller may not see in its department, or a `moving`
            that is not the recipient's booked visit of the service.
        RangeError: `last` before `first` once both are held within today and the horizon.

    """
    row = await conn.fetchrow(CONTEXT, asked.service_id, caller.municipality_id, asked.recipient_id,
                              caller.person_id, now, asked.moving, asked.first)  # fmt: skip
    if row is None:
        raise NotFoundError(service_id=str(asked.service_id))
    principal = principal_of(caller, row["caller_found"], row["caller_roles"])
    (service_id, durations, units, before, after, department_id, zone, grid, horizon, notice, deadline,
     today) = row[:12]  # fmt: skip
    if not reaches(principal, asked.recipient_id, department_id, reach_of(row)):
        raise NotFoundError
    moving = Moving(*row["moving"]) if row["moving"] is not None else None
    if asked.moving is not None and (
        moving is None or (moving.recipient_id, moving.service_id, moving.status) != (asked.recipient_id, service_id,
                                                                                     "booked")
    ):  # fmt: skip
        raise NotFoundError(booking_id=str(asked.moving))
    policy = rules.Policy(ZoneInfo(zone), grid, horizon, notice, deadline)
    horizon_last = today + timedelta(days=horizon)
    first, last = max(asked.first or today, today), min(asked.last or horizon_last, horizon_last)
    if last < first:
        raise RangeError(horizon)
    if principal.person_id != asked.recipient_id:  # someone else's data: in the person's access log
        await conn.execute(READ_LOGGED, principal.municipality_id, principal.person_id, principal.token_id,
                           asked.recipient_id, str(asked.recipient_id), *where(origin))  # fmt: skip
    allowances = allowances_of(row["decisions"], first, last, moving=moving)
    days = await _free(conn, principal=principal, asked=asked, policy=policy,
                       service=(department_id, units, before, after, sorted(durations)), first=first, last=last,
                       moving=moving, allowances=allowances, now=now)  # fmt: skip
    return msgspec.json.encode(AvailabilityOut(asked.recipient_id, service_id, zone, days))


async def _free(  # noqa: PLR0913 - the parts of one query, keyword-only
    conn: asyncpg.Connection, *, principal: Principal, asked: Asked, policy: rules.Policy, service: tuple[Any, ...],
    first: date, last: date, moving: Moving | None, allowances: dict[date, Allowance], now: datetime,
) -> list[DayOut]:  # fmt: skip
    department_id, units, before, after, durations = service
    # From the grid step holding the first start's buffer (a cell starting before it can cover it), as
    # `availability._cell_span`, to a day past the last (a visit may run past midnight).
    start = datetime.combine(first, time(0), tzinfo=policy.zone) - timedelta(minutes=before + policy.grid_minutes)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=policy.zone) + timedelta(days=1)
    numbers = [day_number(day) for day in allowances]
    limits = bounds(policy, now)
    kept = None
    if moving is None and before + max(durations, default=0) + after < REACH_MINUTES:
        # The department's grid, kept a day at a time while the cells stay as they were, with the recipient's put in.
        key = (principal.municipality_id, department_id, policy.zone.key, tuple(durations), units, before, after,
               policy.grid_minutes)  # fmt: skip
        left = {number: allowance.left for number, allowance in zip(numbers, allowances.values(), strict=True)}
        wanted = [number for number in numbers if number <= limits.last_day]
        if wanted:
            kept = await _from_grid(conn, key, asked.recipient_id, wanted, left=left, limits=limits)
    if kept is not None:
        opened, slots = kept
    else:  # a move gives its own span back to the cells: a grid of its own, computed for this read alone
        back = (moving.span_start, moving.span_end, moving.staff_units) if moving is not None else (None, None, 0)
        row = await conn.fetchrow(
            FREE, principal.municipality_id, department_id, policy.zone.key, start, end, *back, asked.recipient_id,
            moving.id if moving is not None else _NOT_MOVING, durations, units, before, after, policy.grid_minutes,
            *limits, numbers, [allowance.left for allowance in allowances.values()],
        )  # fmt: skip
        assert row is not None  # noqa: S101 - one row always
        opened = frozenset(row["open_days"])
        slots = slots_json(row["starts"], row["walls"], row["codes"], durations)
    return [
        DayOut(day, number not in opened, _hours(allowance), msgspec.Raw(slots.get(number, _NOTHING).encode()))
        for number, (day, allowance) in sorted(zip(numbers, allowances.items(), strict=True))
    ]


class DayGrid(NamedTuple):
    """One local day of a department's grid for one service, as its cells and its neighbours' were, for no one.

    Each start's lengths are 0 (the span leaves the open hours), 4 (free) or 5 (busy), a digit each; `text` is the
    day's starts as the API's JSON, which most reads answer with as it is (`apply`).
    """

    signature: tuple[str | None, ...]  # the signatures of the UTC days around it (`signature_of`)
    opened: bool  # a cell of the day is open
    starts: list[int]
    walls: list[int]
    codes: list[str]
    text: str


def signature_of(signatures: Mapping[int, str], day: int) -> tuple[str | None, ...]:
    """What a local day's grid depends on: the signatures of the cells of the UTC days around its date's."""
    return tuple(map(signatures.get, range(day - NEIGHBOURS, day + NEIGHBOURS + 1)))


def day_grids(row: Mapping[str, Any], durations: tuple[int, ...], days: Iterable[int]) -> dict[int, DayGrid]:
    """`days` of a grid `free_slots` answered for no one (`PLAIN`), each under the signatures the row read."""
    signatures = dict(zip(row["days"], row["signatures"], strict=True))
    opened = frozenset(row["open_days"])
    found: dict[int, tuple[list[int], list[int], list[str]]] = {day: ([], [], []) for day in days}
    for start, wall, codes in zip(row["starts"], row["walls"], row["codes"], strict=True):
        day = found.get(wall // _DAY)  # the neighbours' starts were read only for the days' runs: not kept
        if day is not None:
            day[0].append(start)
            day[1].append(wall)
            day[2].append(codes)
    return {
        day: DayGrid(signature_of(signatures, day), day in opened, *kept,
                     slots_json(*kept, list(durations)).get(day, _NOTHING))
        for day, kept in found.items()
    }  # fmt: skip


def apply(
    days: Mapping[int, DayGrid], durations: tuple[int, ...], own: list[tuple[int, int]], left: Mapping[int, int],
    limits: Bounds,
) -> dict[int, str]:  # fmt: skip
    """Each day's starts for a recipient, as `free_slots` gives them with the recipient's parts.

    Those are their own visits (yours), the minutes left on each day (no_hours; a day not in `left` has no decision
    and no starts), the notice (too_soon), the past and the horizon. A day none of that touches is the grid's as it
    is; the others are worked out start by start.
    """
    past, earliest, last_day = limits
    longest = max(durations, default=0)
    answer: dict[int, str] = {}
    for day, (_, _, starts, walls, codes, text) in days.items():
        minutes_left = left.get(day)
        if minutes_left is None or day > last_day or not starts:
            continue
        first, last = starts[0], starts[-1] + longest
        if first >= earliest and longest <= minutes_left and not any(s < last and e > first for s, e in own):
            answer[day] = text
            continue
        kept: tuple[list[int], list[int], list[str]] = ([], [], [])
        for start, wall, said in zip(starts, walls, codes, strict=True):
            if start < past:
                continue
            kept[0].append(start)
            kept[1].append(wall)
            kept[2].append(
                "".join(
                    "0" if code == "0"
                    else "1" if any(s < start + minutes and e > start for s, e in own)
                    else "2" if minutes > minutes_left
                    else "3" if start < earliest
                    else code
                    for minutes, code in zip(durations, said, strict=True)
                )
            )  # fmt: skip
        if kept[0]:
            answer[day] = slots_json(*kept, list(durations))[day]
    return answer


class _Grids:
    """The days' grids this process has made, by department and service, the latest used kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.kept: OrderedDict[tuple[Any, ...], dict[int, DayGrid]] = OrderedDict()

    def days_of(self, key: tuple[Any, ...], first: int) -> dict[int, DayGrid]:
        """The days kept for `key` (a department's service), to be read and added to; none before `first` (today's)."""
        days = self.kept.get(key)
        if days is None:
            days = self.kept[key] = {}
            while len(self.kept) > self.size:  # the least recently used department's service goes
                self.kept.popitem(last=False)
        else:
            self.kept.move_to_end(key)
            for gone in [day for day in days if day < first]:  # days passed: no read asks for them again
                del days[gone]
        return days


# A day open round the clock is 20 KB (96 starts, three lengths): 16 days of 128 departments' services, 41 MB at most.
GRIDS = _Grids(128)


async def _from_grid(  # noqa: PLR0913 - the parts of one read
    conn: asyncpg.Connection, key: tuple[Any, ...], recipient: uuid.UUID, wanted: list[int], *,
    left: dict[int, int], limits: Bounds,
) -> tuple[frozenset[int], dict[int, str]]:  # fmt: skip
    """The open days and each wanted day's starts for `recipient`, from the days' grids kept or made again.

    `key`: the municipality, department, zone, the service's lengths, units and buffers, and the grid's minutes.
    Only the days around whose dates cells changed since are made again, in one statement over the cells from the
    first of them to the last and their neighbours (`NEIGHBOURS`).
    """
    municipality, department, zone_key, durations, units, before, after, grid_minutes = key
    first, last = min(wanted), max(wanted)
    check = await conn.fetchrow(CHECK, municipality, department, zone_key, _utc_midnight(first - NEIGHBOURS),
                                _utc_midnight(last + NEIGHBOURS + 1), recipient, _NOT_MOVING)  # fmt: skip
    assert check is not None  # noqa: S101 - one row always
    signatures = dict(zip(check["days"], check["signatures"], strict=True))
    kept = GRIDS.days_of(key, first)
    found: dict[int, DayGrid] = {}
    missing = []
    for day in wanted:
        grid = kept.get(day)
        if grid is None or grid.signature != signature_of(signatures, day):
            missing.append(day)
        else:
            found[day] = grid
    if missing:
        low, high = min(missing), max(missing)
        row = await conn.fetchrow(PLAIN, municipality, department, zone_key, _utc_midnight(low - NEIGHBOURS),
                                  _utc_midnight(high + NEIGHBOURS + 1), list(durations), units, before, after,
                                  grid_minutes, list(range(low - NEIGHBOURS, high + NEIGHBOURS + 1)))  # fmt: skip
        assert row is not None  # noqa: S101 - one row always
        made = day_grids(row, durations, missing)  # under the signatures this statement read
        kept.update(made)
        found.update(made)
    own = list(zip(check["own_starts"], check["own_ends"], strict=True))
    opened = frozenset(day for day, grid in found.items() if grid.opened)
    return opened, apply(found, durations, own, left, limits)


def _utc_midnight(day: int) -> datetime:
    """The start of a UTC day (days from the grid's epoch)."""
    return rules.GRID_EPOCH + timedelta(days=day)


STATUSES = ("", "yours", "no_hours", "too_soon", "free", "busy")  # by the digit `free_slots` gives a length


def slots_json(starts: list[int], walls: list[int], codes: list[str], durations: list[int]) -> dict[int, str]:
    """Each day's starts as the API's JSON (`SlotRead`s), from what `free_slots` answers, by day from the epoch.

    The JSON is written here, not in PostgreSQL (where it cost more than the calculation) nor as structs to encode
    (a struct a start and a length). A start's text is its instant's (`_start_text`: the same for every recipient
    and service of a zone) and its lengths' (`_lengths_text`: one of a handful of status patterns), both kept once
    made: a 14-day answer is then mostly lookups and one join a day (a quarter of the time of formatting each).
    """
    lengths_of = tuple(durations)
    days: dict[int, list[str]] = {}
    for start, wall, said in zip(starts, walls, codes, strict=True):
        text = _start_text(start, wall) + _lengths_text(lengths_of, said)
        day = wall // _DAY
        found = days.get(day)
        if found is None:
            days[day] = [text]
        else:
            found.append(text)
    return {day: "[" + ",".join(found) + "]" for day, found in days.items()}


@functools.lru_cache(maxsize=1 << 14)  # 170 days of quarter hours: far more than two horizons of any grid
def _start_text(start: int, wall: int) -> str:
    """A start's opening JSON up to its lengths: its local date and time, and the UTC offset (`wall - start`)."""
    day, minute = divmod(wall, _DAY)
    offset = wall - start
    sign, size = ("+", offset) if offset >= 0 else ("-", -offset)
    zone = "Z" if offset == 0 else f"{sign}{size // 60:02d}:{size % 60:02d}"
    on = (_EPOCH_DATE + timedelta(days=day)).isoformat()
    return f'{{"start":"{on}T{minute // 60:02d}:{minute % 60:02d}:00{zone}","lengths":['


@functools.lru_cache(maxsize=1 << 12)
def _lengths_text(durations: tuple[int, ...], codes: str) -> str:
    """A start's lengths (a digit each in `codes`, 0 left out) and the JSON's end."""
    found = (
        f'{{"minutes":{minutes},"status":"{STATUSES[int(code)]}"}}'
        for minutes, code in zip(durations, codes, strict=True)
        if code != "0"
    )
    return ",".join(found) + "]}"


_DAY = 24 * 60
_EPOCH_DATE = date(2000, 1, 3)


assert datetime(2000, 1, 3) == _EPOCH_WALL  # noqa: S101, DTZ001 - FREE spells the epochs out
