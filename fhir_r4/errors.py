"""Why a FHIR search or resource is refused (codes map to problem types in `api/problems.py`)."""

from __future__ import annotations

from core.errors import DomainError


class InvalidSearchError(DomainError):
    """A search parameter that cannot be read; `parameter` names it, `reason` says why."""

    code = "invalid_search_parameter"


class UnknownIdentifierSystemError(DomainError):
    """A person given by an identifier that is not a Norwegian national identity number or D number."""

    code = "unknown_identifier_system"


class InvalidResourceError(DomainError):
    """A resource in a request body that does not say what is needed; `errors` lists the fields, as validation does."""

    code = "validation_failed"


class ChangeUnsupportedError(DomainError):
    """An update that does more than cancel."""

    code = "appointment_change_unsupported"


class GoneError(DomainError):
    """The resource existed and has been retired."""

    code = "gone"
