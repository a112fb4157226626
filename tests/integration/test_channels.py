"""The reminder channels against real servers started here: SMTP (aiosmtpd), an SMS gateway and a push service."""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import http_ece
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.smtp import Session
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from core.settings import Settings
from notifications.channels import (
    EmailChannel,
    LogChannel,
    Message,
    PermanentFailure,
    PushChannel,
    SmsChannel,
    TransientFailure,
    channels_from_settings,
)
from notifications.channels.push import load_vapid_key
from notifications.channels.sms import normalise_number
from notifications.messages import reminder_message, sms_text
from tests.servers import Mailbox, free_port, running

PASSWORD = "riktig passord"  # noqa: S105 - the test server's
TOKEN = "hemmelig-token"  # noqa: S105 - the test gateway's
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FACTS: dict[str, Any] = {
    "recipient_name": "Kari",
    "for_someone_else": False,
    "service_name": "Praktisk bistand",
    "department_name": "Hjemmetjenesten Nord",
    "department_phone": "+4712345678",
    "starts_at_local": datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Oslo")),
    "minutes": 60,
    "lead_minutes": 24 * 60,
    "manage_url": "https://timebestilling.kommune.no/",
}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- e-mail ---------------------------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox(password=PASSWORD)
    with running(mailbox) as port:
        yield mailbox, port


def _email_channel(port: int, **changes: Any) -> EmailChannel:
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_security": "none",
        "mail_from": "Tjenesteshop <ikke-svar@kommune.example>",
    }
    settings = Settings(_env_file=None, smtp_port=port, **(values | changes))
    channel = EmailChannel.from_settings(settings)
    assert channel is not None
    channel.clock = lambda: NOW
    return channel


def _reminder_mail(to: str) -> Message:
    subject, text, html = reminder_message("nb", **FACTS)
    return Message(to=to, subject=subject, text=text, html=html, language="nb", url=FACTS["manage_url"])


async def test_email_has_plain_and_html_parts_and_headers(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    await _email_channel(port).send(_reminder_mail("kari@example.no"))

    [mail] = mailbox.messages
    assert mail["Subject"] == "Påminnelse: Praktisk bistand i morgen kl. 10.00"
    assert mail["From"] == "Tjenesteshop <ikke-svar@kommune.example>"
    assert mail["To"] == "kari@example.no"
    assert mail["Content-Language"] == "nb"
    assert mail["Date"] == "Mon, 23 Nov 2026 09:00:00 +0000"
    assert mail["Message-ID"].endswith("@kommune.example>")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert isinstance(plain, EmailMessage)
    assert isinstance(html, EmailMessage)
    text = plain.get_content().replace("\r\n", "\n")
    assert "Hei, Kari.\n\nDette er en påminnelse om at du har time hos Hjemmetjenesten Nord." in text
    assert "tirsdag 24. november kl. 10.00\u201311.00" in text
    assert plain.get_content_charset() == "utf-8"
    assert '<html lang="nb">' in html.get_content()
    assert "<h2>Praktisk bistand</h2>" in html.get_content()


async def test_a_line_break_in_the_subject_stays_out_of_the_headers(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    message = Message(to="kari@example.no", subject="Påminnelse\r\nBcc: alle@example.no", text="Hei.")
    await _email_channel(port).send(message)
    [mail] = mailbox.messages
    assert mail["Subject"] == "Påminnelse Bcc: alle@example.no"
    assert mail["Bcc"] is None
    assert mail.get_content_type() == "text/plain"  # no HTML given: a single part


async def test_email_logs_in_when_configured(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    await _email_channel(port, smtp_username="tjenesteshop", smtp_password=PASSWORD).send(
        _reminder_mail("kari@example.no")
    )
    assert mailbox.logins == [(b"tjenesteshop", PASSWORD.encode())]
    assert len(mailbox.messages) == 1

    with pytest.raises(TransientFailure, match="SMTP 535"):  # a wrong password is our setup, not the address
        await _email_channel(port, smtp_username="tjenesteshop", smtp_password=PASSWORD.upper()).send(
            _reminder_mail("kari@example.no")
        )


@pytest.mark.parametrize(
    ("answer", "failure"),
    [
        ("550 5.1.1 No such user", PermanentFailure),
        ("553 Mailbox name not allowed", PermanentFailure),
        ("550 5.7.1 Relaying denied", TransientFailure),  # our server setup, not the person's address
        ("450 4.2.1 Mailbox busy, try later", TransientFailure),
    ],
)
async def test_email_refusals(smtp: tuple[Mailbox, int], answer: str, failure: type[Exception]) -> None:
    mailbox, port = smtp
    mailbox.refuse["borte@example.no"] = answer
    with pytest.raises(failure, match=f"SMTP {answer[:3]}"):
        await _email_channel(port).send(_reminder_mail("borte@example.no"))
    assert mailbox.messages == []


class GreetedMailbox(Mailbox):
    """A mailbox that also counts the connections that greet it (EHLO): one a connection."""

    def __init__(self) -> None:
        """No connection yet."""
        super().__init__()
        self.greetings = 0

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name and signature
        self, server: object, session: Session, envelope: object, hostname: str, responses: list[str]
    ) -> list[str]:
        """Count, and answer as the server would have (a hook of this shape must note the client's name)."""
        del server, envelope
        session.host_name = hostname
        self.greetings += 1
        return responses


async def test_email_send_many_shares_one_connection_and_reconnects_after_a_closing_answer() -> None:
    mailbox = GreetedMailbox()
    mailbox.refuse = {"borte@example.no": "550 5.1.1 No such user", "stengt@example.no": "421 4.3.2 Closing"}
    to = ["kari@example.no", "borte@example.no", "ola@example.no", "stengt@example.no", "per@example.no",
          "ikke en adresse"]  # fmt: skip
    with running(mailbox) as port:
        results = await _email_channel(port).send_many([_reminder_mail(address) for address in to])
    assert [type(result).__name__ for result in results] == [
        "NoneType", "PermanentFailure", "NoneType", "TransientFailure", "NoneType", "PermanentFailure"
    ]  # fmt: skip
    assert [message["To"] for message in mailbox.messages] == ["kari@example.no", "ola@example.no", "per@example.no"]
    assert mailbox.messages[2]["Subject"] == "Påminnelse: Praktisk bistand i morgen kl. 10.00"
    assert mailbox.greetings == 2  # one connection for the first four; after the 421, a new one


async def test_email_send_many_to_a_closed_port_fails_each_message_once_and_fast() -> None:
    results = await _email_channel(free_port()).send_many([_reminder_mail("kari@example.no")] * 3)
    assert all(isinstance(result, TransientFailure) for result in results)
    assert {str(result) for result in results} == {"SMTP server unreachable: SMTPConnectError"}


async def test_email_to_a_closed_port_is_transient() -> None:
    with pytest.raises(TransientFailure, match="unreachable"):
        await _email_channel(free_port()).send(_reminder_mail("kari@example.no"))


async def test_a_broken_address_is_permanent_without_a_connection(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    for broken in ("kari", "kari@", "kari@example.no\r\nBcc: alle@example.no", "a b@example.no"):
        with pytest.raises(PermanentFailure, match="not an e-mail address"):
            await _email_channel(port).send(_reminder_mail(broken))
    assert mailbox.messages == []


async def test_starttls_against_a_server_without_it_is_transient(smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    with pytest.raises(TransientFailure):
        await _email_channel(port, smtp_security="starttls").send(_reminder_mail("kari@example.no"))


# --- a small HTTP server: the SMS gateway and the push service ------------------------------------------------


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """Keeps each request and answers with the next scripted status and body (200 `{}` when none is left)."""

    base: str = ""
    seen: list[Seen] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.seen.append(Seen(request.path, headers, await request.read()))
        status, body = self.answers.pop(0) if self.answers else (200, "{}")
        return web.Response(status=status, text=body, content_type="application/json")


@pytest.fixture
async def http_server() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_post("/{tail:.*}", recorder.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    recorder.base = str(server.make_url("/"))
    try:
        yield recorder
    finally:
        await server.close()


# --- SMS ------------------------------------------------------------------------------------------------------


def _sms_channel(url: str) -> SmsChannel:
    settings = Settings(_env_file=None, sms_gateway_url=url, sms_gateway_token=TOKEN, sms_sender="Kommunen")
    channel = SmsChannel.from_settings(settings)
    assert channel is not None
    return channel


def _sms(to: str) -> Message:
    return Message(to=to, subject="", text=sms_text("nb", **FACTS), language="nb")


async def test_sms_posts_json_with_the_bearer_token(http_server: Recorder) -> None:
    await _sms_channel(http_server.base + "sms").send(_sms("912 34 567"))

    [request] = http_server.seen
    assert request.path == "/sms"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert body == {"sender": "Kommunen", "to": "+4791234567", "text": sms_text("nb", **FACTS)}
    assert body["text"].startswith("Påminnelse: Praktisk bistand i morgen kl. 10.00")


async def test_sms_carries_our_reference_when_there_is_one(http_server: Recorder) -> None:
    message = Message(to="912 34 567", subject="", text="Hei", language="nb", reference="reminder-7")
    await _sms_channel(http_server.base + "sms").send(message)
    [request] = http_server.seen
    assert json.loads(request.body) == {"sender": "Kommunen", "to": "+4791234567", "text": "Hei",
                                        "reference": "reminder-7"}  # fmt: skip


def test_link_mobility_needs_its_account_settings() -> None:
    settings = Settings(
        _env_file=None, sms_gateway_url="https://sms.example.no/sms/send", sms_gateway_token=TOKEN,
        sms_provider="linkmobility", sms_gateway_username="kommunen", sms_platform_id="COMMON_API",
    )  # fmt: skip
    with pytest.raises(ValueError, match="sms_platform_partner_id"):
        SmsChannel.from_settings(settings)
    complete = settings.model_copy(update={"sms_platform_partner_id": "4711"})
    channel = SmsChannel.from_settings(complete)
    assert channel is not None
    assert channel.link_mobility is not None
    assert channel.link_mobility.delivery_report_gate is None


@pytest.mark.parametrize(
    ("status", "body", "failure"),
    [
        (400, '{"resultCode": 106, "description": "Invalid destination"}', PermanentFailure),  # LINK Mobility's
        (400, '{"error": "invalid number"}', PermanentFailure),
        (422, '{"errors": {"to": "not a valid MSISDN"}}', PermanentFailure),
        (400, '{"error": "sender too long"}', TransientFailure),  # our request, not the person's number
        (401, '{"error": "unauthorised"}', TransientFailure),
        (429, '{"error": "slow down"}', TransientFailure),
        (503, '{"error": "maintenance"}', TransientFailure),
    ],
)
async def test_sms_gateway_answers(http_server: Recorder, status: int, body: str, failure: type[Exception]) -> None:
    http_server.answers.append((status, body))
    with pytest.raises(failure, match=f"SMS gateway {status}"):
        await _sms_channel(http_server.base + "sms").send(_sms("+47 912 34 567"))
    assert len(http_server.seen) == 1


async def test_an_invalid_number_is_permanent_and_sends_nothing(http_server: Recorder) -> None:
    for number in ("1234", "22 33 44 55", "+47 912 34 56", "kari@example.no", "+0123456789"):
        with pytest.raises(PermanentFailure):
            await _sms_channel(http_server.base + "sms").send(_sms(number))
    assert http_server.seen == []


async def test_sms_gateway_unreachable_is_transient() -> None:
    with pytest.raises(TransientFailure, match="unreachable"):
        await _sms_channel(f"http://127.0.0.1:{free_port()}/sms").send(_sms("91234567"))


@pytest.mark.parametrize(
    ("number", "normal"),
    [
        ("91234567", "+4791234567"),
        ("+47 412 34 567", "+4741234567"),
        ("0047 912-34-567", "+4791234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
    ],
)
def test_numbers_are_normalised(number: str, normal: str) -> None:
    assert normalise_number(number) == normal


# --- Web Push -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Browser:
    """A subscription as a browser makes it: its own P-256 key pair and an auth secret."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes

    def subscription(self, endpoint: str) -> str:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return json.dumps({"endpoint": endpoint, "keys": {"p256dh": _b64url(public), "auth": _b64url(self.auth)}})

    def decrypt(self, body: bytes) -> dict[str, object]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        assert isinstance(plain, bytes)
        payload = json.loads(plain)
        assert isinstance(payload, dict)
        return payload


@pytest.fixture
def browser() -> Browser:
    return Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))


@dataclass(frozen=True)
class Vapid:
    private: str  # base64url raw key, as in the settings
    public: str
    key: ec.EllipticCurvePublicKey


@pytest.fixture(scope="module")
def vapid() -> Vapid:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return Vapid(_b64url(raw), _b64url(point), key.public_key())


def _push_channel(vapid: Vapid) -> PushChannel:
    return PushChannel(
        vapid=load_vapid_key(vapid.private, vapid.public),
        subject="mailto:drift@kommune.example",
        clock=lambda: NOW,
        allow_http=True,
    )


def _push(to: str, expires_at: datetime | None = NOW + timedelta(minutes=90)) -> Message:
    return Message(
        to=to,
        subject="Påminnelse: Praktisk bistand i dag kl. 10.00",
        text="Praktisk bistand i dag kl. 10.00, Hjemmetjenesten Nord.",
        language="nb",
        url="https://timebestilling.kommune.no/",
        expires_at=expires_at,
    )


def _verify_vapid(authorization: str, vapid: Vapid) -> dict[str, object]:
    """Check the VAPID JWT's ES256 signature with our public key; return its claims."""
    token = dict(part.strip().split("=", 1) for part in authorization.removeprefix("vapid ").split(","))
    assert token["k"] == vapid.public
    header, claims, signature = token["t"].split(".")
    raw = _b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    vapid.key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    decoded = json.loads(_b64url_decode(claims))
    assert isinstance(decoded, dict)
    return decoded


async def test_push_is_encrypted_for_the_subscription(http_server: Recorder, browser: Browser, vapid: Vapid) -> None:
    await _push_channel(vapid).send(_push(browser.subscription(http_server.base + "push/abc")))

    [request] = http_server.seen
    assert request.path == "/push/abc"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["ttl"] == str(90 * 60)  # until the visit starts, then the push service drops it
    assert b"Praktisk" not in request.body
    assert browser.decrypt(request.body) == {
        "title": "Påminnelse: Praktisk bistand i dag kl. 10.00",
        "body": "Praktisk bistand i dag kl. 10.00, Hjemmetjenesten Nord.",
        "url": "https://timebestilling.kommune.no/",
        "lang": "nb",
    }
    claims = _verify_vapid(request.headers["authorization"], vapid)
    assert claims["sub"] == "mailto:drift@kommune.example"
    assert claims["aud"] == http_server.base.rstrip("/")


async def test_push_after_the_visit_started_has_no_time_to_live(
    http_server: Recorder, browser: Browser, vapid: Vapid
) -> None:
    await _push_channel(vapid).send(_push(browser.subscription(http_server.base + "p"), NOW - timedelta(minutes=1)))
    assert http_server.seen[0].headers["ttl"] == "0"


@pytest.mark.parametrize(
    ("status", "failure"),
    [(410, PermanentFailure), (404, PermanentFailure), (429, TransientFailure), (503, TransientFailure)],
)
async def test_push_service_answers(
    http_server: Recorder, browser: Browser, vapid: Vapid, status: int, failure: type[Exception]
) -> None:
    http_server.answers.append((status, "{}"))
    with pytest.raises(failure, match=f"push service {status}"):
        await _push_channel(vapid).send(_push(browser.subscription(http_server.base + "p")))


async def test_a_bad_subscription_is_permanent_and_sends_nothing(http_server: Recorder, vapid: Vapid) -> None:
    bad = [
        "not json",
        json.dumps({"endpoint": http_server.base + "p"}),
        json.dumps({"endpoint": http_server.base + "p", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}),
        json.dumps({"endpoint": "file:///etc/passwd", "keys": {"p256dh": "x", "auth": "y"}}),
    ]
    for to in bad:
        with pytest.raises(PermanentFailure, match="bad push subscription"):
            await _push_channel(vapid).send(_push(to))
    assert http_server.seen == []


async def test_plain_http_endpoints_are_refused_by_default(
    http_server: Recorder, browser: Browser, vapid: Vapid
) -> None:
    channel = PushChannel(vapid=load_vapid_key(vapid.private), subject="mailto:drift@kommune.example")
    with pytest.raises(PermanentFailure):
        await channel.send(_push(browser.subscription(http_server.base + "p")))
    assert http_server.seen == []


async def test_push_service_unreachable_is_transient(browser: Browser, vapid: Vapid) -> None:
    with pytest.raises(TransientFailure, match="unreachable"):
        await _push_channel(vapid).send(_push(browser.subscription(f"http://127.0.0.1:{free_port()}/p")))


def test_a_vapid_public_key_of_another_pair_is_refused(vapid: Vapid) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = other.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    with pytest.raises(ValueError, match="not the public half"):
        load_vapid_key(vapid.private, _b64url(point))


# --- from settings, and the log channel -----------------------------------------------------------------------


def test_unconfigured_channels_are_the_log_channel(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="notifications.channels"):
        channels = channels_from_settings(Settings(_env_file=None))
    assert set(channels) == {"email", "sms", "push", "log"}
    assert all(isinstance(channel, LogChannel) for channel in channels.values())
    assert [channel.name for channel in channels.values()] == ["log", "email", "sms", "push"]
    assert len(caplog.records) == 3


def test_configured_channels_are_the_real_ones(vapid: Vapid) -> None:
    settings = Settings(
        _env_file=None,
        smtp_host="smtp.example.no",
        mail_from="ikke-svar@kommune.example",
        sms_gateway_url="https://sms.example.no/send",
        sms_gateway_token=TOKEN,
        vapid_private_key=vapid.private,
        vapid_public_key=vapid.public,
        vapid_subject="mailto:drift@kommune.example",
    )
    channels = channels_from_settings(settings)
    assert isinstance(channels["email"], EmailChannel)
    assert isinstance(channels["sms"], SmsChannel)
    assert isinstance(channels["push"], PushChannel)
    assert isinstance(channels["log"], LogChannel)


async def test_the_log_channel_logs_the_message_but_not_push_keys(
    caplog: pytest.LogCaptureFixture, browser: Browser
) -> None:
    with caplog.at_level(logging.INFO, logger="notifications.channels.log"):
        await LogChannel("sms").send(_sms("91234567"))
        await LogChannel("push").send(_push(browser.subscription("https://push.example.net/abc")))
    sms_line, push_line = (record.getMessage() for record in caplog.records)
    assert sms_line.startswith("sms message to 91234567")
    assert "Påminnelse: Praktisk bistand i morgen kl. 10.00" in sms_line
    assert "a push subscription at push.example.net" in push_line
    assert _b64url(browser.auth) not in push_line
