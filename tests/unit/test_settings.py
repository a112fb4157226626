from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings, async_database_url, plain_database_url


def test_database_url_gets_the_asyncpg_driver() -> None:
    assert async_database_url("postgresql://u@h:5432/d") == "postgresql+asyncpg://u@h:5432/d"
    assert async_database_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert async_database_url("postgresql+asyncpg://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert plain_database_url("postgresql+asyncpg://u@h/d") == "postgresql://u@h/d"


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        async_database_url("mysql://u@h/d")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/d")
    monkeypatch.setenv("TJENESTESHOP_TIMEZONE", "America/New_York")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql+asyncpg://u@h/d"
    assert settings.zone.key == "America/New_York"


def test_unset_urls_mean_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url is None
    assert settings.redis_url is None
    assert settings.timezone == "Europe/Oslo"


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(timezone="Europe/Atlantis", _env_file=None)


def test_production_needs_a_secret() -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Settings(environment="production", _env_file=None).check_production()
    Settings(
        environment="production",
        secret_key="a-real-secret-from-the-environment-0123456789",  # noqa: S106 - a test value
        _env_file=None,
    ).check_production()
