"""The grids an API process keeps (`booking.free_slots.GRIDS`): only for the cells they were made from, and few."""

from __future__ import annotations

from typing import Any

from booking.availability import Bounds
from booking.free_slots import Grid, _Grids


def _grid(signature: str) -> Grid:
    # One start on day 10,000, 2027-05-21 (08:00 in Oslo, 06:00 UTC), its one length free.
    row: dict[str, Any] = {"signature": signature, "open_days": [10_000], "starts": [14_400_360],
                           "walls": [14_400_480], "codes": ["4"]}  # fmt: skip
    return Grid(row, (30,))


def test_a_grid_is_given_only_for_the_signature_it_was_made_from() -> None:
    grids = _Grids(4)
    grids.put(("d1",), _grid("10:1"))
    assert grids.get(("d1",), "10:1") is not None
    assert grids.get(("d1",), "10:2") is None  # the cells changed since: made again
    assert grids.get(("d2",), "10:1") is None  # another department's key


def test_the_least_recently_used_grid_goes_first_past_the_size() -> None:
    grids = _Grids(2)
    grids.put(("a",), _grid("1"))
    grids.put(("b",), _grid("1"))
    assert grids.get(("a",), "1") is not None  # a used: b is now the least recent
    grids.put(("c",), _grid("1"))
    assert [key for (key,) in grids.kept] == ["a", "c"]
    grids.put(("a",), _grid("2"))  # a made again: in place of the old one, not beside it
    assert len(grids.kept) == 2
    assert grids.get(("a",), "2") is not None


def test_a_day_the_recipient_does_not_touch_is_the_grids_text_as_it_is() -> None:
    grid = _grid("1")
    (text,) = grid.apply([], {10_000: 600}, Bounds(0, 0, 10_014)).values()
    assert text == grid.days[10_000][3]
    assert text == '[{"start":"2027-05-21T08:00:00+02:00","lengths":[{"minutes":30,"status":"free"}]}]'
