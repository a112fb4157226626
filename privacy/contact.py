"""Rectification (GDPR Art. 16): a person brings their own phone number and e-mail address up to date."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import Person
from privacy.errors import InvalidContactError
from privacy.rules import email_problem, normalised_phone

CONTACT_FIELDS = frozenset({"phone", "email"})


def _checked(changes: dict[str, str | None]) -> dict[str, str | None]:
    """The changes with the phone number in E.164; every problem at once, before anything is written."""
    errors: list[dict[str, str]] = []
    checked: dict[str, str | None] = {}
    for name, value in changes.items():
        if value is None or not value.strip():
            checked[name] = None  # an empty field removes the detail
        elif name == "phone":
            checked[name] = normalised_phone(value)
            if checked[name] is None:
                errors.append({"field": "phone", "reason": "format"})
        else:
            problem = email_problem(value.strip())
            checked[name] = value.strip()
            if problem:
                errors.append({"field": "email", "reason": problem})
    if errors:
        raise InvalidContactError(errors=errors)
    return checked


async def change_contact(
    session: AsyncSession, principal: Principal, origin: Origin, changes: dict[str, str | None]
) -> Person:
    """Set the caller's own `phone` and/or `email` (None or blank removes one); audited, nothing else changes.

    Raises:
        InvalidContactError: a number or an address cannot be used (nothing is written).
        ForbiddenError: the caller is an integration, not a person.

    """
    if principal.person_id is None:
        raise ForbiddenError
    unknown = set(changes) - CONTACT_FIELDS
    if unknown:
        msg = f"not a contact detail: {sorted(unknown)}"
        raise ValueError(msg)
    checked = _checked(changes)
    person = await session.get(Person, principal.person_id)
    if person is None or person.municipality_id != principal.municipality_id:
        raise NotFoundError
    for name, value in checked.items():
        setattr(person, name, value)
    await session.flush()
    await record(session, principal, origin, action="person.contact_update", object_type="person",
                 object_id=person.id, subject_person_id=person.id)  # fmt: skip
    return person
