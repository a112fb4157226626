"""Pure rules of benefit realisation (gevinstrealisering): bands, rates, trends and the change since a baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONTHS = 12  # the page looks back over the last twelve local months, this one included
# How far ahead a booking was made (its start minus when it was made), in hours: [0, 24), [24, 72), ... [336, inf).
LEAD_BANDS = ("under_1_day", "1_2_days", "3_6_days", "7_13_days", "14_days_or_more")
LEAD_LIMITS_HOURS = (24, 72, 168, 336)
# Which local time of day a visit starts: [0, 6), [6, 10), [10, 14), [14, 18), [18, 24).
TIME_BANDS = ("night", "morning", "midday", "afternoon", "evening")
TIME_LIMITS_HOURS = (6, 10, 14, 18)
FLAT_SHARE = 0.01  # a trend moving less than 1 % of the figure's mean a month is called flat
_MIN_TREND_POINTS = 3


@dataclass(frozen=True)
class MonthCounts:
    """One local month of a department's bookings, as the one-pass query counts them."""

    month: date  # the first day
    due: int  # visits whose time has come: delivered, no-show, or still booked with a start in the past
    no_show: int
    late_cancelled: int
    cancelled: int
    made: int  # every booking starting this month, whatever became of it
    by_recipient: int
    by_proxy: int
    by_staff: int  # staff, administrators and integrations
    allocated_minutes: int  # the decisions' minutes falling in this month
    booked_minutes: int  # booked, delivered and no-show
    delivered_minutes: int
    lost_staff_minutes: int  # no-shows: visit and travel buffers x staff units
    lead: tuple[int, ...]  # bookings per `LEAD_BANDS`
    lead_hours_total: float
    times: tuple[int, ...]  # bookings per `TIME_BANDS`


@dataclass(frozen=True)
class Trend:
    """A least-squares line through a figure's complete months: its change a month, and which way it goes."""

    per_month: float | None  # None with fewer than three months of the figure
    direction: str  # "up", "down", "flat" or "unknown"


@dataclass(frozen=True)
class Baseline:
    """What the department recorded from before self-booking."""

    self_booking_from: date
    no_show_percent: float
    visits_per_month: int
    minutes_per_month: int


@dataclass(frozen=True)
class Change:
    """The complete months since `self_booking_from` against the baseline (None: no such months yet)."""

    months: int
    no_show_percent: float | None
    no_show_points: float | None  # percentage points, after minus before
    visits_per_month: float | None
    visits_percent: float | None  # relative change, after against before
    minutes_per_month: float | None
    minutes_percent: float | None


def window(this_month: date, months: int = MONTHS) -> list[date]:
    """The first days of the `months` months ending with `this_month`'s, oldest first."""
    first = this_month.replace(day=1)
    out = [first]
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def next_month(month: date) -> date:
    """The first day of the month after `month`'s."""
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def ratio(part: float, whole: float) -> float | None:
    """`part / whole`, None when there is no whole."""
    return None if not whole else part / whole


def percent(part: float, whole: float) -> float | None:
    """`part` as a percentage of `whole` to one decimal, None when there is no whole."""
    share = ratio(part, whole)
    return None if share is None else round(100 * share, 1)


def trend(values: Sequence[float | None]) -> Trend:
    """The slope a month of the least-squares line through the values that are there (one a month, in order)."""
    points = [(float(i), float(v)) for i, v in enumerate(values) if v is not None]
    if len(points) < _MIN_TREND_POINTS:
        return Trend(None, "unknown")
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    if abs(slope) <= FLAT_SHARE * abs(mean_y) or slope == 0:
        return Trend(round(slope, 3), "flat")
    return Trend(round(slope, 3), "up" if slope > 0 else "down")


def change_since(baseline: Baseline, complete: Sequence[MonthCounts]) -> Change:
    """The complete months starting on or after the baseline's start date, against the baseline."""
    after = [m for m in complete if m.month >= baseline.self_booking_from]
    if not after:
        return Change(0, None, None, None, None, None, None)
    due = sum(m.due for m in after)
    rate = percent(sum(m.no_show for m in after), due)
    visits = due / len(after)
    minutes = sum(m.delivered_minutes for m in after) / len(after)

    def relative(now: float, before: int) -> float | None:
        return None if before == 0 else round(100 * (now - before) / before, 1)

    return Change(
        months=len(after),
        no_show_percent=rate,
        no_show_points=None if rate is None else round(rate - baseline.no_show_percent, 1),
        visits_per_month=round(visits, 1),
        visits_percent=relative(visits, baseline.visits_per_month),
        minutes_per_month=round(minutes, 1),
        minutes_percent=relative(minutes, baseline.minutes_per_month),
    )


@dataclass(frozen=True)
class Segment:
    """A stretch of time in one local month at one UTC offset: from `start` (UTC) to the next segment's start."""

    start: datetime
    month: date
    offset_seconds: int

    @property
    def local_midnight(self) -> datetime:
        """A local midnight at this segment's offset (UTC), the origin for binning its times by day."""
        local = self.start + timedelta(seconds=self.offset_seconds)
        return datetime.combine(local.date(), time(0), tzinfo=UTC) - timedelta(seconds=self.offset_seconds)


def segments(zone: ZoneInfo, months: Sequence[date]) -> tuple[list[Segment], datetime]:
    """The months cut at every change of UTC offset (DST), and the instant the last one ends.

    Lets SQL find a visit's local month and local time of day from its UTC start with one binary search
    (`width_bucket`) instead of a time zone conversion per row.
    """
    starts = [datetime.combine(m, time(0), tzinfo=zone).astimezone(UTC) for m in months]
    end = datetime.combine(next_month(months[-1]), time(0), tzinfo=zone).astimezone(UTC)
    cuts = set(starts)
    day, quarter = timedelta(days=1), timedelta(minutes=15)
    at = starts[0]
    while at < end:
        after = min(at + day, end)
        if at.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            step = at
            while step.astimezone(zone).utcoffset() == at.astimezone(zone).utcoffset():
                step += quarter
            cuts.add(step)
        at = after
    out = []
    for cut in sorted(cuts):
        local = cut.astimezone(zone)
        offset = local.utcoffset() or timedelta(0)
        out.append(Segment(cut, local.date().replace(day=1), int(offset.total_seconds())))
    return out, end
