"""Settings read from the environment (and an optional `.env`)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32
DEFAULT_SECRET = "dev-only-not-secret"  # noqa: S105 - refused outside development, see `check_production`


class Settings(BaseSettings):
    """Process settings. Unset database and Redis URLs mean: start the embedded servers."""

    model_config = SettingsConfigDict(
        env_prefix="TJENESTESHOP_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TJENESTESHOP_DATABASE_URL")
    )
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "TJENESTESHOP_REDIS_URL"))
    data_dir: Path = Path(".tjenesteshop")
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/Oslo"
    environment: str = "development"
    log_level: str = "INFO"
    redis_prefix: str = "tjenesteshop:"  # every Redis key and queue name starts with it
    demo: bool = False  # `serve --demo`: demo sign-in page and a local OIDC provider
    demo_municipality: str = "9999"  # the kommunenummer the demo data uses (no real municipality has it)
    # Sign-in: ID-porten for residents, the municipality's own OIDC provider for staff.
    idporten_issuer: str | None = None
    idporten_client_id: str | None = None
    idporten_client_secret: SecretStr | None = None
    staff_oidc_issuer: str | None = None
    staff_oidc_client_id: str | None = None
    staff_oidc_client_secret: SecretStr | None = None
    staff_oidc_national_id_claim: str = "pid"
    # Reminder channels; a channel whose settings are missing writes its messages to the log instead.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    mail_from: str | None = None  # e.g. "Tjenesteshop <ikke-svar@kommune.no>"
    sms_gateway_url: str | None = None  # POST {"sender", "to", "text"} with a bearer token
    sms_gateway_token: SecretStr | None = None
    sms_sender: str = "Kommunen"  # at most 11 letters and digits, or a phone number
    vapid_private_key: SecretStr | None = None  # base64url raw P-256 key, or PEM
    vapid_public_key: str | None = None  # base64url uncompressed point: the browser subscribes with it
    vapid_subject: str | None = None  # "mailto:..." or an https URL the push services can reach us at
    db_pool_size: int = 10
    db_max_overflow: int = 0

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {value}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        return None if not value else async_database_url(value)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The default time zone of new departments."""
        return ZoneInfo(self.timezone)

    @property
    def national_id_key(self) -> bytes:
        """The key of the national-id hashes (changing the secret makes every stored hash unfindable)."""
        return self.secret_key.get_secret_value().encode()

    def check_production(self) -> None:
        """Refuse to run outside development with the development secret or a short one."""
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (secret == DEFAULT_SECRET or len(secret) < MIN_SECRET_LENGTH):
            msg = f"TJENESTESHOP_SECRET_KEY must be set (at least {MIN_SECRET_LENGTH} characters) outside development"
            raise RuntimeError(msg)


def async_database_url(url: str) -> str:
    """Return `url` with SQLAlchemy's asyncpg driver named (`postgresql+asyncpg://`)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    msg = f"not a PostgreSQL URL: {url.split('://', 1)[0]}://..."
    raise ValueError(msg)


def plain_database_url(url: str) -> str:
    """Return `url` in libpq form (`postgresql://`), for asyncpg and psql."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
