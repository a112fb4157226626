"""Settings read from the environment (and an optional `.env`)."""

from __future__ import annotations

from functools import cached_property, lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32
DEVELOPMENT = "development"
DEMO_REFUSED = (
    "demo mode (serve --demo, TJENESTESHOP_DEMO) signs anyone in as any person without a password: "
    "it runs only with TJENESTESHOP_ENVIRONMENT=development"
)
# Passwords that are examples, not secrets (.env.example's and the usual defaults): refused outside development.
PLACEHOLDER_PASSWORDS = frozenset({"change-me", "change-me-too", "changeme", "password", "postgres", "redis", "secret"})
POOLER_NEEDS_MIGRATION_URL = (
    "TJENESTESHOP_DB_TRANSACTION_POOLER is on: set MIGRATION_DATABASE_URL to PostgreSQL itself (not the pooler), "
    "so that migrations run on one server connection of their own"
)
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
    # The owner of the schema, for `tjenesteshop migrate` (and `serve` without --no-migrate). Unset: DATABASE_URL's
    # role migrates too (the laptop path: one role does everything). Set, with another role in DATABASE_URL: that
    # role is the application's, and migrating grants it only what it needs (see `tjenesteshop.migrate`).
    migration_database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("MIGRATION_DATABASE_URL", "TJENESTESHOP_MIGRATION_DATABASE_URL")
    )
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "TJENESTESHOP_REDIS_URL"))
    data_dir: Path = Path(".tjenesteshop")
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/Oslo"
    environment: str = DEVELOPMENT
    log_level: str = "INFO"
    redis_prefix: str = "tjenesteshop:"  # every key and queue name starts with it (arq's job keys: after "arq:job:")
    demo: bool = False  # `serve --demo`: demo sign-in page and a local OIDC provider
    demo_municipality: str = "9999"  # the kommunenummer the demo data uses (no real municipality has it)
    # Sign-in: ID-porten for residents, the municipality's own OIDC provider for staff.
    idporten_issuer: str | None = None
    idporten_client_id: str | None = None
    idporten_client_secret: SecretStr | None = None
    # The level of assurance asked of ID-porten (acr_values); an ID token whose `acr` is lower is refused.
    idporten_acr_values: Literal["idporten-loa-substantial", "idporten-loa-high"] = "idporten-loa-substantial"
    staff_oidc_issuer: str | None = None
    staff_oidc_client_id: str | None = None
    staff_oidc_client_secret: SecretStr | None = None
    staff_oidc_national_id_claim: str = "pid"
    # A sign-in lasts at most this long however busy it is (and ends after 8 hours unused, sooner).
    session_max_hours: float = Field(default=12, gt=0, le=24 * 7)
    # Reminder channels; a channel whose settings are missing writes its messages to the log instead.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    mail_from: str | None = None  # e.g. "Tjenesteshop <ikke-svar@kommune.no>"
    # SMS: "generic" POSTs {"sender", "to", "text", "reference"} with a bearer token; "linkmobility" speaks LINK
    # Mobility's REST SMS API (Basic auth with the username and the token as password, platform and partner ids).
    sms_provider: Literal["generic", "linkmobility"] = "generic"
    sms_gateway_url: str | None = None  # the full address of the gateway's send endpoint
    sms_gateway_token: SecretStr | None = None  # the bearer token, or LINK Mobility's password
    sms_gateway_username: str | None = None  # LINK Mobility only
    sms_platform_id: str | None = None  # LINK Mobility only
    sms_platform_partner_id: str | None = None  # LINK Mobility only
    sms_delivery_report_gate: str | None = None  # LINK Mobility's gate id that calls our receipt route
    sms_sender: str = "Kommunen"  # at most 11 letters and digits, or a phone number
    # The secret the gateway sends in `X-Receipt-Secret` to POST /api/v1/sms/receipts; unset: every receipt is 401.
    sms_receipt_secret: SecretStr | None = None
    vapid_private_key: SecretStr | None = None  # base64url raw P-256 key, or PEM
    vapid_public_key: str | None = None  # base64url uncompressed point: the browser subscribes with it
    vapid_subject: str | None = None  # "mailto:..." or an https URL the push services can reach us at
    # Where residents report an accessibility problem (the accessibility statement at /tilgjengelighet links it): a
    # "mailto:" address or the https address of the municipality's contact form. Unset: the statement says to
    # contact the municipality's service office.
    accessibility_contact: str | None = None
    db_pool_size: int = 10
    db_max_overflow: int = 0
    # `/metrics` answers only these addresses (comma-separated CIDRs), or a request with the bearer token.
    metrics_allow: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = ("127.0.0.0/8", "::1/128")  # type: ignore[assignment]
    metrics_token: SecretStr | None = None
    # X-Forwarded-For is believed only from these peers (comma-separated CIDRs: the load balancer). Default none:
    # the connection's own address counts, so a client cannot pick the address rate limits and the audit log see.
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = ()
    # Seconds a request waits for a pooled connection before it is answered 503 with Retry-After (SQLAlchemy's own
    # default, 30, made explicit and settable; the admission bound in api.ratelimit keeps the queue short anyway).
    db_pool_timeout: float = 30.0
    # Webhooks: seconds to wait before each retry of a failed delivery (comma-separated); after the last one the
    # delivery is a dead letter. The default follows Standard Webhooks' schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h).
    webhook_retry_seconds: Annotated[tuple[Annotated[float, Field(gt=0)], ...], NoDecode] = (
        5, 300, 1800, 7200, 18000, 36000,
    )  # fmt: skip
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)  # one delivery's HTTP request
    webhook_rotation_hours: float = Field(default=24.0, ge=0, le=24 * 30)  # the old secret still signs this long
    # DATABASE_URL goes through a pooler in transaction mode (PgBouncer `pool_mode = transaction`): each transaction
    # may run on another server connection, so asyncpg keeps no prepared statements across them and names each one
    # uniquely. Migrations then need MIGRATION_DATABASE_URL straight to PostgreSQL.
    db_transaction_pooler: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {value}") from exc
        return value

    @field_validator("metrics_allow", "trusted_proxies", "webhook_retry_seconds", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("accessibility_contact", mode="before")
    @classmethod
    def _contact_address(cls, value: object) -> object:
        if value in {None, ""}:
            return None
        if not isinstance(value, str) or not value.startswith(("mailto:", "https://", "http://")):
            raise ValueError("TJENESTESHOP_ACCESSIBILITY_CONTACT: a mailto: address or an http(s) address")
        return value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        return None if not value else async_database_url(value)

    @model_validator(mode="after")
    def _no_demo_outside_development(self) -> Settings:
        self.check_demo(demo=self.demo)
        return self

    @model_validator(mode="after")
    def _migrations_past_the_pooler(self) -> Settings:
        if self.db_transaction_pooler and self.migration_database_url is None:
            raise ValueError(POOLER_NEEDS_MIGRATION_URL)
        return self

    @property
    def is_production(self) -> bool:
        """Strict outward rules (webhook endpoints: https to public addresses only) apply."""
        return self.environment == "production"

    @property
    def is_development(self) -> bool:
        """Whether this is a developer's machine (demo mode and the development secret are allowed)."""
        return self.environment == DEVELOPMENT

    @property
    def https(self) -> bool:
        """Whether the public address is https (then HSTS is sent)."""
        return self.base_url.startswith("https://")

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry `Secure`: on https, and always outside development (a proxy may end TLS)."""
        return self.https or not self.is_development

    def is_trusted_proxy(self, address: str | None) -> bool:
        """Whether `address` is one of the proxies whose X-Forwarded-For is believed."""
        return _within(address, self.trusted_proxies)

    def metrics_allowed(self, address: str | None) -> bool:
        """Whether `address` (the client's, after trusted proxies) may read `/metrics` without the token."""
        return _within(address, self.metrics_allow)

    def check_demo(self, *, demo: bool) -> None:
        """Refuse demo mode outside development (`serve --demo` asks with `demo=True`).

        Raises:
            ValueError: demo mode asked for in production, staging or any other non-development environment.

        """
        if demo and not self.is_development:
            raise ValueError(DEMO_REFUSED)

    @property
    def session_max_seconds(self) -> int:
        """The absolute lifetime of a sign-in session."""
        return int(self.session_max_hours * 3600)

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
        if self.is_development:
            return
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET or len(secret) < MIN_SECRET_LENGTH:
            msg = f"TJENESTESHOP_SECRET_KEY must be set (at least {MIN_SECRET_LENGTH} characters) outside development"
            raise RuntimeError(msg)
        urls = {"DATABASE_URL": self.database_url, "MIGRATION_DATABASE_URL": self.migration_database_url,
                "REDIS_URL": self.redis_url}  # fmt: skip
        for name, url in urls.items():
            password = urlsplit(url).password if url else None
            if password is not None and password.lower() in PLACEHOLDER_PASSWORDS:
                msg = f"{name} has an example password ({password!r}): set a real one outside development"
                raise RuntimeError(msg)


@lru_cache(maxsize=4096)
def _within(address: str | None, networks: tuple[IPvAnyNetwork, ...]) -> bool:
    """Whether `address` lies in one of `networks`.

    Asked of every request's peer and proxy hops, so the last few thousand answers are kept: parsing the addresses
    took a third of the app's own time for a request behind a proxy.
    """
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def _address(value: str | None) -> IPv4Address | IPv6Address | None:
    if not value:
        return None
    try:
        parsed = ip_address(value)
    except ValueError:
        return None
    # An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: compare it as the IPv4 address it is.
    return parsed.ipv4_mapped or parsed if isinstance(parsed, IPv6Address) else parsed


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
