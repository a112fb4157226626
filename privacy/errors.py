"""Refusals of the data-protection domain."""

from __future__ import annotations

from core.errors import DomainError


class InvalidContactError(DomainError):
    """A phone number or e-mail address that cannot be written to; `errors` lists each field and why."""

    code = "invalid_contact"


class InvalidRetentionError(DomainError):
    """Retention periods outside what the law and the service need; `errors` lists each field and why."""

    code = "invalid_retention"
