from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from departments.rules import (
    Cell,
    DateException,
    WeeklyRule,
    Window,
    capacity_timeline,
    norwegian_holidays,
    validate_rules,
)

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SPRING_FORWARD = date(2027, 3, 28)  # Sunday, and Easter Sunday: 02:00 CET -> 03:00 CEST
FALL_BACK = date(2027, 10, 31)  # Sunday: 03:00 CEST -> 02:00 CET
TUESDAY = date(2027, 3, 2)
MONDAY, SUNDAY = 0, 6
WHOLE_SUNDAY = WeeklyRule(SUNDAY, time(0), time(0), 2)
HOLIDAYS = norwegian_holidays(date(2026, 1, 1), date(2028, 12, 31))


def timeline(
    rules: Sequence[WeeklyRule],
    first: date,
    last: date | None = None,
    *,
    zone: ZoneInfo = OSLO,
    grid: int = 15,
    exceptions: Sequence[DateException] = (),
    holidays: Mapping[date, str] | None = None,
    open_on: frozenset[date] = frozenset(),
) -> list[Cell]:
    return capacity_timeline(
        rules,
        exceptions,
        zone=zone,
        grid_minutes=grid,
        first=first,
        last=first if last is None else last,
        holidays=holidays or {},
        open_on_holidays=open_on,
    )


def local_times(cells: Sequence[Cell]) -> list[str]:
    return [cell.local_start.strftime("%H:%M") for cell in cells]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def contiguous(cells: Sequence[Cell]) -> bool:
    return all(a.end == b.start for a, b in pairwise(cells))


# DST in Europe/Oslo


def test_spring_forward_has_no_cells_from_two_to_three() -> None:
    cells = timeline([WHOLE_SUNDAY], SPRING_FORWARD)
    assert len(cells) == 92
    assert not [cell for cell in cells if cell.local_start.hour == 2]
    assert all(a.start < b.start for a, b in pairwise(cells))
    assert contiguous(cells)
    assert (cells[0].start, cells[-1].end) == (utc(2027, 3, 27, 23), utc(2027, 3, 28, 22))
    assert local_times(cells[7:9]) == ["01:45", "03:00"]
    assert cells[8].start == utc(2027, 3, 28, 1)
    assert {cell.capacity for cell in cells} == {2}
    assert {cell.local_date for cell in cells} == {SPRING_FORWARD}


def test_fall_back_has_every_cell_from_two_to_three_twice_in_time_order() -> None:
    cells = timeline([WHOLE_SUNDAY], FALL_BACK)
    assert len(cells) == 100
    two = [cell for cell in cells if cell.local_start.hour == 2]
    assert local_times(two) == ["02:00", "02:15", "02:30", "02:45"] * 2
    assert [cell.local_start.fold for cell in two] == [0] * 4 + [1] * 4
    assert [cell.local_start.utcoffset() for cell in two] == [timedelta(hours=2)] * 4 + [timedelta(hours=1)] * 4
    assert [cell.start for cell in two] == [utc(2027, 10, 31, 0) + timedelta(minutes=15 * i) for i in range(8)]
    assert all(a.start < b.start for a, b in pairwise(cells))
    assert contiguous(cells)
    assert (cells[0].start, cells[-1].end) == (utc(2027, 10, 30, 22), utc(2027, 10, 31, 23))


def test_a_window_inside_the_repeated_hour_gets_both_occurrences() -> None:
    cells = timeline([WeeklyRule(SUNDAY, time(2), time(3), 1)], FALL_BACK, grid=30)
    assert [cell.start for cell in cells] == [
        utc(2027, 10, 31, 0),
        utc(2027, 10, 31, 0, 30),
        utc(2027, 10, 31, 1),
        utc(2027, 10, 31, 1, 30),
    ]


def test_a_window_inside_the_skipped_hour_is_empty() -> None:
    assert timeline([WeeklyRule(SUNDAY, time(2), time(3), 1)], SPRING_FORWARD) == []
    assert local_times(timeline([WeeklyRule(SUNDAY, time(1, 30), time(3, 30), 1)], SPRING_FORWARD, grid=30)) == [
        "01:30",
        "03:00",
    ]


def test_ordinary_tuesday_with_two_staff_counts() -> None:
    rules = [WeeklyRule(1, time(8), time(12), 3), WeeklyRule(1, time(12), time(16), 2)]
    cells = timeline(rules, TUESDAY)
    assert [cell.capacity for cell in cells] == [3] * 16 + [2] * 16
    assert (cells[0].start, cells[-1].end) == (utc(2027, 3, 2, 7), utc(2027, 3, 2, 15))
    assert contiguous(cells)
    summer = timeline(rules, date(2027, 6, 1))
    assert summer[0].start == utc(2027, 6, 1, 6)
    assert all(cell.end - cell.start == timedelta(minutes=15) for cell in cells + summer)


# Other zones


def test_new_york_spring_forward_and_fall_back() -> None:
    spring = timeline([WHOLE_SUNDAY], date(2027, 3, 14), zone=NEW_YORK, grid=60)
    assert len(spring) == 23
    assert local_times(spring[1:3]) == ["01:00", "03:00"]
    assert [cell.start for cell in spring[1:3]] == [utc(2027, 3, 14, 6), utc(2027, 3, 14, 7)]
    assert contiguous(spring)
    autumn = timeline([WHOLE_SUNDAY], date(2027, 11, 7), zone=NEW_YORK, grid=60)
    assert len(autumn) == 25
    assert local_times(autumn[1:4]) == ["01:00", "01:00", "02:00"]
    assert [cell.local_start.fold for cell in autumn[1:3]] == [0, 1]
    assert contiguous(autumn)


def test_lord_howe_half_hour_spring_forward_leaves_a_half_hour_gap_at_a_60_minute_grid() -> None:
    # 2027-10-03 02:00 +10:30 -> 02:30 +11:00: local 02:00 does not exist, local 03:00 does.
    cells = timeline([WHOLE_SUNDAY], date(2027, 10, 3), zone=LORD_HOWE, grid=60)
    assert len(cells) == 23
    assert [cell.local_start.hour for cell in cells] == [0, 1, *range(3, 24)]
    assert [(cell.start, cell.end) for cell in cells[1:3]] == [
        (utc(2027, 10, 2, 14, 30), utc(2027, 10, 2, 15, 30)),
        (utc(2027, 10, 2, 16), utc(2027, 10, 2, 17)),
    ]
    assert contiguous(cells[:2])
    assert contiguous(cells[2:])


def test_lord_howe_half_hour_fall_back() -> None:
    # 2027-04-04 02:00 +11:00 -> 01:30 +10:30: only 01:30-01:59 repeats.
    hourly = timeline([WHOLE_SUNDAY], date(2027, 4, 4), zone=LORD_HOWE, grid=60)
    assert len(hourly) == 24
    assert [cell.local_start.hour for cell in hourly] == list(range(24))
    assert [(cell.start, cell.end) for cell in hourly[1:3]] == [
        (utc(2027, 4, 3, 14), utc(2027, 4, 3, 15)),
        (utc(2027, 4, 3, 15, 30), utc(2027, 4, 3, 16, 30)),
    ]
    half_hourly = timeline([WHOLE_SUNDAY], date(2027, 4, 4), zone=LORD_HOWE, grid=30)
    assert len(half_hourly) == 49
    assert local_times(half_hourly[2:6]) == ["01:00", "01:30", "01:30", "02:00"]
    assert [cell.local_start.fold for cell in half_hourly[3:5]] == [0, 1]
    assert contiguous(half_hourly)


# Exceptions, holidays, validity


def test_a_closed_exception_closes_the_day_only() -> None:
    rules = [WeeklyRule(1, time(8), time(16), 2)]
    cells = timeline(rules, TUESDAY, TUESDAY + timedelta(days=7), exceptions=[DateException(TUESDAY, closed=True)])
    assert {cell.local_date for cell in cells} == {TUESDAY + timedelta(days=7)}


def test_exception_windows_replace_the_rules() -> None:
    rules = [WeeklyRule(1, time(8), time(16), 2)]
    other = DateException(TUESDAY, closed=False, windows=(Window(time(10), time(12), 5), Window(time(13), time(14), 1)))
    cells = timeline(rules, TUESDAY, exceptions=[other])
    assert [(cell.local_start.strftime("%H:%M"), cell.capacity) for cell in cells[7:9]] == [("11:45", 5), ("13:00", 1)]
    assert [cell.capacity for cell in cells] == [5] * 8 + [1] * 4


def test_an_exception_can_open_a_day_without_rules_or_a_holiday() -> None:
    may_17 = date(2027, 5, 17)
    opened = [DateException(day, closed=False, windows=(Window(time(10), time(11), 1),)) for day in (TUESDAY, may_17)]
    assert len(timeline([], TUESDAY, exceptions=opened)) == 4
    assert len(timeline([], may_17, exceptions=opened, holidays=HOLIDAYS)) == 4


def test_a_closed_exception_wins_over_open_on_holidays() -> None:
    may_17 = date(2027, 5, 17)
    rules = [WeeklyRule(MONDAY, time(8), time(16), 2)]
    closed = [DateException(may_17, closed=True)]
    assert timeline(rules, may_17, exceptions=closed, holidays=HOLIDAYS, open_on=frozenset({may_17})) == []


def test_of_two_exceptions_for_one_day_the_last_wins() -> None:
    exceptions = [
        DateException(TUESDAY, closed=False, windows=(Window(time(10), time(11), 1),)),
        DateException(TUESDAY, closed=True),
    ]
    assert timeline([WeeklyRule(1, time(8), time(16), 2)], TUESDAY, exceptions=exceptions) == []


def test_norwegian_holidays_2027() -> None:
    assert norwegian_holidays(date(2027, 1, 1), date(2027, 12, 31)) == {
        date(2027, 1, 1): "Første nyttårsdag",
        date(2027, 3, 25): "Skjærtorsdag",
        date(2027, 3, 26): "Langfredag",
        date(2027, 3, 28): "Første påskedag",
        date(2027, 3, 29): "Andre påskedag",
        date(2027, 5, 1): "Arbeidernes dag",
        date(2027, 5, 6): "Kristi himmelfartsdag",
        date(2027, 5, 16): "Første pinsedag",
        date(2027, 5, 17): "Andre pinsedag; Grunnlovsdag",
        date(2027, 12, 25): "Første juledag",
        date(2027, 12, 26): "Andre juledag",
    }


def test_norwegian_holidays_keep_to_the_range_and_skip_ordinary_sundays() -> None:
    assert list(norwegian_holidays(date(2026, 12, 26), date(2027, 1, 1))) == [date(2026, 12, 26), date(2027, 1, 1)]
    assert norwegian_holidays(date(2027, 1, 2), date(2027, 1, 1)) == {}
    sundays = {day: name for day, name in HOLIDAYS.items() if day.weekday() == SUNDAY}
    assert set(sundays.values()) <= {
        "Første påskedag",
        "Første pinsedag",
        "Grunnlovsdag",  # 17 May 2026
        "Første juledag",
        "Andre juledag",
    }
    assert len(HOLIDAYS) == 35
    assert date(2027, 3, 21) not in HOLIDAYS
    assert not [name for name in HOLIDAYS.values() if "Søndag" in name]


def test_holidays_close_unless_open_on_holidays() -> None:
    may_17 = date(2027, 5, 17)
    rules = [WeeklyRule(MONDAY, time(8), time(16), 2)]
    assert len(timeline(rules, may_17)) == 32  # no holidays given
    assert timeline(rules, may_17, holidays=HOLIDAYS) == []
    assert len(timeline(rules, may_17, holidays=HOLIDAYS, open_on=frozenset({may_17}))) == 32


def test_easter_sunday_is_a_holiday_but_an_ordinary_sunday_is_not() -> None:
    assert timeline([WHOLE_SUNDAY], SPRING_FORWARD, holidays=HOLIDAYS) == []
    assert len(timeline([WHOLE_SUNDAY], SPRING_FORWARD, holidays=HOLIDAYS, open_on=frozenset({SPRING_FORWARD}))) == 92
    assert len(timeline([WHOLE_SUNDAY], date(2027, 3, 21), holidays=HOLIDAYS)) == 96


def test_validity_dates_are_inclusive() -> None:
    rule = WeeklyRule(MONDAY, time(8), time(9), 1, valid_from=date(2027, 3, 8), valid_to=date(2027, 3, 15))
    cells = timeline([rule], date(2027, 3, 1), date(2027, 3, 22))
    assert sorted({cell.local_date for cell in cells}) == [date(2027, 3, 8), date(2027, 3, 15)]
    open_ended = WeeklyRule(MONDAY, time(8), time(9), 1, valid_from=date(2027, 3, 15))
    assert {cell.local_date for cell in timeline([open_ended], date(2027, 3, 1), date(2027, 3, 22))} == {
        date(2027, 3, 15),
        date(2027, 3, 22),
    }


def test_summer_and_winter_hours_switch_on_the_date() -> None:
    winter = WeeklyRule(MONDAY, time(8), time(16), 2, valid_to=date(2027, 4, 30))
    summer = WeeklyRule(MONDAY, time(9), time(15), 1, valid_from=date(2027, 5, 1))
    cells = timeline([winter, summer], date(2027, 4, 26), date(2027, 5, 3))
    assert [(cell.local_date, cell.capacity) for cell in (cells[0], cells[-1])] == [
        (date(2027, 4, 26), 2),
        (date(2027, 5, 3), 1),
    ]
    assert len(cells) == 32 + 24


# Grids and window edges


@pytest.mark.parametrize(("grid", "count"), [(5, 48), (10, 24), (15, 16), (30, 8), (60, 4)])
def test_grids(grid: int, count: int) -> None:
    cells = timeline([WeeklyRule(1, time(8), time(12), 1)], TUESDAY, grid=grid)
    assert len(cells) == count
    assert all(cell.end - cell.start == timedelta(minutes=grid) for cell in cells)
    assert all(cell.local_start.minute % grid == 0 for cell in cells)
    assert contiguous(cells)


@pytest.mark.parametrize("grid", [0, 1, 7, 20, 45, 120])
def test_other_grids_are_refused(grid: int) -> None:
    with pytest.raises(ValueError, match="grid_minutes"):
        timeline([], TUESDAY, grid=grid)


def test_a_window_ending_at_midnight() -> None:
    cells = timeline([WeeklyRule(1, time(22), time(0), 1)], TUESDAY, grid=30)
    assert local_times(cells) == ["22:00", "22:30", "23:00", "23:30"]
    assert cells[-1].end == datetime(2027, 3, 3, tzinfo=OSLO)
    assert {cell.local_date for cell in cells} == {TUESDAY}
    assert len(timeline([WeeklyRule(1, time(0), time(0), 1)], TUESDAY, grid=60)) == 24


def test_overlapping_windows_add_up_their_staff() -> None:
    cells = timeline([WeeklyRule(1, time(8), time(12), 2), WeeklyRule(1, time(10), time(14), 1)], TUESDAY, grid=60)
    assert [(cell.local_start.hour, cell.capacity) for cell in cells] == [
        (8, 2),
        (9, 2),
        (10, 3),
        (11, 3),
        (12, 1),
        (13, 1),
    ]


def test_an_off_grid_start_begins_at_the_next_grid_time() -> None:
    assert local_times(timeline([WeeklyRule(1, time(8, 7), time(9), 1)], TUESDAY)) == ["08:15", "08:30", "08:45"]


def test_empty_windows_and_ranges_give_nothing() -> None:
    assert timeline([WeeklyRule(1, time(12), time(8), 1)], TUESDAY) == []
    assert timeline([WeeklyRule(1, time(8), time(12), 1)], TUESDAY, TUESDAY - timedelta(days=1)) == []


# Properties, Europe/Oslo 2026-2028


@dataclass(frozen=True)
class Scenario:
    rules: tuple[WeeklyRule, ...]
    exceptions: tuple[DateException, ...]
    grid: int
    first: date
    last: date
    open_on: frozenset[date]


def as_time(minute: int) -> time:
    return time(0) if minute == 24 * 60 else time(minute // 60, minute % 60)


def minutes(window: Window) -> tuple[int, int]:
    end = window.end.hour * 60 + window.end.minute
    return window.start.hour * 60 + window.start.minute, end or 24 * 60


@st.composite
def day_windows(draw: st.DrawFn, grid: int) -> list[Window]:
    """Non-overlapping (possibly touching) windows on the grid."""
    points = sorted(draw(st.sets(st.integers(0, 24 * 60 // grid), max_size=6)))
    return [
        Window(as_time(start * grid), as_time(end * grid), draw(st.integers(1, 50)))
        for start, end in pairwise(points)
        if draw(st.booleans())
    ]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    grid = draw(st.sampled_from([5, 10, 15, 30, 60]))
    first = draw(st.dates(date(2026, 1, 1), date(2028, 12, 31)))
    last = min(first + timedelta(days=draw(st.integers(0, 20))), date(2028, 12, 31))
    cuts = sorted(draw(st.sets(st.dates(first - timedelta(days=7), last + timedelta(days=7)), max_size=2)))
    bounds: list[date | None] = [None, *cuts, None]
    rules = [
        WeeklyRule(
            weekday,
            window.start,
            window.end,
            window.staff,
            valid_from,
            valid_to - timedelta(days=1) if valid_to else None,
        )
        for valid_from, valid_to in pairwise(bounds)
        for weekday in range(7)
        for window in draw(day_windows(grid))
    ]
    exceptions = [
        DateException(day, closed=closed, windows=() if closed else tuple(draw(day_windows(grid))))
        for day in sorted(draw(st.sets(st.dates(first, last), max_size=3)))
        for closed in [draw(st.booleans())]
    ]
    holidays = sorted(day for day in HOLIDAYS if first <= day <= last)
    open_on = draw(st.frozensets(st.sampled_from(holidays))) if holidays else frozenset[date]()
    return Scenario(tuple(rules), tuple(exceptions), grid, first, last, open_on)


def timeline_of(scenario: Scenario, first: date | None = None, last: date | None = None) -> list[Cell]:
    return capacity_timeline(
        scenario.rules,
        scenario.exceptions,
        zone=OSLO,
        grid_minutes=scenario.grid,
        first=scenario.first if first is None else first,
        last=scenario.last if last is None else last,
        holidays=HOLIDAYS,
        open_on_holidays=scenario.open_on,
    )


def expected_windows(scenario: Scenario, day: date) -> list[Window]:
    """The spec, restated: the exception decides, else a holiday closes, else the rules valid that day."""
    for exception in scenario.exceptions:
        if exception.day == day:
            return [] if exception.closed else list(exception.windows)
    if day in HOLIDAYS and day not in scenario.open_on:
        return []
    return [
        Window(rule.start, rule.end, rule.staff)
        for rule in scenario.rules
        if rule.weekday == day.weekday()
        and (rule.valid_from is None or rule.valid_from <= day)
        and (rule.valid_to is None or day <= rule.valid_to)
    ]


def staff_at(windows: Sequence[Window], minute_of_day: int) -> int:
    return sum(window.staff for window in windows if minutes(window)[0] <= minute_of_day < minutes(window)[1])


def scanned(scenario: Scenario) -> dict[datetime, int]:
    """Staff by UTC start, found by stepping through every UTC grid instant and reading the local clock.

    Independent of the implementation; works for Oslo because its offsets are whole hours.
    """
    days = {
        date.fromordinal(ordinal): expected_windows(scenario, date.fromordinal(ordinal))
        for ordinal in range(scenario.first.toordinal(), scenario.last.toordinal() + 1)
    }
    step = timedelta(minutes=scenario.grid)
    instant = datetime.combine(scenario.first, time(0), tzinfo=UTC) - timedelta(hours=3)
    stop = datetime.combine(scenario.last + timedelta(days=1), time(0), tzinfo=UTC)
    found: dict[datetime, int] = {}
    while instant < stop:
        local = instant.astimezone(OSLO)
        staff = staff_at(days.get(local.date(), []), local.hour * 60 + local.minute)
        if staff:
            found[instant] = staff
        instant += step
    return found


PROPERTIES = settings(max_examples=150, deadline=None, database=None)
SPRING_EXAMPLE = Scenario((WHOLE_SUNDAY,), (), 15, SPRING_FORWARD, SPRING_FORWARD, frozenset({SPRING_FORWARD}))
FALL_EXAMPLE = Scenario((WHOLE_SUNDAY,), (), 15, FALL_BACK, FALL_BACK, frozenset())
AROUND_EXAMPLE = Scenario(
    (
        WeeklyRule(SUNDAY, time(1), time(4), 3, valid_to=date(2027, 10, 30)),
        WeeklyRule(SUNDAY, time(1, 30), time(2, 30), 1, valid_from=date(2027, 10, 31)),
        WeeklyRule(5, time(22), time(0), 2),
    ),
    (),
    30,
    date(2027, 10, 23),
    date(2027, 11, 7),
    frozenset(),
)


@PROPERTIES
@given(scenarios())
@example(SPRING_EXAMPLE)
@example(FALL_EXAMPLE)
@example(AROUND_EXAMPLE)
def test_every_cell_is_a_local_grid_time_inside_a_window_of_its_day(scenario: Scenario) -> None:
    assert validate_rules(scenario.rules, scenario.exceptions, scenario.grid) == []
    for cell in timeline_of(scenario):
        local = cell.local_start
        assert local == cell.start.astimezone(OSLO)
        assert local.date() == cell.local_date
        assert scenario.first <= cell.local_date <= scenario.last
        assert (local.hour * 60 + local.minute) % scenario.grid == 0
        assert (local.second, local.microsecond) == (0, 0)
        assert cell.end - cell.start == timedelta(minutes=scenario.grid)
        staff = staff_at(expected_windows(scenario, cell.local_date), local.hour * 60 + local.minute)
        assert cell.capacity == staff >= 1


@PROPERTIES
@given(scenarios())
@example(SPRING_EXAMPLE)
@example(FALL_EXAMPLE)
@example(AROUND_EXAMPLE)
def test_cells_are_sorted_and_never_overlap(scenario: Scenario) -> None:
    for a, b in pairwise(timeline_of(scenario)):
        assert a.start < b.start
        assert a.end <= b.start


@PROPERTIES
@given(scenarios())
@example(SPRING_EXAMPLE)
@example(FALL_EXAMPLE)
@example(AROUND_EXAMPLE)
def test_cells_are_exactly_the_existing_local_grid_times(scenario: Scenario) -> None:
    cells = timeline_of(scenario)
    expected = scanned(scenario)
    assert len(cells) == len(expected)
    assert {cell.start: cell.capacity for cell in cells} == expected


@PROPERTIES
@given(scenarios(), st.integers(0, 21))
@example(SPRING_EXAMPLE, 0)
@example(FALL_EXAMPLE, 0)
@example(AROUND_EXAMPLE, 7)
def test_splitting_the_range_changes_nothing(scenario: Scenario, cut: int) -> None:
    middle = min(scenario.first + timedelta(days=cut), scenario.last)
    assert timeline_of(scenario) == timeline_of(scenario, last=middle) + timeline_of(
        scenario, first=middle + timedelta(days=1)
    )
