"""Why a booking, move, cancellation or outcome is refused. Codes map to problem types in `api/problems.py`."""

from __future__ import annotations

from core.errors import DomainError


class BookingRefusedError(DomainError):
    """A refusal whose code is chosen at raise time (one of the rule codes in `booking/rules.py`, or below)."""

    def __init__(self, code: str, **fields: object) -> None:
        """Refuse with `code` (e.g. `slot_full`) and the typed fields that explain it."""
        super().__init__(**fields)
        self.code = code  # type: ignore[misc]  # an instance's code shadows the class default on purpose
