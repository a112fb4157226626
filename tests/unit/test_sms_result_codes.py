"""LINK Mobility's result codes, each read as its table says: delivered, not final yet, or failed."""

from __future__ import annotations

import pytest

from notifications.sms_receipts import link_outcome

DELIVERED = [1001, 1007]  # 1007: delivered, the billing delayed
NOT_FINAL = [1000, 1005, 1008, 1011, 1012, 1013]  # sent on, queued, billed first, billed and sent, resent, bill later
FAILED = [0, 1, 2, 3, 4, 5, 6, 104, 105, 1002, 1003, 1004, 1006, 1009, 1010, 2000, 2003, 4001]


@pytest.mark.parametrize("code", DELIVERED)
def test_delivered_codes_are_delivered(code: int) -> None:
    assert link_outcome(code) is True


@pytest.mark.parametrize("code", NOT_FINAL)
def test_temporary_codes_wait_for_the_final_one(code: int) -> None:
    """A delayed or billed-but-not-yet-delivered SMS is not a failure: no e-mail goes in its place yet."""
    assert link_outcome(code) is None


@pytest.mark.parametrize("code", FAILED)
def test_final_codes_not_delivered_are_failures(code: int) -> None:
    assert link_outcome(code) is False
