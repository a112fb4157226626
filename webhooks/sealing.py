"""Signing secrets at rest: encrypted (Fernet) with a key derived from the installation's secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet


def _fernet(secret_key: bytes) -> Fernet:
    derived = hmac.new(secret_key, b"tjenesteshop webhook signing secrets", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: bytes, secret: str) -> str:
    """The stored form of a signing secret."""
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def unseal(secret_key: bytes, sealed: str) -> str:
    """The signing secret of its stored form (the worker signs with it)."""
    return _fernet(secret_key).decrypt(sealed.encode()).decode()
