"""SMS delivery receipts: the gateway says a reminder's SMS arrived or failed; a failed one is e-mailed instead."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError
from notifications.tables import Reminder

log = logging.getLogger(__name__)

_REFERENCE = re.compile(r"reminder-([1-9]\d{0,17})")
# LINK Mobility's delivery-report result codes (its "Result Codes SMS" table: each code final or temporary, and
# whether delivered). Delivered: 1001, and 1007 (delivered, its billing delayed: final for the message). Not final
# yet: 1000 sent to the operator, 1005 queued, 1008 billed before sending, 1011 billed and sent, 1012 delayed (the
# gateway sends it again), 1013 sent with its billing delayed. Every other code (expired, deleted, mobile full, not
# delivered, routing and operator errors, an invalid number, ...) is final and a failure: the e-mail goes instead.
LINK_DELIVERED = frozenset({1001, 1007})
LINK_PENDING = frozenset({1000, 1005, 1008, 1011, 1012, 1013})
GENERIC_DELIVERED = frozenset({"delivered"})
GENERIC_PENDING = frozenset({"accepted", "queued", "sent", "buffered", "enroute"})


def link_outcome(result_code: int) -> bool | None:
    """A LINK Mobility result code as delivered (True), failed (False), or not final yet (None)."""
    if result_code in LINK_DELIVERED:
        return True
    return None if result_code in LINK_PENDING else False


def generic_outcome(status: str) -> bool | None:
    """A provider-neutral receipt's `status` as delivered (True), failed (False), or not final yet (None)."""
    status = status.strip().lower()
    if status in GENERIC_DELIVERED:
        return True
    return None if status in GENERIC_PENDING else False


async def record_receipt(session: AsyncSession, reference: str, delivered: bool | None, now: datetime) -> str:  # noqa: FBT001 - the receipt's three-valued outcome
    """Note a delivery receipt for the SMS `reference` names; returns `delivered`, `failed`, `pending`, `unchanged`.

    Idempotent: the first final receipt counts and later ones change nothing (gateways repeat themselves). A failed
    one makes the e-mail in its place due (the worker sends it, once). Does not commit.

    Raises:
        NotFoundError: no SMS of ours has this reference.

    """
    match = _REFERENCE.fullmatch(reference)
    reminder = None
    if match is not None:
        reminder = await session.scalar(
            select(Reminder).where(Reminder.id == int(match.group(1)), Reminder.channel == "sms").with_for_update()
        )
    if reminder is None or reminder.attempts == 0:  # never handed to the gateway: not a reference it can know
        raise NotFoundError
    if delivered is None:
        outcome = "pending"
    elif reminder.receipt is not None:
        outcome = "unchanged"
    else:
        reminder.receipt, reminder.receipt_at, reminder.changed_at = ("delivered" if delivered else "failed"), now, now
        if not delivered and reminder.fallback is None:
            reminder.fallback = "due"
        outcome = reminder.receipt
    log.info("reminder %s: SMS receipt %s", reminder.id, outcome)
    return outcome
