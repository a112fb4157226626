"""Tables of people: municipalities, persons, their roles, and proxy links."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

ROLES = ("recipient", "proxy", "staff", "department_admin", "municipality_admin")
LANGUAGES = ("nb", "nn", "en")
PROXY_KINDS = ("parent", "guardian", "power_of_attorney", "relative")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Municipality(IdMixin, CreatedMixin, Base):
    """A municipality (kommune): the owner of every other row."""

    __tablename__ = "municipality"

    number: Mapped[str] = mapped_column(String(4), unique=True)  # kommunenummer, e.g. 3907
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("number ~ '^[0-9]{4}$'", name="number_digits"),)


class Person(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A person: recipient, proxy, staff or administrator. The national id is kept only as a keyed hash."""

    __tablename__ = "person"

    national_id_hash: Mapped[str] = mapped_column(String(64))
    national_id_masked: Mapped[str] = mapped_column(String(16))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2), default="nb", server_default="nb")
    address: Mapped[str | None] = mapped_column(String(500))  # for home visits

    __table_args__ = (
        UniqueConstraint("municipality_id", "national_id_hash", name="uq_person_national_id"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language_known"),
    )


class RoleAssignment(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A role of a person, in the whole municipality (`department_id` null) or in one department."""

    __tablename__ = "role_assignment"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("department.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        UniqueConstraint(
            "municipality_id",
            "person_id",
            "role",
            "department_id",
            name="uq_role_once",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint(_one_of("role", ROLES), name="role_known"),
        # Staff and department administrators belong to a department; the rest to the municipality.
        CheckConstraint("(role IN ('staff', 'department_admin')) = (department_id IS NOT NULL)", name="role_scope"),
    )


class ProxyLink(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A proxy (parent, guardian, relative with power of attorney) acting for a recipient, for a period."""

    __tablename__ = "proxy_link"

    proxy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("municipality_id", "proxy_id", "recipient_id", "valid_from", name="uq_proxy_link_period"),
        CheckConstraint(_one_of("kind", PROXY_KINDS), name="kind_known"),
        CheckConstraint("proxy_id <> recipient_id", name="not_self"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )
