"""Sending deliveries: claimed with SKIP LOCKED and committed before the request, retried with backoff, then dead.

At least once: a claim is a lease (`next_attempt_at` moved past the request's time-out), so a worker killed
mid-request leaves the delivery to be tried again when the lease ends; a receiver deduplicates by webhook-id.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from webhooks import rules, sealing
from webhooks.tables import WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

CLAIM_BATCH = 10  # claimed together and sent at once, so each is finished within one time-out of its claim
USER_AGENT = "Tjenesteshop-Webhooks/1"
KEEP_DELIVERED = timedelta(days=30)  # delivered rows are kept this long (to answer "did you send it?"), then pruned
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class Sender:
    """How this installation sends: retry schedule, time-out, whether production rules hold, the sealing key."""

    retry_seconds: Sequence[float]
    timeout: float
    production: bool
    secret_key: bytes

    @property
    def lease(self) -> timedelta:
        """How long a claim keeps others off a delivery: longer than a batch's requests can take (each is cut off)."""
        return timedelta(seconds=2 * self.timeout + 5)


@dataclass(frozen=True)
class _Claim:
    id: int
    attempt: int
    message_id: str
    body: str
    url: str
    secrets: tuple[str, ...]


async def _claim(session: AsyncSession, sender: Sender, now: datetime) -> list[_Claim]:
    rows = (
        await session.execute(
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now, WebhookSubscription.active
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(CLAIM_BATCH)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    ).tuples()
    claims = []
    for delivery, subscription in rows:
        delivery.attempts += 1
        delivery.next_attempt_at = now + sender.lease
        current = sealing.unseal(sender.secret_key, subscription.secret)
        previous = subscription.previous_secret
        if previous is not None:
            previous = sealing.unseal(sender.secret_key, previous)
        signing = rules.signing_secrets(current, previous, subscription.previous_secret_until, now)
        claims.append(
            _Claim(delivery.id, delivery.attempts, delivery.message_id, delivery.body, subscription.url,
                   tuple(signing))
        )  # fmt: skip
    return claims


async def _resolves_privately(url: str) -> bool:
    """Whether the endpoint's name resolves to an address that is not public (DNS pointing inwards)."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False  # the request itself then fails and is retried
    return any(not rules.is_public(ipaddress.ip_address(info[4][0])) for info in infos)


async def _send(client: httpx.AsyncClient, sender: Sender, claim: _Claim, now: datetime) -> tuple[int | None, str]:
    """POST one delivery; the endpoint's status (None: no answer) and what went wrong ("" on success)."""
    if sender.production and await _resolves_privately(claim.url):
        return None, "private_address"
    timestamp = int(now.timestamp())
    body = claim.body.encode()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": claim.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": rules.signature_header(claim.secrets, claim.message_id, timestamp, body),
    }
    try:
        response = await client.post(claim.url, content=body, headers=headers, timeout=sender.timeout)
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    if response.is_success:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


async def _finish(
    session: AsyncSession, sender: Sender, claim: _Claim, outcome: tuple[int | None, str], now: datetime
) -> str:
    status_code, error = outcome
    values: dict[str, object] = {"last_status": status_code, "last_error": error[:500] or None}
    if not error:
        values |= {"status": "delivered", "finished_at": now}
        result = "delivered"
    else:
        retry_at = rules.next_attempt(claim.attempt, sender.retry_seconds, now)
        result = "dead" if retry_at is None else "retry"
        values |= {"status": "dead", "finished_at": now} if retry_at is None else {"next_attempt_at": retry_at}
    # Only the claim still held: a lease that ran out meanwhile belongs to the next claimant.
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == claim.id, WebhookDelivery.attempts == claim.attempt,
               WebhookDelivery.status == "pending")
        .values(**values)
    )  # fmt: skip
    return result


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    sender: Sender,
    clock: Callable[[], datetime],
    *,
    rounds: int = 20,
) -> dict[str, int]:
    """Send the deliveries that are due, batch after batch (at most `rounds`); count what became of them."""
    counts = {"delivered": 0, "retry": 0, "dead": 0}

    async def one(claim: _Claim) -> tuple[_Claim, tuple[int | None, str]]:
        try:
            async with asyncio.timeout(sender.timeout):  # the name's resolution too
                return claim, await _send(client, sender, claim, clock())
        except TimeoutError:
            return claim, (None, "timeout")

    for _ in range(rounds):
        async with sessionmaker.begin() as session:
            claims = await _claim(session, sender, clock())
        if not claims:
            break
        outcomes = await asyncio.gather(*(one(claim) for claim in claims))
        async with sessionmaker.begin() as session:
            for claim, outcome in outcomes:
                counts[await _finish(session, sender, claim, outcome, clock())] += 1
        if len(claims) < CLAIM_BATCH:
            break
    if counts["retry"] or counts["dead"]:
        log.info("webhooks: %s", counts)
    return counts


async def prune(sessionmaker: async_sessionmaker[AsyncSession], now: datetime, keep: timedelta = KEEP_DELIVERED) -> int:
    """Delete deliveries that arrived more than `keep` ago, in batches; dead letters stay until redelivered."""
    removed = 0
    while True:
        async with sessionmaker.begin() as session:
            batch = (
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status == "delivered", WebhookDelivery.finished_at < now - keep)
                .limit(PRUNE_BATCH)
                .scalar_subquery()
            )
            result = await session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(batch)))
        count = int(getattr(result, "rowcount", 0) or 0)
        removed += count
        if count < PRUNE_BATCH:
            return removed
