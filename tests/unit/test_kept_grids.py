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


def test_a_grid_is_given_only_for_the_signature_it_was_made_from() -> None:
    grids = _Grids(4)
    grid = _grid("10:1")
    grids.put(("d1", DAY), grid)
    assert grids.get(("d1", DAY), grid.signature) is grid
    assert grids.get(("d1", DAY), (None, None, "10:2", None, None)) is None  # the cells changed since: made again
    assert grids.get(("d2", DAY), grid.signature) is None  # another department's key


def test_the_least_recently_used_grid_goes_first_past_the_size() -> None:
    grids = _Grids(2)
    grid = _grid("1")
    grids.put(("a",), grid)
    grids.put(("b",), grid)
    assert grids.get(("a",), grid.signature) is not None  # a used: b is now the least recent
    grids.put(("c",), grid)
    assert [key for (key,) in grids.kept] == ["a", "c"]
    grids.put(("a",), _grid("2"))  # a made again: in place of the old one, not beside it
    assert len(grids.kept) == 2


def test_a_day_the_recipient_does_not_touch_is_the_grids_text_as_it_is() -> None:
    grid = _grid("1")
    (text,) = apply({DAY: grid}, (30,), [], {DAY: 600}, Bounds(0, 0, DAY + 14)).values()
    assert grid.opened
    assert text is grid.text
    assert text == '[{"start":"2027-05-21T08:00:00+02:00","lengths":[{"minutes":30,"status":"free"}]}]'
