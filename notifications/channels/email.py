"""E-mail over SMTP (aiosmtplib): a plain-text and an HTML part, STARTTLS or TLS and login when configured."""

from __future__ import annotations

import binascii
import email.policy
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from typing import Literal, Self

import aiosmtplib

from core.clock import utcnow
from core.settings import Settings
from notifications.channels.base import ChannelError, Message, PermanentFailure, TransientFailure

Security = Literal["none", "starttls", "tls"]
TIMEOUT_SECONDS = 30.0
# Enhanced status codes (RFC 3463) that blame the address: 5.1.x addressing, 5.2.1 mailbox disabled.
# 5.7.x (relay denied, authentication, policy) and the rest blame the sender's setup or the message.
_BAD_ADDRESS_STATUS = re.compile(r"\b5\.(?:1\.\d{1,3}|2\.1)\b")
_OUR_SIDE_STATUS = re.compile(r"\b[45]\.\d{1,3}\.\d{1,3}\b")
_BAD_ADDRESS_CODES = frozenset({550, 551, 553})  # without an enhanced code: no such mailbox, not local, bad name
_ADDRESS = re.compile(r"[^@\s\"<>()\[\],;:\\]+@[^@\s\"<>()\[\],;:\\]+\.[^@\s\"<>()\[\],;:\\]+")
MAX_ADDRESS_LENGTH = 254  # RFC 5321's path limit, less the angle brackets
_CLOSING_CODES = frozenset({421})  # the server is closing the connection
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")  # a BCP 47 tag, as Content-Language takes it


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
        self.envelope_sender = parseaddr(sender)[1]
        self._from = _header("From", sender)

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

    def render(self, message: Message) -> bytes | None:
        """The mail of `compose` as the bytes sent, written directly; None when only `compose` can write it.

        The same headers and parts as `compose` (each part UTF-8, quoted-printable), without building and
        flattening an `EmailMessage`, which costs a few milliseconds of CPU a mail: the batch sender's
        bottleneck. Encoded headers are the standard library's (`email.policy.SMTP`). An address outside
        ASCII or an odd language tag goes the slow way.
        """
        if not message.to.isascii() or not _LANGUAGE.fullmatch(message.language):
            return None
        head = [
            self._from,
            f"To: {message.to}\r\n".encode("ascii"),
            _subject(" ".join(message.subject.split())),  # a line break in a header would be refused
            f"Date: {format_datetime(self.clock())}\r\nMessage-ID: {make_msgid(domain=self.domain)}\r\n"
            "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n".encode("ascii"),
        ]
        if not message.html:
            return b"".join([*head, _part("plain", message.text, f"Content-Language: {message.language}\r\n")])
        boundary = f"=_{secrets.token_hex(16)}"  # "=_" occurs in no quoted-printable text
        head.append(
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
            f"Content-Language: {message.language}\r\n\r\n".encode("ascii")
        )
        return b"".join([
            *head, f"--{boundary}\r\n".encode("ascii"), _part("plain", message.text),
            f"\r\n--{boundary}\r\n".encode("ascii"), _part("html", message.html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ])  # fmt: skip

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            timeout=self.timeout,
        )

    async def send(self, message: Message) -> None:
        """Deliver through the server on a connection of its own; a refused address is permanent, else transient."""
        (failure,) = await self.send_many([message])
        if failure is not None:
            raise failure

    async def send_many(
        self, messages: Sequence[Message], results: list[ChannelError | None] | None = None
    ) -> list[ChannelError | None]:
        """Deliver each message over one connection; per message, None or why it failed (in order).

        A failure of the connection makes that message's send transient (it is not retried here: the server
        may have taken it) and the next message opens a new connection. When that fails too, the rest fail
        at once with the same reason instead of each waiting for its own timeout.
        """
        results = [] if results is None else results  # the caller's list shows how far a stopped batch got
        client: aiosmtplib.SMTP | None = None
        down: ChannelError | None = None
        try:
            for message in messages:
                if len(message.to) > MAX_ADDRESS_LENGTH or not _ADDRESS.fullmatch(message.to):
                    results.append(PermanentFailure("not an e-mail address"))
                    continue
                if down is None:
                    client, down = await self._connected(client)
                if down is not None or client is None:
                    results.append(down)
                    continue
                client, failure = await self._send_on(client, message)
                results.append(failure)
        except BaseException:
            # Stopped midway (a timeout, a shutdown): drop the connection. A polite QUIT would wait for a server
            # still busy with the message, up to the whole timeout, and the stop would wait with it.
            if client is not None:
                client.close()
            raise
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        return results

    async def _connected(self, client: aiosmtplib.SMTP | None) -> tuple[aiosmtplib.SMTP | None, ChannelError | None]:
        """`client` while it is connected, else a new connection (signed in), or why there is none."""
        if client is not None and client.is_connected:
            return client, None
        client = self._client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            return None, _failure(exc)
        return client, None

    async def _send_on(
        self, client: aiosmtplib.SMTP, message: Message
    ) -> tuple[aiosmtplib.SMTP | None, ChannelError | None]:
        """Send one message on `client`; the client to go on with (None: connect anew) and the failure, if any."""
        try:
            data = self.render(message)
            if data is None:
                await client.send_message(self.compose(message))
            else:
                await client.sendmail(self.envelope_sender, [message.to], data)
        except (aiosmtplib.SMTPException, OSError) as exc:
            if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
                codes = {refusal.code for refusal in exc.recipients}
            else:
                codes = {exc.code} if isinstance(exc, aiosmtplib.SMTPResponseException) else set(_CLOSING_CODES)
            if codes.isdisjoint(_CLOSING_CODES) and client.is_connected:
                return client, _failure(exc)  # the server answered and reset the envelope: go on
            client.close()  # dropped, timed out or closing: the next message connects anew
            return None, _failure(exc)
        return client, None


@lru_cache(maxsize=1024)  # reminders of one batch share a handful of subjects
def _subject(subject: str) -> bytes:
    """The Subject header, encoded (RFC 2047) and folded by the standard library."""
    return _header("Subject", subject)


def _header(name: str, value: str) -> bytes:
    """One header as the standard library writes it for SMTP: encoded words outside ASCII, folded, CRLF."""
    policy = email.policy.SMTP
    folded = str(policy.header_factory(name, value).fold(policy=policy))
    return folded.encode("ascii")


def _part(subtype: str, text: str, extra: str = "") -> bytes:
    """A UTF-8 text part's headers and body, quoted-printable with CRLF line ends."""
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n'
        f"{extra}\r\n".encode("ascii")
        + body
    )


def _failure(exc: BaseException) -> PermanentFailure | TransientFailure:
    """What an aiosmtplib error means for the message: a refused address is permanent, anything else transient."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return _refusal(exc.recipients[0])
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return _refusal(exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return TransientFailure(f"SMTP {exc.code}: {_short(exc.message)}")
    return TransientFailure(f"SMTP server unreachable: {type(exc).__name__}")  # timeouts, dropped connections, TLS


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
