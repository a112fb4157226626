"""E-mail over SMTP (aiosmtplib): a plain-text and an HTML part, STARTTLS or TLS and login when configured."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal, Self

import aiosmtplib

from core.clock import utcnow
from core.settings import Settings
from notifications.channels.base import Message, PermanentFailure, TransientFailure

Security = Literal["none", "starttls", "tls"]
TIMEOUT_SECONDS = 30.0
# Enhanced status codes (RFC 3463) that blame the address: 5.1.x addressing, 5.2.1 mailbox disabled.
# 5.7.x (relay denied, authentication, policy) and the rest blame the sender's setup or the message.
_BAD_ADDRESS_STATUS = re.compile(r"\b5\.(?:1\.\d{1,3}|2\.1)\b")
_OUR_SIDE_STATUS = re.compile(r"\b[45]\.\d{1,3}\.\d{1,3}\b")
_BAD_ADDRESS_CODES = frozenset({550, 551, 553})  # without an enhanced code: no such mailbox, not local, bad name
_ADDRESS = re.compile(r"[^@\s\"<>()\[\],;:\\]+@[^@\s\"<>()\[\],;:\\]+\.[^@\s\"<>()\[\],;:\\]+")
MAX_ADDRESS_LENGTH = 254  # RFC 5321's path limit, less the angle brackets


class EmailChannel:
    """Sends `Message`s as multipart/alternative mail through one SMTP server."""

    name = "email"

    def __init__(  # noqa: PLR0913 - a connection's settings, keyword-only
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Keep the server's address and credentials; nothing connects until `send`."""
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.username, self.password, self.timeout, self.clock = username, password, timeout, clock
        domain = parseaddr(sender)[1].rpartition("@")[2]
        if not domain:
            raise ValueError(f"mail_from has no domain: {sender!r}")
        self.domain = domain  # the Message-ID's right-hand side: ours, not the host's name

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """The channel the settings describe, or None when the server or the sender is missing."""
        if not settings.smtp_host or not settings.mail_from:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )

    def compose(self, message: Message) -> EmailMessage:
        """The mail: headers, the plain text, and the HTML as its alternative."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = Address(addr_spec=message.to)
        mail["Subject"] = " ".join(message.subject.split())  # a line break in a header would be refused
        mail["Date"] = format_datetime(self.clock())
        mail["Message-ID"] = make_msgid(domain=self.domain)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a no-reply address
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        mail["Content-Language"] = message.language  # after the parts: setting content clears Content-* headers
        return mail

    async def send(self, message: Message) -> None:
        """Deliver through the server; a refused address is permanent, anything else transient."""
        if len(message.to) > MAX_ADDRESS_LENGTH or not _ADDRESS.fullmatch(message.to):
            raise PermanentFailure("not an e-mail address")
        try:
            await aiosmtplib.send(
                self.compose(message),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _refusal(exc.recipients[0]) from exc
        except aiosmtplib.SMTPRecipientRefused as exc:
            raise _refusal(exc) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise TransientFailure(f"SMTP {exc.code}: {_short(exc.message)}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # timeouts, refused or dropped connections, TLS
            raise TransientFailure(f"SMTP server unreachable: {type(exc).__name__}") from exc


def _refusal(exc: aiosmtplib.SMTPRecipientRefused) -> PermanentFailure | TransientFailure:
    """A permanent failure when the server says the address is bad, a transient one otherwise."""
    reason = f"SMTP {exc.code}: {_short(exc.message)}"
    if _BAD_ADDRESS_STATUS.search(exc.message):
        return PermanentFailure(reason)
    if exc.code in _BAD_ADDRESS_CODES and not _OUR_SIDE_STATUS.search(exc.message):
        return PermanentFailure(reason)
    return TransientFailure(reason)


def _short(text: str) -> str:
    return " ".join(text.split())[:300]
