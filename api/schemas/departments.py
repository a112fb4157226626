"""Schemas of the department catalogue."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from departments.tables import Department, OpeningRule, Service

MinuteOfDay = Annotated[int, msgspec.Meta(ge=0, le=1440, description="Minutes after local midnight; 1440 = 24:00")]


class DepartmentRead(msgspec.Struct):
    """A department and its booking policy."""

    id: uuid.UUID
    name: str
    timezone: str
    grid_minutes: int
    horizon_days: int
    notice_hours: int
    cancel_deadline_hours: int
    phone: str | None
    address: str | None

    @classmethod
    def of(cls, row: Department) -> DepartmentRead:
        """From a row."""
        return cls(
            id=row.id,
            name=row.name,
            timezone=row.timezone,
            grid_minutes=row.grid_minutes,
            horizon_days=row.horizon_days,
            notice_hours=row.notice_hours,
            cancel_deadline_hours=row.cancel_deadline_hours,
            phone=row.phone,
            address=row.address,
        )


class OpeningRuleRead(msgspec.Struct):
    """A weekly rule: on `weekday` (0 = Monday), `staff` on duty from `start` to `end` local time."""

    id: uuid.UUID
    weekday: int
    start: str
    end: str
    start_minute: MinuteOfDay
    end_minute: MinuteOfDay
    staff: int

    @classmethod
    def of(cls, row: OpeningRule) -> OpeningRuleRead:
        """From a row."""
        return cls(
            id=row.id,
            weekday=row.weekday,
            start=_clock(row.start_minute),
            end=_clock(row.end_minute),
            start_minute=row.start_minute,
            end_minute=row.end_minute,
            staff=row.staff,
        )


class ServiceRead(msgspec.Struct):
    """A service in the catalogue, with its texts in the request's language and in all three."""

    id: uuid.UUID
    department_id: uuid.UUID
    name: str
    description: str
    names: dict[str, str]
    descriptions: dict[str, str]
    durations: list[int]
    staff_units: int
    buffer_before: int
    buffer_after: int
    home_visit: bool

    @classmethod
    def of(cls, row: Service, language: str) -> ServiceRead:
        """From a row, texts in `language` (bokmål when missing)."""
        return cls(
            id=row.id,
            department_id=row.department_id,
            name=row.name.get(language) or row.name["nb"],
            description=row.description.get(language) or row.description.get("nb", ""),
            names=row.name,
            descriptions=row.description,
            durations=list(row.durations),
            staff_units=row.staff_units,
            buffer_before=row.buffer_before,
            buffer_after=row.buffer_after,
            home_visit=row.home_visit,
        )


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
