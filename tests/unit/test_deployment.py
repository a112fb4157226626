"""The production shape: compose.yaml's secrets are required, Redis asks for a password, the app has its own role."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with uvicorn[standard]; its stubs are not needed here

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("POSTGRES_PASSWORD", "APP_DATABASE_PASSWORD", "REDIS_PASSWORD", "TJENESTESHOP_SECRET_KEY")
REAL = "a-real-secret-from-the-environment-0123456789"  # a test value


def _compose() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(compose, dict)
    return compose


def _service(name: str) -> dict[str, Any]:
    service = _compose()["services"][name]
    assert isinstance(service, dict)
    return service


def test_every_secret_is_required_and_has_no_default() -> None:
    text = (ROOT / "compose.yaml").read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(:?[-?+]?)[^}]*\}", text)
        assert uses, f"{name} is not used"
        assert set(uses) == {":?"}, f"{name} must be ${{{name}:?message}} everywhere (unset or empty stops compose)"


def test_the_api_and_the_worker_connect_as_the_application_role_and_only_the_migration_as_the_owner() -> None:
    owner = _service("postgres")["environment"]["POSTGRES_USER"]
    for name in ("api", "worker", "migrate"):
        environment = _service(name)["environment"]
        user = re.match(r"postgresql://([^:]+):", environment["DATABASE_URL"])
        assert user is not None
        assert user.group(1) != owner, f"{name} connects as the owner (a superuser in the postgres image)"
        assert "POSTGRES_PASSWORD" not in environment["DATABASE_URL"]
    for name in ("api", "worker"):
        assert "MIGRATION_DATABASE_URL" not in _service(name)["environment"], f"{name} must not know the owner"
    migration = _service("migrate")["environment"]["MIGRATION_DATABASE_URL"]
    assert migration.startswith(f"postgresql://{owner}:${{POSTGRES_PASSWORD:?")


def test_redis_asks_for_a_password_and_the_app_gives_it() -> None:
    redis = _service("redis")
    command = " ".join(redis["command"]) if isinstance(redis["command"], list) else redis["command"]
    assert '--requirepass "$$REDIS_PASSWORD"' in command
    assert redis["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])
    for name in ("api", "worker", "migrate"):
        assert _service(name)["environment"]["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?")


def test_env_example_leaves_every_secret_empty() -> None:
    values = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines() if re.match(r"^[A-Z_]+=", line)
    )
    for name in SECRETS:
        assert values.get(name) == "", f".env.example must leave {name} empty, so compose refuses to start without it"


@pytest.mark.parametrize(
    "urls",
    [
        {"DATABASE_URL": "postgresql://tjenesteshop_app:change-me@db/tjenesteshop"},
        {"MIGRATION_DATABASE_URL": "postgresql://tjenesteshop:change-me-too@db/tjenesteshop"},
        {"REDIS_URL": "redis://:change-me@redis:6379/0"},
    ],
)
def test_production_refuses_the_example_passwords(urls: dict[str, str]) -> None:
    settings = Settings(environment="production", secret_key=REAL, _env_file=None, **urls)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="example password"):
        settings.check_production()
    Settings(environment="development", _env_file=None, **urls).check_production()  # type: ignore[arg-type]


def test_production_takes_real_passwords() -> None:
    Settings(
        environment="production",
        secret_key=REAL,
        DATABASE_URL="postgresql://tjenesteshop_app:Zq3-real-one@db/tjenesteshop",
        REDIS_URL="redis://:Zq3-real-two@redis:6379/0",
        _env_file=None,
    ).check_production()


def _packages() -> set[str]:
    """Every top-level package of the repository, but the tests and the benchmarks (never shipped)."""
    found = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    return found - {"tests", "bench"}


def test_the_image_and_the_wheel_carry_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert _packages() <= copied, f"the Dockerfile leaves out {sorted(_packages() - copied)}"
    # and compiles each at build time (the app user cannot write bytecode beside read-only code)
    joined = dockerfile.replace("\\\n", " ")  # continued lines as one
    compiled = re.search(r"python -m compileall -q ([\w ]+)$", joined, flags=re.MULTILINE)
    assert compiled is not None
    missing = _packages() - set(compiled.group(1).split())
    assert not missing, f"the image does not compile {sorted(missing)}"
    pyproject = (ROOT / "pyproject.toml").read_text()
    listed = re.search(r"\[tool\.hatch\.build\.targets\.wheel\]\npackages = \[([^\]]*)\]", pyproject)
    assert listed is not None
    assert _packages() <= set(re.findall(r'"(\w+)"', listed.group(1)))
