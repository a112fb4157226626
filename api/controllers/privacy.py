"""Data-protection duties: my copy of my data (Art. 15), my contact details (Art. 16), retention periods."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Controller, get, patch, put
from litestar.datastructures import State
from litestar.params import FromQuery, JSONBody
from msgspec import UNSET

from api.controllers.me import _actor_names
from api.dependencies import Current, DbSession, Today, Where
from api.schemas.people import AccessLogEntry
from api.schemas.privacy import (
    ContactChange,
    ContactRead,
    DataExport,
    ExportBooking,
    ExportDecision,
    ExportFeedback,
    ExportPerson,
    ExportPreferences,
    ExportProxyLink,
    ExportPushSubscription,
    ExportSession,
    RetentionChange,
    RetentionRead,
)
from core.clock import utcnow
from core.settings import Settings
from notifications.preferences import effective_channel, push_subscriptions_of
from people.audit import entries_about
from people.sessions import sessions_of
from privacy import contact, export, retention
from privacy.rules import MAX_MONTHS, MIN_BOOKING_MONTHS, RetentionPeriods


class MyDataController(Controller):
    """The person's own data: the copy and the contact details."""

    path = "/api/v1/me"
    tags = ["me"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/data-export", summary="A copy of everything held about me (or the person I act for), as JSON")
    async def data_export(
        self,
        db_session: DbSession,
        state: State,
        current: Current,
        origin: Where,
        today: Today,
        recipient_id: FromQuery[uuid.UUID | None] = None,
    ) -> DataExport:
        """The person's copy; a proxy may ask for the recipient's (`recipient_id`), without their sessions."""
        settings: Settings = state.settings
        subject, by_proxy = await export.export_subject(db_session, current, recipient_id, today)
        copy = await export.data_copy(db_session, current, origin, subject, by_proxy=by_proxy)
        person = copy.person
        pushes = await push_subscriptions_of(db_session, subject)
        sessions = [] if by_proxy else await sessions_of(state.redis, settings.redis_prefix, str(subject))
        entries = await entries_about(db_session, current.municipality_id, subject)
        names = await _actor_names(db_session, entries)
        return DataExport(
            generated_at=utcnow(),
            by_proxy=by_proxy,
            person=ExportPerson.of(person),
            proxy_links=[ExportProxyLink.of(link) for link in copy.proxy_links],
            decisions=[ExportDecision.of(row) for row in copy.decisions],
            bookings=[ExportBooking.of(visit) for visit in copy.bookings],
            feedback=[ExportFeedback.of(row) for row in copy.feedback],
            notification_preferences=ExportPreferences(
                language=person.language,
                reminder_channel=person.reminder_channel,
                effective_channel=effective_channel(person, len(pushes)),
                reminders_for=[
                    found.link.recipient_id
                    for found in copy.proxy_links
                    if found.role == "proxy" and found.link.reminders
                ],
            ),
            push_subscriptions=[
                ExportPushSubscription(p.id, ExportPushSubscription.host_of(p.endpoint), p.created_at) for p in pushes
            ],
            sessions=[
                ExportSession(
                    None if s.signed_in_at is None else datetime.fromtimestamp(s.signed_in_at, UTC), s.provider
                )
                for s in sessions
            ],
            access_log=[
                AccessLogEntry(
                    at=e.at,
                    action=e.action,
                    actor_name=names.get(e.actor_person_id or e.actor_token_id, ""),
                    actor_kind="person" if e.actor_person_id else "integration",
                )
                for e in entries
            ],
        )

    @patch("/contact", summary="Correct my phone number or e-mail address")
    async def change_contact(
        self, db_session: DbSession, current: Current, origin: Where, data: JSONBody[ContactChange]
    ) -> ContactRead:
        """Only the fields sent change; a bad number or address is a 422 listing each field, and nothing changes."""
        changes = {name: getattr(data, name) for name in ("phone", "email") if getattr(data, name) is not UNSET}
        person = await contact.change_contact(db_session, current, origin, changes)
        return ContactRead(phone=person.phone, email=person.email)


class RetentionController(Controller):
    """The municipality's retention periods (municipality administrators)."""

    path = "/api/v1/retention"
    tags = ["privacy"]  # noqa: RUF012 - Litestar's declared attribute type

    @staticmethod
    def _read(periods: RetentionPeriods, settings: Settings) -> RetentionRead:
        hours = int(settings.session_max_hours)
        return RetentionRead.of(periods, minimum=MIN_BOOKING_MONTHS, maximum=MAX_MONTHS, session_hours=hours)

    @get("/", summary="How long past visits, feedback and push subscriptions are kept")
    async def policy(self, db_session: DbSession, state: State, current: Current) -> RetentionRead:
        """The periods and their limits."""
        return self._read(await retention.retention_policy(db_session, current), state.settings)

    @put("/", summary="Set how long past visits, feedback and push subscriptions are kept")
    async def change(
        self, db_session: DbSession, state: State, current: Current, origin: Where, data: JSONBody[RetentionChange]
    ) -> RetentionRead:
        """A period outside the limits is a 422 listing each field; audited."""
        periods = RetentionPeriods(data.booking_months, data.feedback_months, data.push_months)
        changed = await retention.change_retention_policy(db_session, current, origin, periods)
        return self._read(changed, state.settings)
