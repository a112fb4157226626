"""Tables of webhooks: who subscribes to what, and one delivery row per event and subscription."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

DELIVERY_STATUSES = ("pending", "delivered", "dead")


class WebhookSubscription(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """An endpoint told of some event types: the municipality's (department null) or one department's.

    The signing secrets are kept encrypted with the installation's secret key (the worker needs them to sign);
    during a rotation the previous one signs too until `previous_secret_until`.
    """

    __tablename__ = "webhook_subscription"

    department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))
    created_by_token_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("api_token.id", ondelete="SET NULL"))

    __table_args__ = (CheckConstraint("cardinality(event_types) > 0", name="some_event_types"),)


class WebhookDelivery(MunicipalityMixin, Base):
    """One event for one subscription: sent until the endpoint answers 2xx, retried with backoff, then dead.

    Made by the worker in the transaction that takes the event from the outbox, at most once per event and
    subscription (`uq_webhook_delivery_event`), so a crash or a Redis flush loses and duplicates none.
    """

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the event's, for the dead letters' scope
    message_id: Mapped[str] = mapped_column(String(64))  # webhook-id: the event's, the same on every try
    event_type: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed and sent, the same on every try
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_status: Mapped[int | None] = mapped_column(SmallInteger)  # the endpoint's last HTTP status
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("subscription_id", "message_id", name="uq_webhook_delivery_event"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status_known"),
        Index("ix_webhook_delivery_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )
