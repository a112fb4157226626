"""From the outboxes to deliveries: one row per event and matching subscription, in the outbox's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.tables import Allocation, AllocationEvent, Booking, BookingEvent
from people.tables import AuditEntry, Person
from webhooks import rules
from webhooks.tables import WebhookDelivery, WebhookSubscription

BATCH = 200
INSERT_CHUNK = 1000  # rows a statement: 7 parameters each stay far below PostgreSQL's 32,767 a statement


def _person(person: Person | None) -> dict[str, Any]:
    if person is None:
        return {}
    return {"given_name": person.given_name, "family_name": person.family_name,
            "national_id_masked": person.national_id_masked}  # fmt: skip


async def _subscriptions(session: AsyncSession, municipalities: Iterable[uuid.UUID]) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).where(
        WebhookSubscription.active, WebhookSubscription.municipality_id.in_(sorted(set(municipalities)))
    )
    return list((await session.scalars(query)).all())


def _wants(
    subscription: WebhookSubscription, municipality_id: uuid.UUID, department_id: uuid.UUID, event: str, at: datetime
) -> bool:
    return (
        subscription.municipality_id == municipality_id
        and subscription.department_id in (None, department_id)
        and event in subscription.event_types
        and subscription.created_at <= at  # a new subscriber is not sent what happened before it existed
    )


async def _insert(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]], disclosed: Mapping[tuple[uuid.UUID, str], _Disclosure]
) -> int:
    """Insert the deliveries not made before; audit each new one that carries a person's data, in the person's log."""
    made: list[tuple[uuid.UUID, str]] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        statement = (
            insert(WebhookDelivery)
            .values(list(rows[start : start + INSERT_CHUNK]))
            .on_conflict_do_nothing(constraint="uq_webhook_delivery_event")
            .returning(WebhookDelivery.subscription_id, WebhookDelivery.message_id)
        )
        made += (await session.execute(statement)).tuples().all()
    for key in made:
        found = disclosed.get((key[0], key[1]))
        if found is not None and (found.actor_person_id or found.actor_token_id):
            session.add(
                AuditEntry(
                    municipality_id=found.municipality_id, actor_person_id=found.actor_person_id,
                    actor_token_id=found.actor_token_id, subject_person_id=found.subject_person_id,
                    action="webhook.personal_data", object_type="webhook_subscription", object_id=str(key[0]),
                    outcome="ok", request_id=key[1],
                )
            )  # fmt: skip
    return len(made)


class _Disclosure(NamedTuple):
    """Whose data a personal-data delivery carries, and who set the subscription up (the one who reads it)."""

    municipality_id: uuid.UUID
    subject_person_id: uuid.UUID
    actor_person_id: uuid.UUID | None
    actor_token_id: uuid.UUID | None


def _disclosures(
    rows: Sequence[Mapping[str, Any]], subscriptions: Sequence[WebhookSubscription], subjects: Mapping[str, uuid.UUID]
) -> dict[tuple[uuid.UUID, str], _Disclosure]:
    personal = {s.id: s for s in subscriptions if s.personal_data}
    found = {}
    for row in rows:
        subscription = personal.get(row["subscription_id"])
        if subscription is not None:
            found[(subscription.id, row["message_id"])] = _Disclosure(
                subscription.municipality_id, subjects[row["message_id"]], subscription.created_by_person_id,
                subscription.created_by_token_id,
            )  # fmt: skip
    return found


class _Event(NamedTuple):
    """One outbox event as subscribers see it, before each one's scope is applied."""

    message_id: str  # webhook-id: the same for every subscriber and every try
    type: str
    at: datetime
    department_id: uuid.UUID
    data: Mapping[str, Any]
    personal: Mapping[str, Any]


def _row(subscription: WebhookSubscription, event: _Event, now: datetime) -> dict[str, Any]:
    body = rules.payload(event.type, event.at, event.data, event.personal, personal_data=subscription.personal_data)
    return {
        "municipality_id": subscription.municipality_id, "subscription_id": subscription.id,
        "department_id": event.department_id, "message_id": event.message_id, "event_type": event.type,
        "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")), "next_attempt_at": now,
    }  # fmt: skip


async def booking_events(session: AsyncSession, events: Sequence[BookingEvent], now: datetime) -> int:
    """Deliveries for booking outbox events, in the caller's transaction (the one that marks them processed).

    Idempotent: an event already fanned out (its transaction committed) adds nothing the second time.
    """
    if not events:
        return 0
    subscriptions = await _subscriptions(session, (event.municipality_id for event in events))
    if not subscriptions:
        return 0
    rows = (
        await session.execute(
            select(Booking, Person, Allocation.external_ref)
            .join(Person, Person.id == Booking.recipient_id)
            .join(Allocation, Allocation.id == Booking.allocation_id)
            .where(Booking.id.in_(sorted({event.booking_id for event in events})))
        )
    ).tuples()
    bookings = {booking.id: (booking, person, ref) for booking, person, ref in rows}
    deliveries = []
    subjects: dict[str, uuid.UUID] = {}
    for event in events:
        booking, person, ref = bookings[event.booking_id]
        kind = rules.event_type(event.kind, event.details, booking.status)
        if kind is None:
            continue
        data: dict[str, Any] = {
            "booking_id": str(booking.id), "department_id": str(booking.department_id),
            "service_id": str(booking.service_id), "status": booking.status,
            "starts_at": booking.starts_at.isoformat(), "ends_at": booking.ends_at.isoformat(),
            "minutes": booking.minutes, "staff_units": booking.staff_units,
        }  # fmt: skip
        if event.kind == "moved":
            data["previous_starts_at"] = event.details.get("previous_start")
        personal = {"recipient_id": str(booking.recipient_id), "recipient": _person(person),
                    "decision_id": str(booking.allocation_id), "decision_external_ref": ref}  # fmt: skip
        shown = _Event(f"msg_booking_{event.id}", kind, event.at, booking.department_id, data, personal)
        subjects[shown.message_id] = booking.recipient_id
        deliveries += [
            _row(s, shown, now)
            for s in subscriptions
            if _wants(s, event.municipality_id, booking.department_id, kind, event.at)
        ]
    return await _insert(session, deliveries, _disclosures(deliveries, subscriptions, subjects))


async def _decision_batch(session: AsyncSession, now: datetime) -> int:
    events = (
        await session.scalars(
            select(AllocationEvent)
            .where(AllocationEvent.processed_at.is_(None))
            .order_by(AllocationEvent.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not events:
        return 0
    subscriptions = await _subscriptions(session, (event.municipality_id for event in events))
    rows = (
        await session.execute(
            select(Allocation, Person)
            .join(Person, Person.id == Allocation.recipient_id)
            .where(Allocation.id.in_(sorted({event.allocation_id for event in events})))
        )
    ).tuples()
    decisions = {allocation.id: (allocation, person) for allocation, person in rows}
    deliveries = []
    subjects: dict[str, uuid.UUID] = {}
    for event in events:
        event.processed_at = now
        allocation, person = decisions[event.allocation_id]
        kind = f"decision.{event.kind}"
        data = {
            "decision_id": str(allocation.id), "department_id": str(allocation.department_id),
            "service_id": str(allocation.service_id), "minutes": allocation.minutes, "period": allocation.period,
            "valid_from": allocation.valid_from.isoformat(),
            "valid_to": None if allocation.valid_to is None else allocation.valid_to.isoformat(),
            "kind": allocation.kind,
        }  # fmt: skip
        personal = {"recipient_id": str(allocation.recipient_id), "recipient": _person(person),
                    "decision_external_ref": allocation.external_ref}  # fmt: skip
        shown = _Event(f"msg_decision_{event.id}", kind, event.at, allocation.department_id, data, personal)
        subjects[shown.message_id] = allocation.recipient_id
        deliveries += [
            _row(s, shown, now)
            for s in subscriptions
            if _wants(s, event.municipality_id, allocation.department_id, kind, event.at)
        ]
    await _insert(session, deliveries, _disclosures(deliveries, subscriptions, subjects))
    return len(events)


async def decision_events(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Take the decisions' outbox events: make their deliveries and mark them processed, in one transaction."""
    handled = 0
    while True:
        async with sessionmaker.begin() as session:
            count = await _decision_batch(session, now)
        handled += count
        if count < BATCH:
            return handled
