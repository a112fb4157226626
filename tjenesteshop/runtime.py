"""Where the servers of a running `serve` are, so `worker`, `migrate` and `demo` can join them."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from core.settings import Settings, async_database_url
from tjenesteshop.embedded import EmbeddedServices, start_missing

RUNTIME_FILE = "running.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_urls(data_dir: Path) -> dict[str, str] | None:
    path = data_dir / RUNTIME_FILE
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _alive(int(info.get("pid", 0))):
        return None
    return {"database": str(info["database"]), "redis": str(info["redis"])}


@contextlib.contextmanager
def servers(settings: Settings, *, publish: bool = False) -> Iterator[Settings]:
    """Yield settings with both URLs set: given ones, a running `serve`'s, or embedded servers started now.

    Embedded servers started here are stopped when the block ends. With `publish`, their URLs are
    written to the data folder while the block runs, for other commands to join.
    """
    if settings.database_url and settings.redis_url:
        yield settings
        return
    data_dir = settings.data_dir
    joined = _running_urls(data_dir)
    if joined is not None:
        yield settings.model_copy(
            update={
                "database_url": settings.database_url or async_database_url(joined["database"]),
                "redis_url": settings.redis_url or joined["redis"],
            }
        )
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    services: EmbeddedServices = start_missing(data_dir, settings.database_url, settings.redis_url)
    runtime = data_dir / RUNTIME_FILE
    try:
        if publish:
            runtime.write_text(json.dumps({"pid": os.getpid(), **services.urls}))
        yield settings.model_copy(
            update={"database_url": async_database_url(services.urls["database"]), "redis_url": services.urls["redis"]}
        )
    finally:
        if publish:
            runtime.unlink(missing_ok=True)
        services.stop()
