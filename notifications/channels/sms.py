"""SMS through an HTTP gateway (httpx): a provider-neutral JSON shape, or LINK Mobility's REST SMS API.

`generic` POSTs `{"sender", "to", "text", "reference"}` with a bearer token. `linkmobility` POSTs LINK Mobility's
send request (`source`, `sourceTON`, `destination` in E.164, `userData`, `platformId`, `platformPartnerId`,
`refId` = our reference, and the delivery-report gate that calls our receipt route) with Basic authentication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal, Self

import httpx

from core.settings import Settings
from notifications.channels.base import Message, PermanentFailure, TransientFailure

TIMEOUT_SECONDS = 10.0
_SEPARATORS = re.compile(r"[\s\-.()/]")
_NORWEGIAN = re.compile(r"(?:\+47|0047)?(\d{8})")
_NORWEGIAN_MOBILE_FIRST_DIGITS = ("4", "9")  # Nkom's numbering plan: other eight-digit numbers are landlines
_E164 = re.compile(r"\+[1-9]\d{6,14}")
# A 400/422 whose body says one of these is about the number; any other is about our request.
_NUMBER_WORDS = ("number", "msisdn", "recipient", "phone", "nummer", '"to"', "destination")
_ALPHANUMERIC_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")
Provider = Literal["generic", "linkmobility"]


def normalise_number(number: str) -> str:
    """The number in E.164 (`+4791234567`).

    Norwegian numbers may be written with or without +47/0047 and with spaces; they must be mobile numbers
    (eight digits starting with 4 or 9). Other countries' numbers must be in E.164 (`+` and up to 15 digits,
    or `00` for the `+`).

    Raises:
        PermanentFailure: the number cannot take an SMS.

    """
    compact = _SEPARATORS.sub("", number)
    norwegian = _NORWEGIAN.fullmatch(compact)
    if norwegian:
        digits = norwegian.group(1)
        if not digits.startswith(_NORWEGIAN_MOBILE_FIRST_DIGITS):
            raise PermanentFailure("not a Norwegian mobile number")
        return "+47" + digits
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+47") or not _E164.fullmatch(compact):
        raise PermanentFailure("not a phone number")
    return compact


@dataclass(frozen=True)
class LinkMobility:
    """What LINK Mobility's REST SMS API needs besides the address: the account and the delivery-report gate."""

    username: str
    platform_id: str
    platform_partner_id: str
    delivery_report_gate: str | None = None


class SmsChannel:
    """Sends `Message.text` to the gateway; the gateway's answer decides permanent or transient."""

    name = "sms"

    def __init__(
        self, *, url: str, token: str, sender: str, timeout: float = TIMEOUT_SECONDS,
        link_mobility: LinkMobility | None = None,
    ) -> None:  # fmt: skip
        """Keep the gateway's address, token and our sender name; nothing connects until `send`.

        With `link_mobility`, requests take LINK Mobility's shape and `token` is the account's password.
        """
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout
        self.link_mobility = link_mobility

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """The channel the settings describe, or None when the gateway or its token is missing.

        Raises:
            ValueError: `sms_provider` is `linkmobility` but its username or platform ids are missing.

        """
        if not settings.sms_gateway_url or not settings.sms_gateway_token:
            return None
        link = None
        if settings.sms_provider == "linkmobility":
            if (
                not settings.sms_gateway_username
                or not settings.sms_platform_id
                or not settings.sms_platform_partner_id
            ):
                msg = "sms_provider linkmobility needs sms_gateway_username, sms_platform_id, sms_platform_partner_id"
                raise ValueError(msg)
            link = LinkMobility(
                username=settings.sms_gateway_username,
                platform_id=settings.sms_platform_id,
                platform_partner_id=settings.sms_platform_partner_id,
                delivery_report_gate=settings.sms_delivery_report_gate,
            )
        return cls(
            url=settings.sms_gateway_url,
            token=settings.sms_gateway_token.get_secret_value(),
            sender=settings.sms_sender,
            link_mobility=link,
        )

    def request(self, to: str, message: Message) -> tuple[dict[str, Any], httpx.Auth | None, dict[str, str]]:
        """The body, the authentication and the headers of the send request for the number `to` (E.164)."""
        link = self.link_mobility
        if link is None:
            body: dict[str, Any] = {"sender": self.sender, "to": to, "text": message.text}
            if message.reference is not None:
                body["reference"] = message.reference
            return body, None, {"Authorization": f"Bearer {self.token}"}
        body = {
            "source": self.sender,
            "sourceTON": "ALPHANUMERIC" if _ALPHANUMERIC_SENDER.fullmatch(self.sender) else "MSISDN",
            "destination": to,
            "userData": message.text,
            "platformId": link.platform_id,
            "platformPartnerId": link.platform_partner_id,
        }
        if message.reference is not None:
            body["refId"] = message.reference
        if link.delivery_report_gate is not None:
            body["useDeliveryReport"] = True
            body["deliveryReportGates"] = [link.delivery_report_gate]
        return body, httpx.BasicAuth(link.username, self.token), {}

    async def send(self, message: Message) -> None:
        """Validate the number (a bad one is permanent, with no request), then post the text."""
        to = normalise_number(message.to)
        body, auth, headers = self.request(to, message)
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.url, json=body, auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth, headers=headers
                )
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken responses
            raise TransientFailure(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        _check(response)


def _check(response: httpx.Response) -> None:
    if response.is_success:
        return
    status = response.status_code
    reason = f"SMS gateway {status}: {' '.join(response.text.split())[:300]}"
    if status in {HTTPStatus.BAD_REQUEST, HTTPStatus.UNPROCESSABLE_ENTITY} and any(
        word in response.text.lower() for word in _NUMBER_WORDS
    ):
        raise PermanentFailure(reason)
    # 401/403 (our token), 429, 5xx, and a 400 about something other than the number: not the person's fault.
    raise TransientFailure(reason)
