"""Slot ids: a slot is a start of one length of a service, so its id says which (no table of slots is kept)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from fhir_r4.errors import InvalidResourceError

_STAMP = "%Y%m%dT%H%MZ"


@dataclass(frozen=True)
class SlotId:
    """A service, a start (UTC, whole minutes) and a length in minutes."""

    service_id: uuid.UUID
    start: datetime
    minutes: int

    def __str__(self) -> str:
        """`<service id>.<start, UTC>.<minutes>`: at most 55 characters, within FHIR's 64 for an id."""
        return f"{self.service_id}.{self.start.astimezone(UTC).strftime(_STAMP)}.{self.minutes}"

    @classmethod
    def parse(cls, value: str, *, field: str) -> SlotId:
        """Read a slot id (or a `Slot/<id>` reference); `InvalidResourceError` naming `field` when it is not one."""
        tail = value.rsplit("Slot/", 1)[-1]
        parts = tail.split(".")
        try:
            service, stamp, minutes = parts
            start = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
            return cls(uuid.UUID(service), start, int(minutes))
        except ValueError as error:
            raise InvalidResourceError(
                errors=[{"field": field, "source": "body", "message": "not a Slot of ours"}]
            ) from error
