"""The services' and departments' facts an API process keeps for one-statement own bookings (`booking.driver.FACTS`)."""

from __future__ import annotations

import uuid

from booking.driver import DepartmentFacts, KeptFacts, ServiceFacts


def _facts(name: str) -> tuple[ServiceFacts, DepartmentFacts]:
    department = DepartmentFacts(id=uuid.uuid5(uuid.NAMESPACE_DNS, "d" + name), municipality_id=uuid.uuid4(),
                                 timezone="Europe/Oslo", grid_minutes=15, horizon_days=14, notice_hours=2,
                                 cancel_deadline_hours=24)  # fmt: skip
    service = ServiceFacts(id=uuid.uuid5(uuid.NAMESPACE_DNS, name), active=True, durations=[30, 60], buffer_before=0,
                           buffer_after=15, staff_units=1)  # fmt: skip
    return service, department


def test_facts_are_kept_renewed_and_the_least_recently_booked_let_go_past_the_size() -> None:
    kept = KeptFacts(size=2)
    a, b, c = _facts("a"), _facts("b"), _facts("c")
    assert kept.get(a[0].id) is None
    kept.keep(*a)
    kept.keep(*b)
    assert kept.get(a[0].id) == a  # a used: b is now the least recent
    kept.keep(*c)
    assert kept.get(b[0].id) is None
    assert (kept.get(a[0].id), kept.get(c[0].id)) == (a, c)
    renewed = (a[0]._replace(buffer_after=30), a[1])  # read anew by a later context: the newer facts count
    kept.keep(*renewed)
    assert kept.get(a[0].id) == renewed
