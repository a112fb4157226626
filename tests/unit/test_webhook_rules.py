"""The pure webhook rules: Standard Webhooks signatures, endpoint addresses, event types, retries, payload scope."""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import InvalidToken

from tests.webhook_receiver import signature_valid
from webhooks import rules, sealing

NOW = datetime(2026, 9, 9, 8, 0, tzinfo=UTC)


def test_the_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The example of the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the specification's published example
    signature = rules.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_receiver_accepts_either_secret_during_a_rotation_and_refuses_a_tampered_body() -> None:
    old, new = rules.new_secret(), rules.new_secret()
    assert old != new
    assert old.startswith("whsec_")
    assert len(base64.b64decode(old.removeprefix("whsec_"))) == rules.SECRET_BYTES
    header = rules.signature_header([new, old], "msg_1", 1700000000, b"{}")
    assert len(header.split(" ")) == 2
    assert signature_valid(old, "msg_1", "1700000000", b"{}", header)
    assert signature_valid(new, "msg_1", "1700000000", b"{}", header)
    assert not signature_valid(rules.new_secret(), "msg_1", "1700000000", b"{}", header)
    assert not signature_valid(new, "msg_1", "1700000000", b'{"x":1}', header)
    assert not signature_valid(new, "msg_2", "1700000000", b"{}", header)
    assert not signature_valid(new, "msg_1", "1700000001", b"{}", header)
    assert not signature_valid(new, "msg_1", "1700000000", b"{}", "v2," + header.split(",", 1)[1])


def test_the_previous_secret_signs_only_until_the_overlap_ends() -> None:
    assert rules.signing_secrets("new", "old", NOW + timedelta(hours=1), NOW) == ["new", "old"]
    assert rules.signing_secrets("new", "old", NOW, NOW) == ["new"]
    assert rules.signing_secrets("new", None, None, NOW) == ["new"]
    assert rules.signing_secrets("new", "old", None, NOW) == ["new"]


def test_retries_follow_the_schedule_then_the_delivery_is_dead() -> None:
    schedule = (5, 300, 1800)
    assert rules.next_attempt(1, schedule, NOW) == NOW + timedelta(seconds=5)
    assert rules.next_attempt(2, schedule, NOW) == NOW + timedelta(seconds=300)
    assert rules.next_attempt(3, schedule, NOW) == NOW + timedelta(seconds=1800)
    assert rules.next_attempt(4, schedule, NOW) is None


@pytest.mark.parametrize(
    ("kind", "details", "status", "expected"),
    [
        ("created", {}, "booked", "booking.booked"),
        ("moved", {"previous_start": "x"}, "booked", "booking.moved"),
        ("cancelled", {}, "cancelled", "booking.cancelled"),
        ("cancelled", {}, "late_cancelled", "booking.late_cancelled"),
        ("outcome", {"outcome": "delivered"}, "delivered", "visit.delivered"),
        ("outcome", {"outcome": "no_show"}, "no_show", "visit.no_show"),
        ("outcome", {"outcome": "something"}, "booked", None),
        ("assigned", {}, "booked", None),
    ],
)
def test_booking_events_map_to_webhook_types(kind: str, details: dict[str, str], status: str, expected: str) -> None:
    assert rules.event_type(kind, details, status) == expected


@pytest.mark.parametrize(
    ("url", "production", "refusal"),
    [
        ("https://journal.example.no/hooks", True, None),
        ("https://journal.example.no:443/hooks", True, None),
        ("https://93.184.215.14/hooks", True, None),
        ("http://journal.example.no/hooks", True, "not_https"),
        ("http://127.0.0.1:8080/hooks", True, "not_https"),
        ("https://journal.example.no:8443/hooks", True, "port"),
        ("https://127.0.0.1/hooks", True, "private_address"),
        ("https://10.1.2.3/hooks", True, "private_address"),
        ("https://192.168.0.1/hooks", True, "private_address"),
        ("https://169.254.169.254/latest/meta-data", True, "private_address"),
        ("https://[::1]/hooks", True, "private_address"),
        ("https://[fe80::1]/hooks", True, "private_address"),
        ("https://localhost/hooks", True, "private_name"),
        ("https://intranett/hooks", True, "private_name"),
        ("https://journal.internal/hooks", True, "private_name"),
        ("https://127.1/hooks", True, "private_address"),
        ("https://0x7f.1/hooks", True, "private_address"),
        ("https://0x7f000001.example.no/hooks", True, "private_address"),
        ("https://user:pw@journal.example.no/hooks", True, "credentials"),
        ("ftp://journal.example.no/hooks", True, "malformed"),
        ("https:///hooks", True, "malformed"),
        ("https://journal.example.no:99999/hooks", True, "malformed"),
        ("http://127.0.0.1:8080/hooks", False, None),
        ("http://[::1]:8080/hooks", False, None),
        ("http://journal.example.no/hooks", False, "not_https"),
        ("http://localhost:8080/hooks", False, "not_https"),
        ("https://10.1.2.3/hooks", False, None),
    ],
)
def test_endpoints(url: str, production: bool, refusal: str | None) -> None:  # noqa: FBT001 - a parameter table
    assert rules.endpoint_refusal(url, production=production) == refusal


def test_public_addresses() -> None:
    assert rules.is_public(ipaddress.ip_address("93.184.215.14"))
    assert not rules.is_public(ipaddress.ip_address("224.0.0.1"))
    assert not rules.is_public(ipaddress.ip_address("100.64.0.1"))  # carrier-grade NAT


def test_the_payload_carries_personal_data_only_with_the_scope() -> None:
    data = {"booking_id": "b"}
    personal = {"recipient_id": "r"}
    minimal = rules.payload("booking.booked", NOW, data, personal, personal_data=False)
    assert minimal == {"type": "booking.booked", "timestamp": "2026-09-09T08:00:00+00:00", "data": {"booking_id": "b"}}
    full = rules.payload("booking.booked", NOW, data, personal, personal_data=True)
    assert full["data"] == {"booking_id": "b", "recipient_id": "r"}
    assert data == {"booking_id": "b"}  # the caller's mapping is left alone


def test_secrets_are_kept_encrypted_and_only_the_same_key_opens_them() -> None:
    sealed = sealing.seal(b"k" * 32, "whsec_abc")
    assert "whsec_abc" not in sealed
    assert sealing.unseal(b"k" * 32, sealed) == "whsec_abc"
    with pytest.raises(InvalidToken):
        sealing.unseal(b"x" * 32, sealed)
