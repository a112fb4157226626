"""Tables of people: municipalities, persons, their roles, and proxy links."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

ROLES = ("recipient", "proxy", "staff", "department_admin", "municipality_admin")
LANGUAGES = ("nb", "nn", "en")
PROXY_KINDS = ("parent", "guardian", "power_of_attorney", "relative")
REMINDER_CHANNELS = ("email", "sms", "push", "none")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Municipality(IdMixin, CreatedMixin, Base):
    """A municipality (kommune): the owner of every other row."""

    __tablename__ = "municipality"

    number: Mapped[str] = mapped_column(String(4), unique=True)  # kommunenummer, e.g. 3907
    name: Mapped[str] = mapped_column(String(200))
    # Coordinating committee (koordinerende utvalg) thresholds, after Molde and Kristiansund: more than
    # 15 hours a week, respite above 50 % of the week's hours, any BPA.
    committee_weekly_minutes: Mapped[int] = mapped_column(Integer, default=900, server_default="900")
    committee_respite_percent: Mapped[int] = mapped_column(SmallInteger, default=50, server_default="50")
    committee_bpa: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # The case worker is reminded this many days before a trial decision's evaluation date.
    evaluation_reminder_days: Mapped[int] = mapped_column(SmallInteger, default=14, server_default="14")
    # Retention (privacy/rules.py): months a past visit, a feedback answer and a push subscription are kept.
    retention_booking_months: Mapped[int] = mapped_column(SmallInteger, default=36, server_default="36")
    retention_feedback_months: Mapped[int] = mapped_column(SmallInteger, default=24, server_default="24")
    retention_push_months: Mapped[int] = mapped_column(SmallInteger, default=12, server_default="12")

    __table_args__ = (
        CheckConstraint("number ~ '^[0-9]{4}$'", name="number_digits"),
        CheckConstraint("committee_weekly_minutes > 0", name="committee_weekly_positive"),
        CheckConstraint("committee_respite_percent BETWEEN 1 AND 100", name="committee_respite_percent_range"),
        CheckConstraint("evaluation_reminder_days BETWEEN 0 AND 365", name="evaluation_reminder_days_range"),
        CheckConstraint("retention_booking_months BETWEEN 12 AND 120", name="retention_booking_months_range"),
        CheckConstraint(
            "retention_feedback_months BETWEEN 1 AND retention_booking_months", name="retention_feedback_months_range"
        ),
        CheckConstraint("retention_push_months BETWEEN 1 AND 120", name="retention_push_months_range"),
    )


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
    # How reminders reach this person: e-mail, SMS, Web Push, or none. Null: e-mail if known, else SMS.
    reminder_channel: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        UniqueConstraint("municipality_id", "national_id_hash", name="uq_person_national_id"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language_known"),
        CheckConstraint(_one_of("reminder_channel", REMINDER_CHANNELS), name="reminder_channel_known"),
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
    # Set when the link is ended: from that instant it grants nothing, though `valid_to` (a date) is today.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))
    # The proxy also gets the recipient's reminders (a parent of a child in respite care, say).
    reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    __table_args__ = (
        UniqueConstraint("municipality_id", "proxy_id", "recipient_id", "valid_from", name="uq_proxy_link_period"),
        CheckConstraint(_one_of("kind", PROXY_KINDS), name="kind_known"),
        CheckConstraint("proxy_id <> recipient_id", name="not_self"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


class Coordinator(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A staff member who is a recipient's primary contact (koordinator) across departments."""

    __tablename__ = "coordinator"

    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("municipality_id", "staff_id", "recipient_id", "valid_from", name="uq_coordinator_period"),
        CheckConstraint("staff_id <> recipient_id", name="not_self"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


class ApiToken(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A token for an integration (the EHR posting decisions, reporting): hashed, scoped, revocable."""

    __tablename__ = "api_token"

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the secret
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, to tell tokens apart
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_one_of("role", ("department_admin", "municipality_admin", "staff")), name="role_known"),
        CheckConstraint("(role = 'municipality_admin') = (department_id IS NULL)", name="role_scope"),
    )


class AuditEntry(MunicipalityMixin, Base):
    """Who, acting for whom, did what to which object, when, from where, with what outcome.

    Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0003).
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    actor_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_token_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    subject_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)  # whose data it was
    action: Mapped[str] = mapped_column(String(64))  # e.g. person.read, person.create, proxy_link.create
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok", server_default="ok")
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    request_id: Mapped[str | None] = mapped_column(String(128))
    # A job of the system itself (e.g. `retention`), for entries no person or token caused.
    actor_system: Mapped[str | None] = mapped_column(String(32))
    # What an entry of a job counted (e.g. how many bookings the retention job anonymised); no personal data.
    details: Mapped[dict[str, object] | None] = mapped_column(JSONB)

    # No foreign keys on purpose: the log outlives the rows it names (a deleted person's entries stay).
    __table_args__ = (
        CheckConstraint("num_nonnulls(actor_person_id, actor_token_id, actor_system) >= 1", name="has_actor"),
        CheckConstraint("actor_system IS NULL OR actor_system IN ('retention')", name="actor_system_known"),
    )
