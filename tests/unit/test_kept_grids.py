"""The days' grids an API process keeps (`booking.free_slots.GRIDS`): only for the cells they were made from."""

from __future__ import annotations

from booking.availability import Bounds
from booking.free_slots import DayGrid, _Grids, apply, day_grids, signature_of

DAY = 10_000  # 2027-05-21


def _grid(signature: str) -> DayGrid:
    # One start on the day at 08:00 in Oslo (06:00 UTC), its one length free.
    row = {"days": [DAY], "signatures": [signature], "open_days": [DAY], "starts": [DAY * 1440 + 360],
           "walls": [DAY * 1440 + 480], "codes": ["4"]}  # fmt: skip
    return day_grids(row, (30,), [DAY])[DAY]


def test_a_days_grid_depends_on_the_cells_of_the_utc_days_around_its_date_only() -> None:
    signatures = {DAY + k: chr(ord("c") + k) for k in range(-3, 4)}
    assert signature_of(signatures, DAY) == ("a", "b", "c", "d", "e")
    assert signature_of(signatures | {DAY + 3: "changed"}, DAY) == signature_of(signatures, DAY)
    assert signature_of(signatures | {DAY - 2: "changed"}, DAY) != signature_of(signatures, DAY)
    assert signature_of(signatures, DAY + 1) != signature_of(signatures, DAY)


def test_the_least_recently_used_service_goes_first_past_the_size() -> None:
    grids = _Grids(2)
    grids.days_of(("a",), DAY)[DAY] = _grid("1")
    grids.days_of(("b",), DAY)[DAY] = _grid("1")
    assert DAY in grids.days_of(("a",), DAY)  # a used: b is now the least recent
    grids.days_of(("c",), DAY)
    assert list(grids.kept) == [("a",), ("c",)]
    assert grids.days_of(("b",), DAY) == {}  # made again from nothing


def test_days_passed_are_let_go() -> None:
    grids = _Grids(2)
    days = grids.days_of(("a",), DAY)
    days |= {DAY - 1: _grid("1"), DAY: _grid("1"), DAY + 1: _grid("1")}
    assert sorted(grids.days_of(("a",), DAY + 1)) == [DAY + 1]  # the next day: yesterday's and the day before gone


def test_a_day_the_recipient_does_not_touch_is_the_grids_text_as_it_is() -> None:
    grid = _grid("1")
    (text,) = apply({DAY: grid}, (30,), [], {DAY: 600}, Bounds(0, 0, DAY + 14)).values()
    assert grid.opened
    assert text is grid.text
    assert text == '[{"start":"2027-05-21T08:00:00+02:00","lengths":[{"minutes":30,"status":"free"}]}]'
