"""Demo history: four past weeks of visits, outcomes and feedback, so the follow-up views have something to show.

Only weeks before the current one get visits, so what the demo people may book this week is untouched. The
past visits are inserted with their allocation periods charged exactly as the booking service would have
(cancelled minutes given back; no-shows and late cancellations kept, the departments' default policy), so
`tjenesteshop check` finds the ledgers consistent. Past visits hold no capacity cells: the capacity ledger
starts today.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking import rules
from booking.tables import Allocation, AllocationPeriod, Booking, FollowUp
from departments.tables import Service
from insight.tables import VisitFeedback
from people.tables import Coordinator, Person

HISTORY_WEEKS = 4


@dataclass(frozen=True)
class PastVisit:
    """A visit `weeks_ago` weeks before this week, on a weekday at a local hour, with what happened."""

    who: str
    service: str
    weeks_ago: int
    weekday: int
    hour: int
    minutes: int
    status: str
    staff: str
    feedback: str | None = None  # yes, mixed, no; None: not answered (yet)


# Kari: practical help twice a week, mostly delivered and mostly content; her latest visit awaits her answer.
# Ola: a trial decision of weekly follow-up talks, two missed: the evaluation should show it.
VISITS = (
    PastVisit("kari", "practical", 4, 1, 10, 60, "delivered", "per", "yes"),
    PastVisit("kari", "practical", 4, 3, 10, 60, "delivered", "per", "yes"),
    PastVisit("kari", "practical", 3, 1, 10, 60, "delivered", "per", "mixed"),
    PastVisit("kari", "practical", 3, 3, 10, 60, "no_show", "per"),
    PastVisit("kari", "practical", 2, 1, 10, 60, "delivered", "per", "yes"),
    PastVisit("kari", "practical", 2, 3, 14, 60, "late_cancelled", "per"),
    PastVisit("kari", "practical", 1, 1, 10, 60, "delivered", "per", "no"),
    PastVisit("kari", "practical", 1, 3, 10, 60, "delivered", "per"),
    PastVisit("ola", "followup", 4, 2, 13, 60, "delivered", "aisha", "yes"),
    PastVisit("ola", "followup", 3, 2, 13, 60, "no_show", "aisha"),
    PastVisit("ola", "followup", 2, 2, 13, 60, "cancelled", "aisha"),
    PastVisit("ola", "followup", 1, 2, 13, 60, "no_show", "aisha"),
)


def _visit(
    visit: PastVisit, people: dict[str, Person], services: dict[str, Service], allocation: Allocation, start: datetime
) -> Booking:
    service = services[visit.service]
    end = start + timedelta(minutes=visit.minutes)
    return Booking(
        id=uuid.uuid4(),
        municipality_id=allocation.municipality_id,
        recipient_id=people[visit.who].id,
        department_id=service.department_id,
        service_id=service.id,
        allocation_id=allocation.id,
        period_start=rules.period_of(allocation.period, allocation.period_anchor, start.date()).start,
        starts_at=start,
        ends_at=end,
        span_start=start - timedelta(minutes=service.buffer_before),
        span_end=end + timedelta(minutes=service.buffer_after),
        minutes=visit.minutes,
        staff_units=service.staff_units,
        status=visit.status,
        acted_by="recipient",
        actor_person_id=people[visit.who].id,
        assigned_staff_id=people[visit.staff].id,
        minutes_returned=visit.status == "cancelled",
        changed_at=end,
    )


def history(
    people: dict[str, Person], services: dict[str, Service], allocations: list[Allocation], today: date, zone: ZoneInfo
) -> list[object]:
    """The past visits, their charged allocation periods, the answers, coordinators and a follow-up to add."""
    monday = today - timedelta(days=today.weekday())
    by_recipient = {(a.recipient_id, a.service_id): a for a in allocations}
    rows: list[object] = []
    used: dict[tuple[Allocation, date], int] = defaultdict(int)
    for visit in VISITS:
        allocation = by_recipient[people[visit.who].id, services[visit.service].id]
        day = monday - timedelta(weeks=visit.weeks_ago) + timedelta(days=visit.weekday)
        start = datetime.combine(day, time(visit.hour), tzinfo=zone)
        booking = _visit(visit, people, services, allocation, start)
        rows.append(booking)
        if not booking.minutes_returned:
            used[allocation, booking.period_start] += booking.minutes
        if visit.feedback is not None:
            rows.append(
                VisitFeedback(
                    municipality_id=booking.municipality_id, booking_id=booking.id, recipient_id=booking.recipient_id,
                    department_id=booking.department_id, answer=visit.feedback, answered_by_id=booking.recipient_id,
                    answered_at=booking.ends_at + timedelta(hours=3),
                )
            )  # fmt: skip
    for (allocation, first_day), minutes in used.items():
        period = rules.period_of(allocation.period, allocation.period_anchor, first_day)
        rows.append(
            AllocationPeriod(
                municipality_id=allocation.municipality_id, allocation_id=allocation.id, period_start=period.start,
                period_end=period.end, granted=allocation.minutes, used=minutes,
            )
        )  # fmt: skip
    municipality = people["kari"].municipality_id
    since = monday - timedelta(weeks=HISTORY_WEEKS)
    rows += [
        Coordinator(municipality_id=municipality, staff_id=people[staff].id, recipient_id=people[who].id,
                    valid_from=since)
        for staff, who in (("per", "kari"), ("per", "ola"), ("aisha", "emma"))
    ]  # fmt: skip
    missed = [
        b for b in rows if isinstance(b, Booking) and b.recipient_id == people["ola"].id and b.status == "no_show"
    ]
    rows.append(
        FollowUp(
            municipality_id=municipality, recipient_id=people["ola"].id,
            department_id=services["followup"].department_id, kind="repeated_no_show",
            details={"no_shows": len(missed), "weeks": HISTORY_WEEKS, "booking_ids": [str(b.id) for b in missed]},
        )
    )  # fmt: skip
    return rows
