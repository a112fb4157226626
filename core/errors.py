"""Base error types. Domain errors carry a stable code and typed fields, never HTTP or user text."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A rule said no. `code` is stable and maps to a problem type and a translated title in `api/`."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, **fields: object) -> None:
        """Keep the typed fields (ids, times) that the problem response lists."""
        super().__init__(self.code)
        self.fields = fields


class NotFoundError(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    code = "not_found"


class ConflictError(DomainError):
    """The request clashes with the current state."""

    code = "conflict"
