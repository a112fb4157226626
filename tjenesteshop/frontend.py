"""The web app's build (npm ci and npm run build in `frontend/` when it is missing) and the schema it is typed from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
DIST = FRONTEND / "dist"


def ensure_built(say: Callable[[str], None], frontend: Path = FRONTEND) -> bool:
    """Build the web app unless `dist/index.html` exists; without npm, say so and serve the plain page.

    Returns:
        Whether a built app is there to serve.

    """
    if (frontend / "dist" / "index.html").is_file():
        return True
    npm = shutil.which("npm")
    if npm is None or not (frontend / "package.json").is_file():
        say("the web app is not built and npm is missing: serving a plain page at / (install Node 20 and npm)")
        return False
    for step in (["ci", "--no-audit", "--no-fund"], ["run", "build"]):
        say(f"building the web app: npm {step[0] if step[0] == 'ci' else ' '.join(step)} (once, about a minute)")
        done = subprocess.run([npm, *step], cwd=frontend, check=False)  # noqa: S603 - npm, our own scripts
        if done.returncode != 0:
            say(f"npm {' '.join(step)} failed (exit {done.returncode}): serving a plain page at /")
            return False
    return True


def openapi_document() -> dict[str, object]:
    """The API's OpenAPI document, from the app itself (nothing is started or connected)."""
    from api.app import create_app  # noqa: PLC0415 - only this command needs the whole app
    from core.settings import Settings  # noqa: PLC0415

    settings = Settings(database_url="postgresql+asyncpg://schema@localhost/schema", redis_url="redis://localhost")
    return create_app(settings).openapi_schema.to_schema()


def main(argv: list[str]) -> int:
    """`python -m tjenesteshop.frontend schema FILE`: write the OpenAPI document the client is generated from."""
    if len(argv) != 2 or argv[0] != "schema":  # noqa: PLR2004 - the command and its file
        sys.stderr.write("usage: python -m tjenesteshop.frontend schema FILE\n")
        return 2
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
