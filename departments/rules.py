"""Weekly opening rules, date exceptions and holidays turned into a DST-aware capacity timeline (pure)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from holidays import country_holidays

GRID_MINUTES = frozenset({5, 10, 15, 30, 60})
MIN_STAFF = 1
MAX_STAFF = 50  # the same bound as the CHECK on opening rules
_MIDNIGHT = time(0, 0)
_DAY = timedelta(days=1)
_NO_HOLIDAYS: Mapping[date, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Window:
    """Local wall-clock interval [start, end) on one local date; end 00:00 means 24:00."""

    start: time
    end: time
    staff: int


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """Opening hours on one weekday (0 = Monday), valid from/to the given dates inclusive (None = open-ended)."""

    weekday: int
    start: time
    end: time
    staff: int
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class DateException:
    """On `day`: closed all day, or `windows` replace that day's weekly rules."""

    day: date
    closed: bool
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True, slots=True)
class Cell:
    """One grid cell [start, end) in UTC, with the local date and local start it belongs to."""

    start: datetime
    end: datetime
    local_date: date
    local_start: datetime
    capacity: int


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A validation finding: `index` is the position of the rule or exception in its input sequence."""

    code: str
    weekday: int | None
    day: date | None
    index: int


def _grid(grid_minutes: int) -> timedelta:
    if grid_minutes not in GRID_MINUTES:
        raise ValueError(f"grid_minutes must be one of 5, 10, 15, 30, 60, not {grid_minutes!r}")
    return timedelta(minutes=grid_minutes)


def _span(start: time, end: time) -> tuple[timedelta, timedelta]:
    """The window as offsets from local midnight; an end of 00:00 is 24:00."""

    def since_midnight(moment: time) -> timedelta:
        return timedelta(
            hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
        )

    return since_midnight(start), _DAY if end == _MIDNIGHT else since_midnight(end)


def _times_intersect(a: Window | WeeklyRule, b: Window | WeeklyRule) -> bool:
    a_start, a_end = _span(a.start, a.end)
    b_start, b_end = _span(b.start, b.end)
    return max(a_start, b_start) < min(a_end, b_end)


def _validity(rule: WeeklyRule) -> tuple[date, date]:
    return (
        date.min if rule.valid_from is None else rule.valid_from,
        date.max if rule.valid_to is None else rule.valid_to,
    )


def _periods_intersect(a: WeeklyRule, b: WeeklyRule) -> bool:
    (a_from, a_to), (b_from, b_to) = _validity(a), _validity(b)
    return max(a_from, b_from) <= min(a_to, b_to)


def _window_codes(window: Window | WeeklyRule, grid: timedelta) -> Iterator[str]:
    start, end = _span(window.start, window.end)
    if start >= end:
        yield "empty_window"
    if start % grid or end % grid:
        yield "off_grid"
    if not MIN_STAFF <= window.staff <= MAX_STAFF:
        yield "bad_staff"


def _rule_codes(rule: WeeklyRule, grid: timedelta) -> Iterator[str]:
    if not 0 <= rule.weekday <= 6:  # noqa: PLR2004 - Sunday
        yield "bad_weekday"
    valid_from, valid_to = _validity(rule)
    if valid_from > valid_to:
        yield "bad_validity"
    yield from _window_codes(rule, grid)


def _exception_codes(exception: DateException, grid: timedelta) -> Iterator[str]:
    windows = exception.windows
    for position, window in enumerate(windows):
        yield from _window_codes(window, grid)
        if any(_times_intersect(window, earlier) for earlier in windows[:position]):
            yield "overlap"


def _rule_overlaps(rules: Sequence[WeeklyRule]) -> Iterator[RuleProblem]:
    """One "overlap" per pair of clashing rules, reported at the later rule's index."""
    for index, rule in enumerate(rules):
        for earlier in rules[:index]:
            if (
                rule.weekday == earlier.weekday
                and _periods_intersect(rule, earlier)
                and _times_intersect(rule, earlier)
            ):
                yield RuleProblem("overlap", rule.weekday, None, index)


def validate_rules(
    rules: Sequence[WeeklyRule], exceptions: Sequence[DateException], grid_minutes: int
) -> list[RuleProblem]:
    """Everything wrong with a department's opening rules and date exceptions.

    Args:
        rules: The weekly rules; a problem's `index` is the rule's position here.
        exceptions: The date exceptions; a problem's `index` is the exception's position here.
        grid_minutes: The booking grid: 5, 10, 15, 30 or 60.

    Returns:
        The problems, rules first (each rule's own, then overlaps between rules), then exceptions; empty when
        valid. An overlap is reported once per clashing pair, at the later item's index. Windows touching at
        one end (08-12 and 12-16) do not overlap.

    Raises:
        ValueError: `grid_minutes` is not one of the allowed grids.

    """
    grid = _grid(grid_minutes)
    problems = [
        RuleProblem(code, rule.weekday, None, index)
        for index, rule in enumerate(rules)
        for code in _rule_codes(rule, grid)
    ]
    problems.extend(_rule_overlaps(rules))
    problems.extend(
        RuleProblem(code, None, exception.day, index)
        for index, exception in enumerate(exceptions)
        for code in _exception_codes(exception, grid)
    )
    return problems


def norwegian_holidays(first: date, last: date) -> dict[date, str]:
    """Norwegian public holidays (helligdager and offentlige høytidsdager) in [first, last], named in bokmål.

    Ordinary Sundays are not included (`include_sundays=False`); Easter Sunday and Whit Sunday are. Two
    holidays on one date share an entry, e.g. 17 May 2027 is "Andre pinsedag; Grunnlovsdag".

    Args:
        first: The first date, inclusive.
        last: The last date, inclusive.

    Returns:
        Holiday name by date, in date order; empty when `first` is after `last`.

    """
    if first > last:
        return {}
    calendar = country_holidays("NO", years=range(first.year, last.year + 1), language="no", include_sundays=False)
    return {day: name for day, name in sorted(calendar.items()) if first <= day <= last}


def _windows_on(
    day: date,
    rules: Sequence[WeeklyRule],
    exceptions: Mapping[date, DateException],
    holidays: Mapping[date, str],
    open_on_holidays: frozenset[date],
) -> Sequence[Window]:
    exception = exceptions.get(day)
    if exception is not None:
        return () if exception.closed else exception.windows
    if day in holidays and day not in open_on_holidays:
        return ()
    return [
        Window(rule.start, rule.end, rule.staff)
        for rule in rules
        if rule.weekday == day.weekday() and _validity(rule)[0] <= day <= _validity(rule)[1]
    ]


def _instants(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the zone's clocks show `wall`: none in a gap, two in a repeated hour."""
    found: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in found:
            found.append(instant)
    return found


def _window_cells(day: date, window: Window, zone: ZoneInfo, grid: timedelta) -> Iterator[Cell]:
    """One cell per existing occurrence of each local grid time in the window on `day`."""
    start, end = _span(window.start, window.end)
    midnight = datetime.combine(day, _MIDNIGHT)
    offset = -(-start // grid) * grid  # the first grid time at or after the start
    while offset < end:
        for instant in _instants(midnight + offset, zone):
            yield Cell(instant, instant + grid, day, instant.astimezone(zone), window.staff)
        offset += grid


def capacity_timeline(  # noqa: PLR0913 - the opening data of a department, all keyword-only but the rules
    rules: Sequence[WeeklyRule],
    exceptions: Sequence[DateException],
    *,
    zone: ZoneInfo,
    grid_minutes: int,
    first: date,
    last: date,
    holidays: Mapping[date, str] = _NO_HOLIDAYS,
    open_on_holidays: frozenset[date] = frozenset(),
) -> list[Cell]:
    """The department's staffed grid cells on the local dates [first, last], in time order.

    A day's hours come from its date exception if it has one (the last one wins if there are several);
    else none if it is a holiday not in `open_on_holidays`; else from the weekly rules for its weekday valid
    on it. A cell is made for every occurrence of every local grid time (minute of day divisible by the grid)
    inside a window: none for local times skipped by a spring-forward, two for a repeated autumn hour (folds 0
    and 1). A cell lasts `grid_minutes` in UTC. Overlapping windows (invalid input) add up their staff.

    Args:
        rules: The weekly rules.
        exceptions: Date exceptions: closed days, or other hours replacing the rules.
        zone: The department's time zone; windows are wall-clock times there.
        grid_minutes: The grid: 5, 10, 15, 30 or 60.
        first: The first local date, inclusive.
        last: The last local date, inclusive.
        holidays: Dates closed unless in `open_on_holidays` (see `norwegian_holidays`).
        open_on_holidays: Holidays on which the weekly rules apply as usual.

    Returns:
        Cells unique by start, sorted by start. Cells tile without overlap when the zone's offset changes are
        multiples of the grid; a 30-minute change with a 60-minute grid (Australia/Lord_Howe) leaves a
        30-minute gap between two cells instead.

    Raises:
        ValueError: `grid_minutes` is not one of the allowed grids.

    """
    grid = _grid(grid_minutes)
    by_day = {exception.day: exception for exception in exceptions}
    cells: dict[datetime, Cell] = {}
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        day = date.fromordinal(ordinal)
        for window in _windows_on(day, rules, by_day, holidays, open_on_holidays):
            for cell in _window_cells(day, window, zone, grid):
                known = cells.get(cell.start)
                cells[cell.start] = cell if known is None else replace(known, capacity=known.capacity + cell.capacity)
    return sorted(cells.values(), key=lambda cell: cell.start)
