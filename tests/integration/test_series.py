"""Recurring visits on real PostgreSQL: occurrences booked through book_visit, DST, the share, failures told."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from booking import series_service
from booking.allocations import AllocationBookingsInTheWayError, update_allocation
from booking.consistency import ledger_differences
from booking.errors import BookingRefusedError
from booking.series import book_series_days
from booking.service import move
from booking.tables import Allocation, Booking, BookingEvent, BookingSeries, SeriesFailure
from core.settings import Settings
from departments.ledger import rematerialize
from departments.tables import CapacityCell, Department
from notifications import series_failures
from notifications.channels import Message
from notifications.daily import open_days
from people.access import Principal
from people.tables import AuditEntry
from tests.booking_world import OSLO, service_of
from tests.series_world import add_series, open_at, series_bookings
from tests.waitlist_world import ORIGIN, add_recipients, book_at, cancel_as, me
from tests.world import World, build_world

# A Saturday a week before summer time ends (Sunday 31 October 2027): the horizon of 14 days spans the change.
NOW = datetime(2027, 10, 23, 11, 0, tzinfo=UTC)
MONDAY_BEFORE, MONDAY_AFTER = date(2027, 10, 25), date(2027, 11, 1)


class Captured:
    """A channel that keeps what it was given."""

    name = "email"

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


async def _setup(
    session: AsyncSession, settings: Settings, *, staff: int = 2, people: int = 3
) -> tuple[World, Department, list[uuid.UUID]]:
    world = await build_world(session, settings)
    department = await open_at(session, world.departments["d1"], NOW, staff=staff)
    svc = await service_of(session, department.id)
    recipients = await add_recipients(session, world.municipality, department.id, svc.id, people,
                                      key=settings.national_id_key, valid_from=date(2027, 1, 1))  # fmt: skip
    return world, department, recipients


async def test_a_weekly_series_stays_at_ten_local_across_the_change_to_summer_time(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, department, recipients = await _setup(db_session, settings)
    svc = await service_of(db_session, department.id)
    series = await add_series(db_session, department, recipients[0], svc.id, weekdays=[0], at=time(10),
                              valid_from=MONDAY_BEFORE)  # fmt: skip
    outcomes = await book_series_days(db_session, department, now=NOW)
    assert [(o.day, o.refusal) for o in outcomes] == [(MONDAY_BEFORE, None), (MONDAY_AFTER, None)]
    booked = await series_bookings(db_session, series.id)
    assert [b.starts_at.astimezone(UTC).hour for b in booked] == [8, 9]  # CEST, then CET
    assert [b.starts_at.astimezone(OSLO).time() for b in booked] == [time(10), time(10)]
    events = await db_session.scalar(
        select(func.count()).select_from(BookingEvent).where(BookingEvent.booking_id.in_([b.id for b in booked]),
                                                             BookingEvent.kind == "created")
    )  # fmt: skip
    assert events == 2  # the outbox event in the same transaction as each booking
    assert series.booked_through == date(2027, 11, 6)
    assert await book_series_days(db_session, department, now=NOW) == []  # a rerun books nothing twice
    assert await ledger_differences(db_session) == []


async def test_every_second_week_counts_from_the_first_week(db_session: AsyncSession, settings: Settings) -> None:
    _, department, recipients = await _setup(db_session, settings)
    svc = await service_of(db_session, department.id)
    series = await add_series(db_session, department, recipients[0], svc.id, weekdays=[1, 3], at=time(9, 30),
                              valid_from=date(2027, 10, 19), every_weeks=2)  # fmt: skip
    await book_series_days(db_session, department, now=NOW)
    days = [b.starts_at.astimezone(OSLO).date() for b in await series_bookings(db_session, series.id)]
    assert days == [date(2027, 11, 2), date(2027, 11, 4)]  # the week of 25 October is skipped


async def test_the_share_keeps_room_for_single_bookings_and_a_refusal_is_recorded_and_told(
    db_session: AsyncSession, connection: AsyncConnection, settings: Settings
) -> None:
    world, department, recipients = await _setup(db_session, settings, staff=2)
    svc = await service_of(db_session, department.id)
    first = await add_series(db_session, department, recipients[0], svc.id, weekdays=[0], at=time(10),
                             valid_from=MONDAY_BEFORE)  # fmt: skip
    second = await add_series(db_session, department, recipients[1], svc.id, weekdays=[0], at=time(10),
                              valid_from=MONDAY_BEFORE)  # fmt: skip
    outcomes = await book_series_days(db_session, department, now=NOW, series=[first, second])
    refused = [o for o in outcomes if o.refusal]
    assert {o.refusal for o in refused} == {"series_share_full"}
    assert {o.series_id for o in refused} == {second.id}
    assert len(await series_bookings(db_session, first.id)) == 2
    assert await series_bookings(db_session, second.id) == []
    # 50 % of two staff: one series unit a cell; the other unit is still open for a single booking.
    start = datetime.combine(MONDAY_BEFORE, time(10), tzinfo=OSLO)
    await book_at(db_session, world.municipality, recipients[2], svc.id, start, NOW)
    used = await db_session.scalar(select(CapacityCell.used).where(CapacityCell.department_id == department.id,
                                                                   CapacityCell.starts_at == start))  # fmt: skip
    assert used == 2
    failures = (await db_session.scalars(select(SeriesFailure).order_by(SeriesFailure.day))).all()
    assert [(f.series_id, f.day, f.reason) for f in failures] == [
        (second.id, MONDAY_BEFORE, "series_share_full"), (second.id, MONDAY_AFTER, "series_share_full")]  # fmt: skip
    assert failures[0].nearest, "the nearest free times are offered"
    # The refused time itself is offered first: it is still free for a single booking (the share binds series only).
    assert datetime.fromisoformat(failures[0].nearest[0]) < start <= datetime.fromisoformat(failures[0].nearest[-1])
    assert start in [datetime.fromisoformat(t) for t in failures[0].nearest]
    assert await ledger_differences(db_session) == []
    await db_session.commit()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    channel = Captured()
    told = await series_failures.send_series_failures(maker, {"email": channel}, now=NOW, base_url="https://x.no")
    assert told == 2
    assert len(channel.sent) == 2
    assert "25.10.2027 10:00" in channel.sent[0].text
    assert "faste avtaler har fylt sin del av tiden" in channel.sent[0].text
    assert await series_failures.send_series_failures(maker, {"email": channel}, now=NOW, base_url="x") == 0


async def test_cancelling_one_occurrence_leaves_the_series(db_session: AsyncSession, settings: Settings) -> None:
    world, department, recipients = await _setup(db_session, settings)
    svc = await service_of(db_session, department.id)
    series = await add_series(db_session, department, recipients[0], svc.id, weekdays=[0], at=time(10),
                              valid_from=MONDAY_BEFORE)  # fmt: skip
    await book_series_days(db_session, department, now=NOW)
    booked = await series_bookings(db_session, series.id)
    await cancel_as(db_session, world.municipality, recipients[0], booked[0].id, NOW)
    assert series.ended_at is None
    statuses = [b.status for b in await series_bookings(db_session, series.id)]
    assert statuses == ["cancelled", "booked"]


async def test_the_daily_job_books_the_new_day_in_the_transaction_that_opens_it(
    db_session: AsyncSession, connection: AsyncConnection, settings: Settings
) -> None:
    _, department, recipients = await _setup(db_session, settings)
    svc = await service_of(db_session, department.id)
    series = await add_series(db_session, department, recipients[0], svc.id, weekdays=[6], at=time(12),
                              valid_from=date(2027, 10, 24))  # fmt: skip
    series.booked_through = date(2027, 11, 6)  # handled through today's horizon
    await db_session.commit()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    tomorrow = NOW + timedelta(days=1)  # the horizon's new last day is Sunday 7 November
    result = await open_days(maker, tomorrow)
    assert result["series_booked"] == 1
    booked = await series_bookings(db_session, series.id)
    assert [b.starts_at for b in booked] == [datetime(2027, 11, 7, 12, tzinfo=OSLO)]
    assert booked[0].status == "booked"


async def test_an_occurrence_without_a_decision_is_recorded(db_session: AsyncSession, settings: Settings) -> None:
    reason = "no_valid_allocation"
    world, department, _ = await _setup(db_session, settings)
    svc = await service_of(db_session, department.id)
    later = await add_recipients(
        db_session,
        world.municipality,
        department.id,
        svc.id,
        1,
        key=settings.national_id_key,
        first_index=10,
        valid_from=date(2028, 1, 1),
    )  # a decision that begins next year
    series = await add_series(db_session, department, later[0], svc.id, weekdays=[0], at=time(10),
                              valid_from=MONDAY_BEFORE)  # fmt: skip
    outcomes = await book_series_days(db_session, department, now=NOW)
    assert {o.refusal for o in outcomes if o.series_id == series.id} == {reason}
    reasons = (await db_session.scalars(select(SeriesFailure.reason).where(SeriesFailure.series_id == series.id))).all()
    assert set(reasons) == {reason}
    assert await db_session.scalar(select(func.count()).select_from(Booking).where(Booking.series_id == series.id)) == 0


async def test_changing_or_ending_a_series_touches_only_the_future(
    db_session: AsyncSession, settings: Settings
) -> None:
    world, department, recipients = await _setup(db_session, settings)
    svc = await service_of(db_session, department.id)
    principal = me(world.municipality, recipients[0])
    request = series_service.SeriesRequest(recipients[0], svc.id, 60, (0,), time(10), MONDAY_BEFORE, None, 1)
    series, outcomes = await series_service.create(db_session, principal, ORIGIN, request, now=NOW)
    assert [(o.day, o.refusal) for o in outcomes] == [(MONDAY_BEFORE, None), (MONDAY_AFTER, None)]
    later = datetime.combine(MONDAY_BEFORE, time(12), tzinfo=OSLO)  # the first occurrence has begun (and ended)
    await rematerialize(db_session, department, now=later)  # the horizon has moved on by then
    change = series_service.SeriesChange(local_time=time(9))
    series, outcomes = await series_service.change(db_session, principal, ORIGIN, series.id, change, now=later)
    next_monday = MONDAY_AFTER + timedelta(days=7)
    assert [(o.day, o.refusal) for o in outcomes] == [(MONDAY_AFTER, None), (next_monday, None)]
    rows = [(b.starts_at.astimezone(OSLO).replace(tzinfo=None), b.status)
            for b in await series_bookings(db_session, series.id)]  # fmt: skip
    assert rows == [
        (datetime.combine(MONDAY_BEFORE, time(10)), "booked"),  # the past is kept
        (datetime.combine(MONDAY_AFTER, time(9)), "booked"),  # the new pattern's: booked
        (datetime.combine(MONDAY_AFTER, time(10)), "cancelled"),  # the old pattern's future: cancelled
        (datetime.combine(next_monday, time(9)), "booked"),
    ]
    ended = await series_service.end(db_session, principal, ORIGIN, series.id, now=later)
    assert ended.ended_at == later
    statuses = [b.status for b in await series_bookings(db_session, series.id)]
    assert statuses == ["booked", "cancelled", "cancelled", "cancelled"]
    with pytest.raises(BookingRefusedError) as refused:
        await series_service.end(db_session, principal, ORIGIN, series.id, now=later)
    assert refused.value.code == "series_ended"
    assert await ledger_differences(db_session) == []


async def test_a_department_without_series_refuses_one_and_writes_nothing(
    db_session: AsyncSession, settings: Settings
) -> None:
    world, department, recipients = await _setup(db_session, settings)
    department.series_allowed = False
    svc = await service_of(db_session, department.id)
    request = series_service.SeriesRequest(recipients[0], svc.id, 60, (0,), time(10), MONDAY_BEFORE, None, 1)
    with pytest.raises(BookingRefusedError) as refused:
        await series_service.create(db_session, me(world.municipality, recipients[0]), ORIGIN, request, now=NOW)
    assert refused.value.code == "series_not_allowed"
    assert await db_session.scalar(select(func.count()).select_from(BookingSeries)) == 0


async def test_a_moved_occurrence_stays_in_its_series_and_within_the_share(
    db_session: AsyncSession, settings: Settings
) -> None:
    world, department, recipients = await _setup(db_session, settings, staff=2)  # 50 %: one series unit a cell
    svc = await service_of(db_session, department.id)
    ten = await add_series(db_session, department, recipients[0], svc.id, weekdays=[0], at=time(10),
                           valid_from=MONDAY_BEFORE)  # fmt: skip
    noon = await add_series(db_session, department, recipients[1], svc.id, weekdays=[0], at=time(12),
                            valid_from=MONDAY_BEFORE)  # fmt: skip
    await book_series_days(db_session, department, now=NOW)
    occurrence = (await series_bookings(db_session, noon.id))[0]
    at_ten = datetime.combine(MONDAY_BEFORE, time(10), tzinfo=OSLO)
    principal = me(world.municipality, recipients[1])
    with pytest.raises(BookingRefusedError) as refused:
        async with db_session.begin_nested():
            await move(db_session, principal, ORIGIN, occurrence.id, start=at_ten, minutes=None, now=NOW)
    assert refused.value.code == "series_share_full"
    await db_session.refresh(occurrence)
    assert occurrence.starts_at == datetime.combine(MONDAY_BEFORE, time(12), tzinfo=OSLO)  # the old time stands
    # A single booking may still take the cell's other unit: the share binds series only.
    single = await book_at(db_session, world.municipality, recipients[2], svc.id,
                           datetime.combine(MONDAY_BEFORE, time(13), tzinfo=OSLO), NOW)  # fmt: skip
    moved_single = await move(db_session, me(world.municipality, recipients[2]), ORIGIN, single, start=at_ten,
                              minutes=None, now=NOW)  # fmt: skip
    assert moved_single.starts_at == at_ten
    at_two = datetime.combine(MONDAY_BEFORE, time(14), tzinfo=OSLO)
    moved = await move(db_session, principal, ORIGIN, occurrence.id, start=at_two, minutes=None, now=NOW)
    assert (moved.starts_at, moved.series_id) == (at_two, noon.id)  # moved, still an occurrence of its series
    assert [b.status for b in await series_bookings(db_session, ten.id)] == ["booked", "booked"]
    assert await ledger_differences(db_session) == []


async def test_a_decision_that_ends_trims_its_series_and_a_renewal_carries_it_on(
    db_session: AsyncSession, settings: Settings
) -> None:
    world, department, recipients = await _setup(db_session, settings)
    svc = await service_of(db_session, department.id)
    admin = Principal(municipality_id=world.municipality, person_id=world.people["dept_admin"],
                      roles=frozenset({("department_admin", department.id)}))  # fmt: skip
    series, _ = await series_service.create(
        db_session, me(world.municipality, recipients[0]), ORIGIN,
        series_service.SeriesRequest(recipients[0], svc.id, 60, (0,), time(10), MONDAY_BEFORE, None, 1), now=NOW,
    )  # fmt: skip
    later = await add_series(db_session, department, recipients[0], svc.id, weekdays=[2], at=time(10),
                             valid_from=date(2028, 3, 1))  # fmt: skip
    decision = await db_session.scalar(select(Allocation).where(Allocation.recipient_id == recipients[0]))
    assert decision is not None
    today = NOW.astimezone(OSLO).date()
    # Ending the decision before an occurrence already booked: refused with that booking listed, nothing changed.
    with pytest.raises(AllocationBookingsInTheWayError) as in_the_way:
        async with db_session.begin_nested():
            await update_allocation(db_session, admin, ORIGIN, allocation_id=decision.id,
                                    changes={"valid_to": MONDAY_BEFORE}, today=today)  # fmt: skip
    booked = await series_bookings(db_session, series.id)
    listed = in_the_way.value.fields["bookings"]
    assert isinstance(listed, list)
    assert [b["id"] for b in listed] == [str(booked[1].id)]
    await db_session.refresh(series)
    assert (series.valid_until, series.ended_at) == (None, None)
    # Ending it after the horizon: the series ends there too; the one starting later has no day left and ends.
    end = date(2027, 12, 31)
    await update_allocation(db_session, admin, ORIGIN, allocation_id=decision.id, changes={"valid_to": end},
                            today=today)  # fmt: skip
    await db_session.refresh(series)
    await db_session.refresh(later)
    assert (series.valid_until, series.ended_at) == (end, None)
    assert later.ended_at is not None
    assert [b.status for b in await series_bookings(db_session, series.id)] == ["booked", "booked"]
    actions = (await db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "booking_series")
                                         .order_by(AuditEntry.id))).all()  # fmt: skip
    assert sorted(actions[-2:]) == ["series.end", "series.update"]  # the two series, in id order
    # A renewal, open-ended, that follows: a later shortening of the first decision trims nothing.
    db_session.add(Allocation(municipality_id=world.municipality, recipient_id=recipients[0],
                              department_id=department.id, service_id=svc.id, minutes=600, period="week",
                              valid_from=end + timedelta(days=1)))  # fmt: skip
    await db_session.flush()
    other, _ = await series_service.create(
        db_session, me(world.municipality, recipients[0]), ORIGIN,
        series_service.SeriesRequest(recipients[0], svc.id, 60, (4,), time(11), MONDAY_BEFORE, None, 1), now=NOW,
    )  # fmt: skip
    await update_allocation(db_session, admin, ORIGIN, allocation_id=decision.id,
                            changes={"valid_to": date(2027, 12, 24)}, today=today)  # fmt: skip
    await db_session.refresh(other)
    assert (other.valid_until, other.ended_at) == (None, None)


async def test_a_changed_series_forgets_the_old_patterns_refused_dates(
    db_session: AsyncSession, settings: Settings
) -> None:
    world, department, recipients = await _setup(db_session, settings, staff=2)  # 50 %: one series unit a cell
    svc = await service_of(db_session, department.id)
    await add_series(db_session, department, recipients[0], svc.id, weekdays=[0], at=time(10),
                     valid_from=MONDAY_BEFORE)  # fmt: skip
    await book_series_days(db_session, department, now=NOW)
    principal = me(world.municipality, recipients[1])
    request = series_service.SeriesRequest(recipients[1], svc.id, 60, (0,), time(10), MONDAY_BEFORE, None, 1)
    series, outcomes = await series_service.create(db_session, principal, ORIGIN, request, now=NOW)
    assert {o.refusal for o in outcomes} == {"series_share_full"}
    listed = await series_service.list_series(db_session, principal, recipients[1], NOW.astimezone(OSLO).date())
    assert [f.day for f in listed[0][1]] == [MONDAY_BEFORE, MONDAY_AFTER]
    change = series_service.SeriesChange(weekdays=(1,))
    series, outcomes = await series_service.change(db_session, principal, ORIGIN, series.id, change, now=NOW)
    assert [o.refusal for o in outcomes] == [None, None]  # Tuesdays: room in the share
    listed = await series_service.list_series(db_session, principal, recipients[1], NOW.astimezone(OSLO).date())
    assert listed[0][1] == []  # the Mondays refused under the old pattern are not the series' any more


async def test_an_ended_or_trimmed_series_forgets_its_refused_dates_after_the_end(
    db_session: AsyncSession, settings: Settings
) -> None:
    world, department, recipients = await _setup(db_session, settings, staff=2)  # 50 %: one series unit a cell
    svc = await service_of(db_session, department.id)
    await add_series(db_session, department, recipients[0], svc.id, weekdays=[0], at=time(10),
                     valid_from=MONDAY_BEFORE)  # fmt: skip
    await book_series_days(db_session, department, now=NOW)
    refused = {}
    for who in recipients[1:3]:
        request = series_service.SeriesRequest(who, svc.id, 60, (0,), time(10), MONDAY_BEFORE, None, 1)
        series, outcomes = await series_service.create(db_session, me(world.municipality, who), ORIGIN, request,
                                                       now=NOW)  # fmt: skip
        assert [o.refusal for o in outcomes] == ["series_share_full", "series_share_full"]
        refused[who] = series

    async def refused_days(series: BookingSeries) -> list[date]:
        found = await db_session.scalars(select(SeriesFailure.day).where(SeriesFailure.series_id == series.id))
        return sorted(found.all())

    # Ended by the recipient: no refused date after now is kept (nor told).
    await series_service.end(db_session, me(world.municipality, recipients[1]), ORIGIN, refused[recipients[1]].id,
                             now=NOW)  # fmt: skip
    assert await refused_days(refused[recipients[1]]) == []
    # Trimmed by a decision that ends on the Thursday between: the first Monday's refusal stays, the second goes.
    admin = Principal(municipality_id=world.municipality, person_id=world.people["dept_admin"],
                      roles=frozenset({("department_admin", department.id)}))  # fmt: skip
    decision = await db_session.scalar(select(Allocation).where(Allocation.recipient_id == recipients[2]))
    assert decision is not None
    await update_allocation(db_session, admin, ORIGIN, allocation_id=decision.id,
                            changes={"valid_to": MONDAY_BEFORE + timedelta(days=3)},
                            today=NOW.astimezone(OSLO).date())  # fmt: skip
    assert await refused_days(refused[recipients[2]]) == [MONDAY_BEFORE]
