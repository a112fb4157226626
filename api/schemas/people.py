"""Schemas of people, roles, proxy links, coordinators, tokens and the audit log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from people.tables import ApiToken, AuditEntry, Coordinator, Person, ProxyLink, RoleAssignment

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9 ]{8,20}$", examples=["+47 400 00 000"])]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
Role = Literal["recipient", "proxy", "staff", "department_admin", "municipality_admin"]
Language = Literal["nb", "nn", "en"]


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Request bodies refuse fields they do not know (a typo is an error, not silently ignored)."""


class PersonCreate(Strict):
    """Register a person. The national identity number is checked and then kept only as a keyed hash."""

    national_id: Annotated[str, msgspec.Meta(description="Fødselsnummer or D-nummer, 11 digits")]
    given_name: Name
    family_name: Name
    phone: Phone | None = None
    email: Email | None = None
    language: Language = "nb"
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class RoleRead(msgspec.Struct):
    """A role, in the municipality or one department."""

    id: uuid.UUID
    role: str
    department_id: uuid.UUID | None

    @classmethod
    def of(cls, row: RoleAssignment) -> RoleRead:
        """From a row."""
        return cls(id=row.id, role=row.role, department_id=row.department_id)


class RoleCreate(Strict):
    """Grant a role; staff and department administrators need a department."""

    role: Role
    department_id: uuid.UUID | None = None


class PersonRead(msgspec.Struct):
    """A person as others may see them: the national id only masked."""

    id: uuid.UUID
    given_name: str
    family_name: str
    national_id_masked: str
    phone: str | None
    email: str | None
    language: str
    address: str | None

    @classmethod
    def of(cls, row: Person) -> PersonRead:
        """From a row."""
        return cls(
            id=row.id,
            given_name=row.given_name,
            family_name=row.family_name,
            national_id_masked=row.national_id_masked,
            phone=row.phone,
            email=row.email,
            language=row.language,
            address=row.address,
        )


class PersonBrief(msgspec.Struct):
    """Whom I may act for."""

    id: uuid.UUID
    given_name: str
    family_name: str

    @classmethod
    def of(cls, row: Person) -> PersonBrief:
        """From a row."""
        return cls(id=row.id, given_name=row.given_name, family_name=row.family_name)


class MeRead(msgspec.Struct):
    """Who I am: a person (with roles and the recipients I act for) or an integration token."""

    kind: Literal["person", "token"]
    municipality_id: uuid.UUID
    roles: list[RoleRead]
    person: PersonRead | None = None
    acts_for: list[PersonBrief] = msgspec.field(default_factory=list)
    csrf_token: str | None = None  # send it as X-CSRF-Token on every POST, PUT, PATCH and DELETE


class ProxyLinkCreate(Strict):
    """Let a proxy act for a recipient."""

    proxy_id: uuid.UUID
    recipient_id: uuid.UUID
    kind: Literal["parent", "guardian", "power_of_attorney", "relative"]
    valid_from: date
    valid_to: date | None = None


class ProxyLinkRead(msgspec.Struct):
    """A proxy link."""

    id: uuid.UUID
    proxy_id: uuid.UUID
    recipient_id: uuid.UUID
    kind: str
    valid_from: date
    valid_to: date | None
    granted_by_id: uuid.UUID | None

    @classmethod
    def of(cls, row: ProxyLink) -> ProxyLinkRead:
        """From a row."""
        return cls(
            id=row.id,
            proxy_id=row.proxy_id,
            recipient_id=row.recipient_id,
            kind=row.kind,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            granted_by_id=row.granted_by_id,
        )


class CoordinatorCreate(Strict):
    """Make a staff member a recipient's coordinator."""

    staff_id: uuid.UUID
    recipient_id: uuid.UUID
    valid_from: date
    valid_to: date | None = None


class CoordinatorRead(msgspec.Struct):
    """A coordinator appointment."""

    id: uuid.UUID
    staff_id: uuid.UUID
    recipient_id: uuid.UUID
    valid_from: date
    valid_to: date | None

    @classmethod
    def of(cls, row: Coordinator) -> CoordinatorRead:
        """From a row."""
        return cls(row.id, row.staff_id, row.recipient_id, row.valid_from, row.valid_to)


class TokenCreate(Strict):
    """Create an integration token."""

    name: Name
    role: Literal["municipality_admin", "department_admin", "staff"]
    department_id: uuid.UUID | None = None


class TokenRead(msgspec.Struct):
    """A token, without its secret."""

    id: uuid.UUID
    name: str
    role: str
    department_id: uuid.UUID | None
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenRead:
        """From a row."""
        return cls(
            row.id, row.name, row.role, row.department_id, row.prefix, row.created_at, row.last_used_at, row.revoked_at
        )


class TokenCreated(msgspec.Struct):
    """A new token and its secret: shown this once, never again."""

    token: TokenRead
    secret: str


class AuditRead(msgspec.Struct):
    """An audit entry."""

    at: datetime
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    actor_person_id: uuid.UUID | None
    actor_token_id: uuid.UUID | None
    subject_person_id: uuid.UUID | None
    ip: str | None

    @classmethod
    def of(cls, row: AuditEntry) -> AuditRead:
        """From a row."""
        return cls(
            at=row.at,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            outcome=row.outcome,
            actor_person_id=row.actor_person_id,
            actor_token_id=row.actor_token_id,
            subject_person_id=row.subject_person_id,
            ip=row.ip,
        )


class AccessLogEntry(msgspec.Struct):
    """What the person sees of their access log: who (by name and role), what, when."""

    at: datetime
    action: str
    actor_name: str
    actor_kind: Literal["person", "integration"]
