"""SMS through an HTTP gateway: POST `{"sender", "to", "text"}` as JSON with a bearer token (httpx)."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Self

import httpx

from core.settings import Settings
from notifications.channels.base import Message, PermanentFailure, TransientFailure

TIMEOUT_SECONDS = 10.0
_SEPARATORS = re.compile(r"[\s\-.()/]")
_NORWEGIAN = re.compile(r"(?:\+47|0047)?(\d{8})")
_NORWEGIAN_MOBILE_FIRST_DIGITS = ("4", "9")  # Nkom's numbering plan: other eight-digit numbers are landlines
_E164 = re.compile(r"\+[1-9]\d{6,14}")
# A 400/422 whose body says one of these is about the number; any other is about our request.
_NUMBER_WORDS = ("number", "msisdn", "recipient", "phone", "nummer", '"to"')


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


class SmsChannel:
    """Sends `Message.text` to the gateway; the gateway's answer decides permanent or transient."""

    name = "sms"

    def __init__(self, *, url: str, token: str, sender: str, timeout: float = TIMEOUT_SECONDS) -> None:
        """Keep the gateway's address, token and our sender name; nothing connects until `send`."""
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """The channel the settings describe, or None when the gateway or its token is missing."""
        if not settings.sms_gateway_url or not settings.sms_gateway_token:
            return None
        return cls(
            url=settings.sms_gateway_url,
            token=settings.sms_gateway_token.get_secret_value(),
            sender=settings.sms_sender,
        )

    async def send(self, message: Message) -> None:
        """Validate the number (a bad one is permanent, with no request), then post the text."""
        to = normalise_number(message.to)
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.url,
                    json={"sender": self.sender, "to": to, "text": message.text},
                    headers={"Authorization": f"Bearer {self.token}"},
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
