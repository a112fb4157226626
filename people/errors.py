"""Refusals of the people domain (codes map to problem types in `api/problems.py`)."""

from __future__ import annotations

from core.errors import DomainError


class InvalidNationalIdError(DomainError):
    """Not a valid national identity number; `reason` says why (length, digits, date, checksum)."""

    code = "invalid_national_id"


class PersonExistsError(DomainError):
    """A person with this national identity number is already registered in the municipality."""

    code = "person_exists"


class InvalidScopeError(DomainError):
    """A role or token scope that does not fit (e.g. staff without a department, a department elsewhere)."""

    code = "invalid_scope"


class InvalidPeriodError(DomainError):
    """A validity period that ends before it starts, or has already ended."""

    code = "invalid_period"


class ForbiddenError(DomainError):
    """The principal may not do this (it may know the object exists, e.g. its own)."""

    code = "forbidden"


class UnknownMunicipalityNumberError(DomainError):
    """Not a kommunenummer of the current classification; `former` when it is one from before 2024."""

    code = "unknown_municipality_number"


class MunicipalityNameMismatchError(DomainError):
    """The kommunenummer belongs to a municipality of another name; `official_name` says which."""

    code = "municipality_name_mismatch"


class MunicipalityNotSetUpError(DomainError):
    """No municipality of that number has been created here yet."""

    code = "municipality_not_set_up"


class SignedOutError(DomainError):
    """The signed-in person is no longer a person of their municipality (a 401, as for no session at all)."""

    code = "unauthorized"
