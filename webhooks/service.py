"""Webhook subscriptions (administrators and their integration tokens), and their dead letters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError
from departments.service import administered_department
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError
from webhooks import rules, sealing
from webhooks.errors import EndpointNotAllowedError, NotDeadError, PersonalDataNotAllowedError
from webhooks.tables import WebhookDelivery, WebhookSubscription

_Row = TypeVar("_Row", bound=tuple[Any, ...])


@dataclass(frozen=True)
class Policy:
    """What the installation demands of endpoints, and how secrets are kept."""

    production: bool
    secret_key: bytes
    rotation: timedelta


def _in_scope(query: Select[_Row], principal: Principal) -> Select[_Row]:
    """Only the subscriptions (and so the deliveries) the principal manages."""
    departments = principal.administered_departments()
    query = query.where(WebhookSubscription.municipality_id == principal.municipality_id)
    return query if departments is None else query.where(WebhookSubscription.department_id.in_(departments))


async def list_subscriptions(session: AsyncSession, principal: Principal) -> Sequence[WebhookSubscription]:
    """The subscriptions the principal manages, oldest first."""
    query = _in_scope(select(WebhookSubscription), principal)
    return (await session.scalars(query.order_by(WebhookSubscription.created_at, WebhookSubscription.id))).all()


async def _subscription(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> WebhookSubscription:
    query = _in_scope(select(WebhookSubscription).where(WebhookSubscription.id == subscription_id), principal)
    found = await session.scalar(query.with_for_update())
    if found is None:
        raise NotFoundError
    return found


def _check_url(url: str, policy: Policy) -> None:
    reason = rules.endpoint_refusal(url, production=policy.production)
    if reason is not None:
        raise EndpointNotAllowedError(reason=reason)


async def _check_scope(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID | None, *, personal_data: bool
) -> None:
    if department_id is None:
        if not principal.is_municipality_admin:
            raise ForbiddenError  # a department administrator subscribes to their department's events only
    else:
        await administered_department(session, principal, department_id)
    if personal_data and not principal.is_municipality_admin:
        raise PersonalDataNotAllowedError


async def create_subscription(  # noqa: PLR0913 - keyword-only; each is one field of the subscription
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    policy: Policy,
    *,
    url: str,
    event_types: Sequence[str],
    department_id: uuid.UUID | None,
    personal_data: bool,
    description: str,
) -> tuple[WebhookSubscription, str]:
    """Subscribe `url`; return the subscription and its signing secret, which is never shown again."""
    principal.administered_departments()  # 403 for anyone who administers nothing
    _check_url(url, policy)
    await _check_scope(session, principal, department_id, personal_data=personal_data)
    secret = rules.new_secret()
    subscription = WebhookSubscription(
        id=uuid.uuid4(), municipality_id=principal.municipality_id, department_id=department_id, url=url,
        description=description, event_types=sorted(set(event_types)), personal_data=personal_data,
        secret=sealing.seal(policy.secret_key, secret), created_by_person_id=principal.person_id,
        created_by_token_id=principal.token_id,
    )  # fmt: skip
    session.add(subscription)
    await session.flush()
    await record(session, principal, origin, action="webhook.create", object_type="webhook_subscription",
                 object_id=subscription.id)  # fmt: skip
    return subscription, secret


async def update_subscription(  # noqa: PLR0913 - keyword-only; each is a field that may change
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    policy: Policy,
    subscription_id: uuid.UUID,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    personal_data: bool | None = None,
    active: bool | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    """Change what a subscription receives, where, or pause it (`active` false: nothing is made for it)."""
    subscription = await _subscription(session, principal, subscription_id)
    if url is not None:
        _check_url(url, policy)
        subscription.url = url
    if personal_data is not None:
        await _check_scope(session, principal, subscription.department_id, personal_data=personal_data)
        subscription.personal_data = personal_data
    if event_types is not None:
        subscription.event_types = sorted(set(event_types))
    if active is not None:
        subscription.active = active
    if description is not None:
        subscription.description = description
    await session.flush()
    await record(session, principal, origin, action="webhook.update", object_type="webhook_subscription",
                 object_id=subscription.id)  # fmt: skip
    return subscription


async def delete_subscription(
    session: AsyncSession, principal: Principal, origin: Origin, subscription_id: uuid.UUID
) -> None:
    """Remove a subscription and its deliveries (nothing more is sent to it)."""
    subscription = await _subscription(session, principal, subscription_id)
    await session.delete(subscription)
    await record(session, principal, origin, action="webhook.delete", object_type="webhook_subscription",
                 object_id=subscription_id)  # fmt: skip


async def rotate_secret(  # noqa: PLR0913 - the subscription, and when
    session: AsyncSession, principal: Principal, origin: Origin, policy: Policy, subscription_id: uuid.UUID,
    *, now: datetime,
) -> tuple[WebhookSubscription, str]:  # fmt: skip
    """A new signing secret (shown once); the current one keeps signing beside it for the rotation overlap."""
    subscription = await _subscription(session, principal, subscription_id)
    secret = rules.new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = now + policy.rotation
    subscription.secret = sealing.seal(policy.secret_key, secret)
    await session.flush()
    await record(session, principal, origin, action="webhook.rotate_secret", object_type="webhook_subscription",
                 object_id=subscription.id)  # fmt: skip
    return subscription, secret


async def dead_letters(
    session: AsyncSession, principal: Principal, limit: int = 500
) -> Sequence[tuple[WebhookDelivery, WebhookSubscription]]:
    """Deliveries given up on, of the subscriptions the principal manages, newest first."""
    rows = await session.execute(
        _in_scope(select(WebhookDelivery, WebhookSubscription), principal)
        .join(WebhookSubscription, WebhookDelivery.subscription_id == WebhookSubscription.id)
        .where(WebhookDelivery.status == "dead")
        .order_by(WebhookDelivery.finished_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(rows.tuples().all())


async def redeliver(
    session: AsyncSession, principal: Principal, origin: Origin, delivery_id: int, now: datetime
) -> WebhookDelivery:
    """Try a dead letter again from the start of the retry schedule (the same webhook-id and body)."""
    delivery = await session.scalar(
        _in_scope(select(WebhookDelivery), principal)
        .join(WebhookSubscription, WebhookDelivery.subscription_id == WebhookSubscription.id)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(of=WebhookDelivery)
    )
    if delivery is None:
        raise NotFoundError
    if delivery.status != "dead":
        raise NotDeadError(status=delivery.status)
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
    delivery.finished_at, delivery.last_error = None, None
    await session.flush()
    await record(session, principal, origin, action="webhook.redeliver", object_type="webhook_delivery",
                 object_id=str(delivery.id))  # fmt: skip
    return delivery
