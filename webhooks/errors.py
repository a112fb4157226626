"""Why a webhook request is refused."""

from __future__ import annotations

from core.errors import ConflictError, DomainError


class EndpointNotAllowedError(DomainError):
    """The endpoint address may not receive webhooks (not https in production, private, credentials in it)."""

    code = "webhook_endpoint_not_allowed"


class PersonalDataNotAllowedError(DomainError):
    """Only a municipality administrator may subscribe an endpoint to personal data."""

    code = "webhook_personal_data_not_allowed"


class NotDeadError(ConflictError):
    """Only a dead letter can be redelivered; this delivery is still being tried, or arrived."""

    code = "webhook_not_dead"
