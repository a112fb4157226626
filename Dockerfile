# syntax=docker/dockerfile:1
# Production image: the API, the worker and the migration job all run from it (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never

RUN pip install uv \
    && groupadd --system app \
    && useradd --system --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project

# Then the source, and the project itself.
COPY api ./api
COPY booking ./booking
COPY casesystem ./casesystem
COPY core ./core
COPY departments ./departments
COPY fhir_r4 ./fhir_r4
COPY insight ./insight
COPY notifications ./notifications
COPY people ./people
COPY privacy ./privacy
COPY webhooks ./webhooks
COPY tjenesteshop ./tjenesteshop
COPY waitlist ./waitlist
COPY migrations ./migrations
RUN uv sync --locked --no-dev \
    && python -m compileall -q api booking casesystem core departments fhir_r4 insight notifications people privacy \
       tjenesteshop waitlist webhooks migrations

# The code stays root-owned and read-only for the app user. Only the data directory is writable;
# it is used only if DATABASE_URL/REDIS_URL are unset and the CLI starts embedded servers.
ENV PATH=/app/.venv/bin:$PATH \
    TJENESTESHOP_DATA_DIR=/home/app/data
RUN install -d -o app -g app /home/app/data

USER app

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status == 200 else 1)"]

CMD ["tjenesteshop", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker", "--no-migrate"]
