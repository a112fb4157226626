"""`POST /api/v1/sms/receipts`: the SMS gateway's delivery receipts, authenticated by a shared secret."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import msgspec
from litestar import Controller, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.dependencies import DbSession
from core.clock import utcnow
from core.settings import Settings
from notifications import sms_receipts

RECEIPT_SECRET_HEADER = "X-Receipt-Secret"  # noqa: S105 - the header's name, not a secret
Reference = Annotated[str, msgspec.Meta(max_length=100)]


def receipt_sender(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: the caller sends the shared secret in `X-Receipt-Secret` (compared in constant time).

    Without the setting, nobody is let in. Runs before the body is read: a wrong secret writes nothing.
    """
    settings: Settings = connection.app.state.settings
    secret = settings.sms_receipt_secret
    sent = connection.headers.get(RECEIPT_SECRET_HEADER.lower(), "")
    if secret is None or not sent or not hmac.compare_digest(sent.encode(), secret.get_secret_value().encode()):
        raise NotAuthorizedException


class SmsReceipt(msgspec.Struct):
    """A delivery receipt: LINK Mobility's (`refId`, `resultCode`) or the generic one (`reference`, `status`).

    Other fields the gateway sends (operator, timestamps, segments) are ignored.
    """

    ref_id: Reference | None = msgspec.field(default=None, name="refId")
    result_code: int | None = msgspec.field(default=None, name="resultCode")
    reference: Reference | None = None
    status: Annotated[str, msgspec.Meta(max_length=40)] | None = None

    def outcome(self) -> tuple[str, bool | None]:
        """Our reference and delivered (True), failed (False) or not final yet (None)."""
        if self.ref_id is not None and self.result_code is not None:
            return self.ref_id, sms_receipts.link_outcome(self.result_code)
        if self.reference is not None and self.status is not None:
            return self.reference, sms_receipts.generic_outcome(self.status)
        missing = "resultCode" if self.ref_id is not None else "status" if self.reference is not None else "refId"
        raise ValidationException(extra=[{"key": missing, "message": "required"}])


class SmsReceiptRecorded(msgspec.Struct):
    """What the receipt did: `delivered`, `failed`, `pending` (not final yet) or `unchanged` (already known)."""

    reference: str
    outcome: str


class SmsReceiptController(Controller):
    """The gateway's callback; register `<base_url>/api/v1/sms/receipts` with it (README, "SMS")."""

    path = "/api/v1/sms/receipts"
    tags = ["notifications"]  # noqa: RUF012 - Litestar's declared attribute type
    guards = [receipt_sender]  # noqa: RUF012 - Litestar's declared attribute type

    @post(
        "/",
        summary="An SMS delivery receipt from the gateway (shared secret)",
        status_code=HTTP_200_OK,
        responses={404: ResponseSpec(None, description="No SMS of ours has this reference")},
    )
    async def receipt(self, db_session: DbSession, data: JSONBody[SmsReceipt]) -> SmsReceiptRecorded:
        """Marks the reminder's SMS delivered or failed by our reference; a failed one is then e-mailed, once.

        Idempotent: a repeated receipt answers `unchanged`. An unknown reference is a 404.
        """
        reference, delivered = data.outcome()
        outcome = await sms_receipts.record_receipt(db_session, reference, delivered, utcnow())
        return SmsReceiptRecorded(reference, outcome)
