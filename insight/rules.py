"""Pure rules of the views around the decision: review dates, weekly shares, evaluation, coverage, committee."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from booking import rules as booking_rules
from booking.rules import FOUR_WEEKS, MONTH, WEEK, Period, period_of


def default_review_date(valid_from: date) -> date:
    """The default yearly review date of a decision starting on `valid_from`.

    The Monday of ISO week 47 of `valid_from`'s ISO year if that is on or after `valid_from`, else the Monday of
    ISO week 47 of the next ISO year (as migration 0009 backfills). The rule lives in `booking.rules`, where every
    new decision gets it; the views around the decision use it from here.
    """
    return booking_rules.default_review_date(valid_from)


# --- Weekly shares -------------------------------------------------------------------------------------------

WEEK_MINUTES = 7 * 24 * 60  # 10080: the whole week, the base of the committee's respite share
_WEEKS_A_YEAR, _MONTHS_A_YEAR, _WEEKS_IN_FOUR = 52, 12, 4


def weekly_share(minutes: int, period: str) -> Fraction:
    """A decision's minutes per week: a week's as granted, a month's x 12 / 52, a 4-week period's / 4.

    Raises:
        ValueError: an unknown period.

    """
    if period == WEEK:
        return Fraction(minutes)
    if period == MONTH:
        return Fraction(minutes * _MONTHS_A_YEAR, _WEEKS_A_YEAR)
    if period == FOUR_WEEKS:
        return Fraction(minutes, _WEEKS_IN_FOUR)
    raise ValueError(f"unknown period {period!r}")


def monday_of(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def valid_between(valid_from: date, valid_to: date | None, first: date, last: date) -> bool:
    """Whether a decision valid on [valid_from, valid_to] (open-ended when None) is valid on a day of [first, last]."""
    return valid_from <= last and (valid_to is None or valid_to >= first)


# --- Trial-decision evaluation ---------------------------------------------------------------------------------

# Booking statuses, as stored (booking/tables.py); the visits that held the recipient's time are the "chosen" ones.
BOOKED, CANCELLED, LATE_CANCELLED, DELIVERED, NO_SHOW = "booked", "cancelled", "late_cancelled", "delivered", "no_show"
HELD = frozenset({BOOKED, DELIVERED, NO_SHOW})
ANSWERS = ("yes", "mixed", "no")  # Ja / Både ja og nei / Nei


@dataclass(frozen=True, slots=True)
class Terms:
    """What a decision grants, as the evaluation needs it."""

    minutes: int
    period: str
    anchor: date | None
    valid_from: date
    valid_to: date | None
    evaluation_date: date | None


@dataclass(frozen=True, slots=True)
class Visit:
    """A booking of the decision: its start (aware), length, status, the period charged and whether it still counts.

    `charged` is False when the minutes went back to the decision (cancelled in time, or a policy that does not
    count no-shows or late cancellations).
    """

    start: datetime
    minutes: int
    status: str
    period_start: date
    charged: bool


@dataclass(frozen=True, slots=True)
class Minutes:
    """Minutes of one period (or of all): granted, per booking status, charged to the decision, and left."""

    granted: int = 0
    booked: int = 0
    delivered: int = 0
    cancelled: int = 0
    late_cancelled: int = 0
    no_show: int = 0
    charged: int = 0

    @property
    def left(self) -> int:
        """Granted minutes not charged (never below zero in the ledger; here it may show an overdraw)."""
        return self.granted - self.charged

    def __add__(self, other: Minutes) -> Minutes:
        """Field by field."""
        return Minutes(*(getattr(self, f) + getattr(other, f) for f in _MINUTE_FIELDS))


_MINUTE_FIELDS = ("granted", "booked", "delivered", "cancelled", "late_cancelled", "no_show", "charged")
_BY_STATUS = {BOOKED: "booked", DELIVERED: "delivered", CANCELLED: "cancelled", LATE_CANCELLED: "late_cancelled",
              NO_SHOW: "no_show"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PeriodMinutes:
    """One allocation period's figures."""

    period: Period
    minutes: Minutes


@dataclass(frozen=True, slots=True)
class Choice:
    """How many visits (and minutes) the recipient chose at one local hour (0-23) or ISO weekday (1-7)."""

    key: int
    visits: int
    minutes: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A decision's use, period by period, from its start to `last` (None: nothing to evaluate yet)."""

    last: date | None
    periods: tuple[PeriodMinutes, ...]
    total: Minutes
    hours: tuple[Choice, ...]
    weekdays: tuple[Choice, ...]


def evaluated_until(terms: Terms, today: date) -> date | None:
    """The last day an evaluation covers: today, or the decision's end or evaluation date if earlier.

    None when the decision has not started by then.
    """
    last = min(d for d in (today, terms.valid_to, terms.evaluation_date) if d is not None)
    return last if last >= terms.valid_from else None


def periods_between(period: str, anchor: date | None, first: date, last: date) -> list[Period]:
    """The allocation periods (`booking.rules.period_of`) containing any day of [first, last], in order."""
    found: list[Period] = []
    day = first
    while day <= last:
        found.append(period_of(period, anchor, day))
        day = found[-1].end + timedelta(days=1)
    return found


def _period_minutes(granted: int, visits: Sequence[Visit]) -> Minutes:
    counts = dict.fromkeys(_MINUTE_FIELDS, 0)
    counts["granted"] = granted
    for visit in visits:
        counts[_BY_STATUS[visit.status]] += visit.minutes
        counts["charged"] += visit.minutes if visit.charged else 0
    return Minutes(**counts)


def _choices(visits: Sequence[Visit], key: Callable[[datetime], int]) -> tuple[Choice, ...]:
    counted: dict[int, tuple[int, int]] = {}
    for visit in visits:
        at = key(visit.start)
        number, minutes = counted.get(at, (0, 0))
        counted[at] = (number + 1, minutes + visit.minutes)
    return tuple(Choice(at, number, minutes) for at, (number, minutes) in sorted(counted.items()))


def evaluate(terms: Terms, visits: Sequence[Visit], *, today: date, zone: ZoneInfo) -> Evaluation:
    """How a decision has been used: minutes per period, and the hours and weekdays the recipient chose.

    Each period from the one containing `valid_from` to the one containing `evaluated_until` is granted the
    decision's full minutes (as the allocation ledger does, also for a first period the decision enters midway).
    Visits count in the period they were charged to; visits of other periods are left out. Minutes per status:
    `booked` is the visits still booked (future, or past without an outcome yet), `charged` what the ledger
    holds against the grant. The chosen hours and weekdays are the visits that held the recipient's time
    (booked, delivered, no-show), by local start time in `zone`: hours 0-23, ISO weekdays 1 (Monday) to 7.

    Args:
        terms: The decision.
        visits: Its bookings, in any order.
        today: The local date the evaluation is made.
        zone: The department's time zone.

    """
    last = evaluated_until(terms, today)
    if last is None:
        return Evaluation(None, (), Minutes(), (), ())
    periods = periods_between(terms.period, terms.anchor, terms.valid_from, last)
    by_period: dict[date, list[Visit]] = {p.start: [] for p in periods}
    for visit in visits:
        if visit.period_start in by_period:
            by_period[visit.period_start].append(visit)
    rows = tuple(PeriodMinutes(p, _period_minutes(terms.minutes, by_period[p.start])) for p in periods)
    total = sum((row.minutes for row in rows), Minutes())
    chosen = [v for p in periods for v in by_period[p.start] if v.status in HELD]
    hours = _choices(chosen, lambda start: start.astimezone(zone).hour)
    weekdays = _choices(chosen, lambda start: start.astimezone(zone).isoweekday())
    return Evaluation(last, rows, total, hours, weekdays)


def feedback_counts(answers: Iterable[str]) -> dict[str, int]:
    """How many answered yes, mixed and no (every key present; unknown answers are not counted)."""
    counts = dict.fromkeys(ANSWERS, 0)
    for answer in answers:
        if answer in counts:
            counts[answer] += 1
    return counts


def feedback_shown(counts: Mapping[str, int], *, individual: bool, min_group: int) -> dict[str, int] | None:
    """The counts a viewer of an evaluation gets: all of them if they may see the individual answers.

    Others (administrators, the case worker) get them only from `min_group` answers on, the privacy threshold of
    the department's monthly figures: with fewer, the counts would show one person's answers one by one.
    """
    return dict(counts) if individual or sum(counts.values()) >= min_group else None


# --- Capacity coverage (the resource allocation model) ---------------------------------------------------------

NEAR_PERCENT = 90  # allocations above this share of the staffed minutes get the softer warning
OVER, NEAR = "over", "near"


@dataclass(frozen=True, slots=True)
class Staffed:
    """Staff on duty for a stretch of one local date: `minutes` long, `staff` units."""

    local_date: date
    minutes: int
    staff: int


@dataclass(frozen=True, slots=True)
class Share:
    """A decision of the department: its grant, validity, and the staff units each visit of its service takes."""

    minutes: int
    period: str
    valid_from: date
    valid_to: date | None
    staff_units: int


@dataclass(frozen=True, slots=True)
class Load:
    """A booking of the department: local date of its start, visit minutes, staff units, status."""

    local_date: date
    minutes: int
    staff_units: int
    status: str


@dataclass(frozen=True, slots=True)
class CoverageWeek:
    """One ISO week of a department, all figures in staff-unit minutes."""

    monday: date
    staffed: int
    allocated: Fraction
    booked: int
    delivered: int
    level: str | None

    @property
    def percent(self) -> Fraction | None:
        """Allocated as a percentage of staffed; None when nobody is on duty."""
        return self.allocated * 100 / self.staffed if self.staffed else None


def staffed_by_day(stretches: Iterable[Staffed]) -> dict[date, int]:
    """Staff-unit minutes per local date."""
    days: dict[date, int] = {}
    for stretch in stretches:
        days[stretch.local_date] = days.get(stretch.local_date, 0) + stretch.minutes * stretch.staff
    return days


def coverage_level(allocated: Fraction, staffed: int) -> str | None:
    """`over` when the allocations exceed the staffed minutes, `near` above 90 % of them, else None."""
    if allocated > staffed:
        return OVER
    if allocated * 100 > staffed * NEAR_PERCENT:
        return NEAR
    return None


def coverage(
    mondays: Sequence[date], staffed_days: Mapping[date, int], shares: Sequence[Share], loads: Sequence[Load]
) -> list[CoverageWeek]:
    """A department's coverage, week by week: what is staffed against what is allocated, booked and delivered.

    Every figure is in staff-unit minutes, so they compare: staffed = minutes x staff on duty; allocated = each
    decision valid on any day of the week, its weekly share (`weekly_share`) x its service's staff units;
    booked = visits that held staff time (booked, delivered, no-show) x their staff units; delivered = the
    delivered ones. Travel buffers are not counted. Visits and days count in the ISO week of their local date.

    Args:
        mondays: The weeks, by their Mondays.
        staffed_days: Staff-unit minutes per local date (`staffed_by_day`).
        shares: The department's decisions.
        loads: The department's bookings.

    """
    weeks = []
    for monday in mondays:
        sunday = monday + timedelta(days=6)
        staffed = sum(minutes for day, minutes in staffed_days.items() if monday <= day <= sunday)
        allocated = sum(
            (weekly_share(s.minutes, s.period) * s.staff_units for s in shares
             if valid_between(s.valid_from, s.valid_to, monday, sunday)),
            Fraction(0),
        )  # fmt: skip
        in_week = [load for load in loads if monday <= load.local_date <= sunday]
        booked = sum(load.minutes * load.staff_units for load in in_week if load.status in HELD)
        delivered = sum(load.minutes * load.staff_units for load in in_week if load.status == DELIVERED)
        weeks.append(CoverageWeek(monday, staffed, allocated, booked, delivered, coverage_level(allocated, staffed)))
    return weeks


# --- Coordinating committee (koordinerende utvalg) ------------------------------------------------------------

WEEKLY_HOURS, RESPITE_SHARE, BPA = "weekly_hours", "respite_share", "bpa"
RESPITE, BPA_CATEGORY = "respite", "bpa"
MAX_PERCENT = 100


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A municipality's thresholds: weekly minutes in total, respite percent of the week, and whether BPA counts."""

    weekly_minutes: int
    respite_percent: int
    bpa: bool


@dataclass(frozen=True, slots=True)
class Grant:
    """One active decision of a recipient: its grant and its service's category (ordinary, respite, bpa)."""

    minutes: int
    period: str
    category: str


def threshold_problems(thresholds: Thresholds) -> list[str]:
    """The fields out of range: weekly minutes 1..10080 (a week), respite percent 1..100."""
    problems = []
    if not 1 <= thresholds.weekly_minutes <= WEEK_MINUTES:
        problems.append("weekly_minutes")
    if not 1 <= thresholds.respite_percent <= MAX_PERCENT:
        problems.append("respite_percent")
    return problems


def committee_reasons(grants: Sequence[Grant], thresholds: Thresholds) -> tuple[str, ...]:
    """Why a recipient's decisions go to the coordinating committee (empty: they do not).

    - `weekly_hours`: the weekly shares of all their decisions, across departments, exceed `weekly_minutes`;
    - `respite_share`: one respite decision's weekly share exceeds `respite_percent` % of the whole week
      (10080 minutes; 50 % is 84 hours a week);
    - `bpa`: they have a BPA decision and the municipality sends BPA to the committee.
    """
    reasons = []
    if sum((weekly_share(g.minutes, g.period) for g in grants), Fraction(0)) > thresholds.weekly_minutes:
        reasons.append(WEEKLY_HOURS)
    limit = Fraction(WEEK_MINUTES * thresholds.respite_percent, MAX_PERCENT)
    if any(g.category == RESPITE and weekly_share(g.minutes, g.period) > limit for g in grants):
        reasons.append(RESPITE_SHARE)
    if thresholds.bpa and any(g.category == BPA_CATEGORY for g in grants):
        reasons.append(BPA)
    return tuple(reasons)


# --- Yearly review -------------------------------------------------------------------------------------------

REVIEW, EVALUATION = "review", "evaluation"


def review_due(review_date: date | None, evaluation_date: date | None) -> tuple[date, str] | None:
    """When a decision is next looked at, and why: its yearly review, or a trial's evaluation if earlier.

    Returns:
        (date, `review` or `evaluation`), the earlier of the two (the evaluation on a tie); None without either.

    """
    due = [(d, why) for d, why in ((evaluation_date, EVALUATION), (review_date, REVIEW)) if d is not None]
    return min(due, key=lambda item: item[0]) if due else None
