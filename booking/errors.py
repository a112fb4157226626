"""Why a booking, move, cancellation or outcome is refused. Codes map to problem types in `api/problems.py`."""

from __future__ import annotations

import json

from core.errors import DomainError

REFUSED = "TJ409"
"""The SQLSTATE of the booking functions' refusals (`booking/sql/`): the code as message, the fields JSON in detail."""


class BookingRefusedError(DomainError):
    """A refusal whose code is chosen at raise time (one of the rule codes in `booking/rules.py`, or below)."""

    def __init__(self, code: str, **fields: object) -> None:
        """Refuse with `code` (e.g. `slot_full`) and the typed fields that explain it."""
        super().__init__(**fields)
        self.code = code  # type: ignore[misc]  # an instance's code shadows the class default on purpose


def refusal(exc: BaseException | None) -> BookingRefusedError | None:
    """The refusal a booking function raised (an asyncpg error with SQLSTATE TJ409); None for any other error."""
    if getattr(exc, "sqlstate", None) != REFUSED:
        return None
    fields = json.loads(getattr(exc, "detail", None) or "{}")
    return BookingRefusedError(str(getattr(exc, "message", "")), **fields)
