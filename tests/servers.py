"""A real SMTP server for tests (aiosmtpd), keeping what it receives; a free local port to run servers on; and the
wait for a started server to be ready."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen[Any], deadline: float, *, what: str = "serve") -> Any:
    """Ask `base`/health/ready until it answers 200, and return its body; fail when `process` exits first, or at
    `deadline` (time.monotonic)."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited ({process.returncode}) before it was ready")
        try:
            response = httpx.get(f"{base}/health/ready", timeout=2)
        except httpx.TransportError:
            pass
        else:
            if response.status_code == 200:
                return response.json()
        time.sleep(0.2)
    pytest.fail(f"{what} at {base} did not become ready")


class Mailbox:
    """An aiosmtpd handler: keeps each message; refuses the addresses in `refuse` with the answer given there."""

    def __init__(self, password: str | None = None) -> None:
        """`password`: the one a client signing in must give (no sign-in offered without one)."""
        self.password = password
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self.logins: list[tuple[bytes, bytes]] = []
        # The server runs on a thread and event loop of its own (aiosmtpd's Controller): the test's signals to and
        # from it are threading events. An asyncio.Event set from the other loop wakes no one until that loop's
        # next timer, which cost a test its whole 10 s timeout.
        self.hold: threading.Event | None = None  # when given: wait until it is set before answering, as a slow server
        self.received = threading.Event()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name and signature
        self,
        server: SMTP,  # noqa: ARG002
        session: Session,  # noqa: ARG002
        envelope: Envelope,
        address: str,
        options: list[str],  # noqa: ARG002
    ) -> str:
        """Accept the address, or give the refusal set for it."""
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802, ARG002
        """Keep the message (then wait for `hold`, if set)."""
        content = envelope.original_content or b""
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.received.set()
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 60)
        return "250 OK"

    def authenticate(
        self,
        server: SMTP,  # noqa: ARG002
        session: Session,  # noqa: ARG002
        envelope: Envelope,  # noqa: ARG002
        mechanism: str,  # noqa: ARG002
        auth_data: object,
    ) -> AuthResult:
        """Note the login; succeed only with the mailbox's password."""
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == (self.password or "").encode(), handled=False)


@contextmanager
def running(mailbox: Mailbox) -> Iterator[int]:
    """Serve `mailbox` on 127.0.0.1 (sign-in without TLS when it has a password); yields the port."""
    port = free_port()
    signing_in = {"authenticator": mailbox.authenticate, "auth_require_tls": False} if mailbox.password else {}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **signing_in)  # type: ignore[arg-type]
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
