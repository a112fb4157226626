"""Schemas of the data-protection duties: the copy of a person's data, contact data, retention periods."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

from api.schemas.people import AccessLogEntry
from booking.tables import Allocation
from insight.tables import VisitFeedback
from people.tables import Person
from privacy.export import BookedVisit, LinkedPerson
from privacy.rules import RetentionPeriods


class ExportPerson(msgspec.Struct):
    """The person as the service holds them (the national id only masked: the number itself is not stored)."""

    id: uuid.UUID
    given_name: str
    family_name: str
    national_id_masked: str
    phone: str | None
    email: str | None
    language: str
    address: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Person) -> ExportPerson:
        """From a row."""
        return cls(row.id, row.given_name, row.family_name, row.national_id_masked, row.phone, row.email,
                   row.language, row.address, row.created_at)  # fmt: skip


class ExportProxyLink(msgspec.Struct):
    """A proxy link: `role` is the person's side (`proxy`: acts for `other_name`; `recipient`: is acted for)."""

    id: uuid.UUID
    role: Literal["proxy", "recipient"]
    other_name: str
    kind: str
    valid_from: date
    valid_to: date | None
    ended_at: datetime | None
    reminders: bool

    @classmethod
    def of(cls, found: LinkedPerson) -> ExportProxyLink:
        """From the service's answer."""
        link = found.link
        role: Literal["proxy", "recipient"] = "proxy" if found.role == "proxy" else "recipient"
        return cls(link.id, role, found.other_name, link.kind, link.valid_from, link.valid_to, link.ended_at,
                   link.reminders)  # fmt: skip


class ExportDecision(msgspec.Struct):
    """A decision (vedtak) about the person."""

    id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    minutes: int
    period: str
    valid_from: date
    valid_to: date | None
    kind: str
    evaluation_date: date | None
    review_date: date | None
    external_ref: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Allocation) -> ExportDecision:
        """From a row."""
        return cls(row.id, row.department_id, row.service_id, row.minutes, row.period, row.valid_from, row.valid_to,
                   row.kind, row.evaluation_date, row.review_date, row.external_ref, row.created_at)  # fmt: skip


class ExportBooking(msgspec.Struct):
    """A booked visit."""

    id: uuid.UUID
    department_name: str
    service_name: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    minutes: int
    status: str
    acted_by: str
    created_at: datetime
    changed_at: datetime | None

    @classmethod
    def of(cls, found: BookedVisit) -> ExportBooking:
        """From the service's answer."""
        row = found.booking
        return cls(row.id, found.department_name, found.service_name, row.starts_at, row.ends_at, row.minutes,
                   row.status, row.acted_by, row.created_at, row.changed_at)  # fmt: skip


class ExportFeedback(msgspec.Struct):
    """An answer to "Var du fornøyd med besøket?"."""

    id: uuid.UUID
    booking_id: uuid.UUID
    answer: str
    comment: str | None
    by_proxy: bool
    answered_at: datetime

    @classmethod
    def of(cls, row: VisitFeedback) -> ExportFeedback:
        """From a row."""
        return cls(row.id, row.booking_id, row.answer, row.comment, row.by_proxy, row.answered_at)


class ExportPreferences(msgspec.Struct):
    """How reminders reach the person."""

    language: str
    reminder_channel: str | None
    effective_channel: str | None
    reminders_for: list[uuid.UUID]


class ExportPushSubscription(msgspec.Struct):
    """A browser registered for push messages: where it is delivered, not its keys or its secret address."""

    id: uuid.UUID
    push_service: str
    created_at: datetime

    @staticmethod
    def host_of(endpoint: str) -> str:
        """The push service's host (the rest of the endpoint is a secret capability)."""
        return urlsplit(endpoint).hostname or ""


class ExportSession(msgspec.Struct):
    """A signed-in browser: when and how, not its id, CSRF token or ID token."""

    signed_in_at: datetime | None
    provider: str


class DataExport(msgspec.Struct):
    """Everything the service holds about the person (GDPR Art. 15), as of `generated_at`."""

    generated_at: datetime
    by_proxy: bool
    person: ExportPerson
    proxy_links: list[ExportProxyLink]
    decisions: list[ExportDecision]
    bookings: list[ExportBooking]
    feedback: list[ExportFeedback]
    notification_preferences: ExportPreferences
    push_subscriptions: list[ExportPushSubscription]
    sessions: list[ExportSession]
    access_log: list[AccessLogEntry]


class ContactChange(msgspec.Struct, forbid_unknown_fields=True):
    """My phone number (E.164, or 8 Norwegian digits) and e-mail address; null or "" removes one, absent keeps it."""

    phone: Annotated[str, msgspec.Meta(max_length=32)] | msgspec.UnsetType | None = msgspec.UNSET
    email: Annotated[str, msgspec.Meta(max_length=400)] | msgspec.UnsetType | None = msgspec.UNSET


class ContactRead(msgspec.Struct):
    """My contact details as stored (the phone number in E.164)."""

    phone: str | None
    email: str | None


Months = Annotated[int, msgspec.Meta(ge=0, le=1200)]


class RetentionChange(msgspec.Struct, forbid_unknown_fields=True):
    """Months to keep past visits, feedback answers and push subscriptions (the rules check the limits)."""

    booking_months: Months
    feedback_months: Months
    push_months: Months


class RetentionRead(msgspec.Struct):
    """The municipality's periods, the limits they must keep, and what is not the periods' to decide."""

    booking_months: int
    feedback_months: int
    push_months: int
    minimum_booking_months: int
    maximum_months: int
    session_max_hours: int  # sessions end by themselves after this, however the periods are set
    audit_entries_erased: bool  # always false: the audit log is kept for its statutory period

    @classmethod
    def of(cls, periods: RetentionPeriods, *, minimum: int, maximum: int, session_hours: int) -> RetentionRead:
        """From the periods and the limits."""
        return cls(periods.booking_months, periods.feedback_months, periods.push_months, minimum, maximum,
                   session_hours, audit_entries_erased=False)  # fmt: skip
