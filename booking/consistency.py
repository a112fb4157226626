"""The consistency check: recompute every ledger row from the bookings and report any difference."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Staff units held in a cell: active bookings whose span (buffers included) overlaps it, and the waitlist's held
# offers (a freed time held for the first in line counts as a booking does: waitlist/holds.py).
CELLS = text("""
SELECT c.id, c.used, COALESCE(SUM(b.staff_units), 0) AS expected
FROM capacity_cell c
LEFT JOIN (
    SELECT department_id, municipality_id, span_start, span_end, staff_units FROM booking
     WHERE status IN ('booked', 'delivered', 'no_show')
    UNION ALL
    SELECT department_id, municipality_id, span_start, span_end, staff_units FROM waitlist_offer
     WHERE status = 'held'
) b
  ON b.department_id = c.department_id AND b.municipality_id = c.municipality_id
 AND b.span_start < c.ends_at AND b.span_end > c.starts_at
GROUP BY c.id, c.used
HAVING c.used <> COALESCE(SUM(b.staff_units), 0)
""")
# Minutes used in a period: bookings charged to it whose minutes were not given back.
PERIODS = text("""
SELECT p.id, p.used, COALESCE(SUM(b.minutes), 0) AS expected
FROM allocation_period p
LEFT JOIN booking b
  ON b.allocation_id = p.allocation_id AND b.period_start = p.period_start AND NOT b.minutes_returned
GROUP BY p.id, p.used
HAVING p.used <> COALESCE(SUM(b.minutes), 0)
""")


@dataclass(frozen=True)
class Difference:
    """A ledger row that disagrees with the bookings."""

    table: str
    row_id: int
    stored: int
    expected: int


async def ledger_differences(session: AsyncSession) -> list[Difference]:
    """Every capacity cell and allocation period whose `used` is not what the bookings say."""
    found = []
    for table, query in (("capacity_cell", CELLS), ("allocation_period", PERIODS)):
        rows = await session.execute(query)
        found += [Difference(table, int(row_id), int(used), int(expected)) for row_id, used, expected in rows.tuples()]
    return found
