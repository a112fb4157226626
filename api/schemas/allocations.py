"""Schemas of decisions (vedtak)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from booking.allocations import AllocationInput, AllocationView

# At most every minute of the period (a 31-day month); a decision beyond that is a typing error.
Minutes = Annotated[int, msgspec.Meta(gt=0, le=31 * 24 * 60)]
Period = Literal["week", "month", "four_weeks"]
Kind = Literal["ordinary", "trial"]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class AllocationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A decision: `minutes` of a service per period, from `valid_from` (to `valid_to`, inclusive).

    `external_ref` is the case system's reference: sending the same decision again returns the first
    (200, not 201); the same reference with other values is a 409.
    """

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    minutes: Minutes
    period: Period
    valid_from: date
    period_anchor: date | None = None
    valid_to: date | None = None
    kind: Kind = "ordinary"
    evaluation_date: date | None = None
    external_ref: Reference | None = None
    review_date: date | None = None
    case_worker_id: uuid.UUID | None = None

    def to_input(self) -> AllocationInput:
        """As the service takes it."""
        return AllocationInput(**msgspec.structs.asdict(self))


class AllocationChange(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; those left out stay. The service and the period kind never change: end and create anew."""

    minutes: Minutes | msgspec.UnsetType = msgspec.UNSET
    valid_from: date | msgspec.UnsetType = msgspec.UNSET
    valid_to: date | msgspec.UnsetType | None = msgspec.UNSET
    kind: Kind | msgspec.UnsetType = msgspec.UNSET
    evaluation_date: date | msgspec.UnsetType | None = msgspec.UNSET
    review_date: date | msgspec.UnsetType | None = msgspec.UNSET
    case_worker_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET

    def changes(self) -> dict[str, Any]:
        """Only the fields that were sent."""
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not msgspec.UNSET}


class AllocationRead(msgspec.Struct):
    """A decision, with what its current period has used (null when it is not valid today)."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    minutes: int
    period: str
    period_anchor: date | None
    valid_from: date
    valid_to: date | None
    kind: str
    evaluation_date: date | None
    review_date: date | None
    external_ref: str | None
    case_worker_id: uuid.UUID | None
    created_at: datetime
    period_start: date | None
    period_end: date | None
    used_minutes: int | None
    left_minutes: int | None

    @classmethod
    def of(cls, view: AllocationView) -> AllocationRead:
        """From a decision and its current period's use."""
        a = view.allocation
        granted = a.minutes if view.used_minutes is not None else None
        return cls(
            id=a.id, recipient_id=a.recipient_id, department_id=a.department_id, service_id=a.service_id,
            minutes=a.minutes, period=a.period, period_anchor=a.period_anchor, valid_from=a.valid_from,
            valid_to=a.valid_to, kind=a.kind, evaluation_date=a.evaluation_date, review_date=a.review_date,
            external_ref=a.external_ref, case_worker_id=a.case_worker_id, created_at=a.created_at,
            period_start=view.period_start, period_end=view.period_end, used_minutes=view.used_minutes,
            left_minutes=None if granted is None or view.used_minutes is None else max(0, granted - view.used_minutes),
        )  # fmt: skip
