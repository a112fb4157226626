from __future__ import annotations

from datetime import date, time

import pytest

from departments.rules import DateException, RuleProblem, WeeklyRule, Window, validate_rules

TUESDAY = 1
DAY = date(2027, 3, 2)


def rule(
    start: time,
    end: time,
    staff: int = 1,
    *,
    weekday: int = TUESDAY,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> WeeklyRule:
    return WeeklyRule(weekday, start, end, staff, valid_from, valid_to)


def codes(rules: list[WeeklyRule], exceptions: list[DateException] | None = None, grid: int = 15) -> list[str]:
    return [problem.code for problem in validate_rules(rules, exceptions or [], grid)]


def test_touching_windows_with_different_staff_are_valid() -> None:
    rules = [rule(time(8), time(12), 3), rule(time(12), time(16), 2)]
    exceptions = [
        DateException(DAY, closed=True),
        DateException(
            date(2027, 3, 9), closed=False, windows=(Window(time(9), time(11), 4), Window(time(11), time(12), 1))
        ),
    ]
    assert validate_rules(rules, exceptions, 15) == []


def test_whole_days_and_windows_ending_at_midnight_are_valid() -> None:
    assert codes([rule(time(0), time(0)), rule(time(22), time(0), weekday=2), rule(time(0), time(6), weekday=3)]) == []


def test_nothing_at_all_is_valid() -> None:
    assert validate_rules([], [], 60) == []


@pytest.mark.parametrize("grid", [0, 1, 7, 20, 45, 90, 120, -15])
def test_other_grids_are_refused(grid: int) -> None:
    with pytest.raises(ValueError, match="grid_minutes"):
        validate_rules([], [], grid)


def test_overlapping_rules_are_reported_at_the_later_index() -> None:
    problems = validate_rules([rule(time(8), time(12)), rule(time(16), time(18)), rule(time(11), time(13))], [], 15)
    assert problems == [RuleProblem("overlap", TUESDAY, None, 2)]


def test_every_clashing_pair_is_reported() -> None:
    rules = [rule(time(8), time(12)), rule(time(8), time(12)), rule(time(0), time(0))]
    assert [(p.code, p.index) for p in validate_rules(rules, [], 15)] == [
        ("overlap", 1),
        ("overlap", 2),
        ("overlap", 2),
    ]


def test_rules_on_other_weekdays_do_not_overlap() -> None:
    assert codes([rule(time(8), time(12)), rule(time(8), time(12), weekday=TUESDAY + 1)]) == []


def test_rules_with_disjoint_validity_do_not_overlap() -> None:
    winter = rule(time(8), time(16), valid_to=date(2027, 4, 30))
    summer = rule(time(9), time(15), valid_from=date(2027, 5, 1), valid_to=date(2027, 8, 31))
    autumn = rule(time(8), time(16), valid_from=date(2027, 9, 1))
    assert codes([winter, summer, autumn]) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((None, date(2027, 5, 1)), (date(2027, 5, 1), None)),  # both inclusive: they share 1 May
        ((None, None), (date(2027, 5, 1), date(2027, 5, 1))),
        ((date(2027, 1, 1), date(2027, 12, 31)), (date(2026, 1, 1), date(2027, 1, 1))),
    ],
)
def test_rules_with_intersecting_validity_overlap(
    first: tuple[date | None, date | None], second: tuple[date | None, date | None]
) -> None:
    rules = [
        rule(time(8), time(16), valid_from=first[0], valid_to=first[1]),
        rule(time(15), time(17), 2, valid_from=second[0], valid_to=second[1]),
    ]
    assert validate_rules(rules, [], 15) == [RuleProblem("overlap", TUESDAY, None, 1)]


@pytest.mark.parametrize(("start", "end"), [(time(12), time(8)), (time(10), time(10)), (time(0, 30), time(0, 15))])
def test_empty_windows(start: time, end: time) -> None:
    assert validate_rules([rule(start, end)], [], 15) == [RuleProblem("empty_window", TUESDAY, None, 0)]


def test_an_end_of_midnight_is_24_00_so_never_empty() -> None:
    assert codes([rule(time(0, 15), time(0))]) == []
    assert codes([rule(time(23, 45), time(0))]) == []


@pytest.mark.parametrize(
    ("start", "end", "grid"),
    [
        (time(8, 7), time(12), 5),
        (time(8), time(12, 10), 15),
        (time(8, 30), time(12), 60),
        (time(8, 0, 30), time(12), 5),
        (time(8), time(11, 59, 59, 999999), 5),
    ],
)
def test_off_grid_windows(start: time, end: time, grid: int) -> None:
    assert validate_rules([rule(start, end)], [], grid) == [RuleProblem("off_grid", TUESDAY, None, 0)]


@pytest.mark.parametrize(("start", "grid"), [(time(8, 5), 5), (time(8, 10), 10), (time(8, 45), 15), (time(8, 30), 30)])
def test_starts_on_the_grid_are_fine(start: time, grid: int) -> None:
    assert codes([rule(start, time(12))], grid=grid) == []


@pytest.mark.parametrize(("staff", "valid"), [(-1, False), (0, False), (1, True), (50, True), (51, False)])
def test_staff_between_1_and_50(staff: int, valid: bool) -> None:  # noqa: FBT001
    assert codes([rule(time(8), time(12), staff)]) == ([] if valid else ["bad_staff"])


@pytest.mark.parametrize(("weekday", "valid"), [(-1, False), (0, True), (6, True), (7, False)])
def test_weekday_between_monday_and_sunday(weekday: int, valid: bool) -> None:  # noqa: FBT001
    problems = validate_rules([rule(time(8), time(12), weekday=weekday)], [], 15)
    assert problems == ([] if valid else [RuleProblem("bad_weekday", weekday, None, 0)])


def test_validity_must_not_end_before_it_starts() -> None:
    backwards = rule(time(8), time(12), valid_from=date(2027, 5, 2), valid_to=date(2027, 5, 1))
    one_day = rule(time(8), time(12), valid_from=date(2027, 5, 1), valid_to=date(2027, 5, 1))
    assert validate_rules([backwards], [], 15) == [RuleProblem("bad_validity", TUESDAY, None, 0)]
    assert validate_rules([one_day], [], 15) == []


def test_one_rule_can_have_several_problems() -> None:
    assert codes([rule(time(12, 7), time(8), 0, weekday=9, valid_from=DAY, valid_to=date(2027, 1, 1))]) == [
        "bad_weekday",
        "bad_validity",
        "empty_window",
        "off_grid",
        "bad_staff",
    ]


def test_exception_windows_are_checked_at_the_exceptions_index() -> None:
    exceptions = [
        DateException(DAY, closed=True),
        DateException(
            date(2027, 3, 3), closed=False, windows=(Window(time(9), time(11), 4), Window(time(10), time(12), 1))
        ),
        DateException(date(2027, 3, 4), closed=False, windows=(Window(time(12), time(8), 1),)),
        DateException(date(2027, 3, 5), closed=False, windows=(Window(time(8, 10), time(9), 1),)),
        DateException(date(2027, 3, 6), closed=False, windows=(Window(time(8), time(9), 101),)),
    ]
    assert validate_rules([], exceptions, 15) == [
        RuleProblem("overlap", None, date(2027, 3, 3), 1),
        RuleProblem("empty_window", None, date(2027, 3, 4), 2),
        RuleProblem("off_grid", None, date(2027, 3, 5), 3),
        RuleProblem("bad_staff", None, date(2027, 3, 6), 4),
    ]


def test_rule_problems_come_before_exception_problems() -> None:
    problems = validate_rules(
        [rule(time(8), time(12), 0)], [DateException(DAY, closed=False, windows=(Window(time(8), time(9), 0),))], 15
    )
    assert problems == [RuleProblem("bad_staff", TUESDAY, None, 0), RuleProblem("bad_staff", None, DAY, 0)]
