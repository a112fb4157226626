"""Request metrics by route; `/metrics` in Prometheus' text format, for the configured addresses or the token only.

Anyone else gets a 404.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import Counter, Gauge, Histogram

from core.settings import Settings

APP_NAME = "tjenesteshop"
_ROUTE = ("method", "path", "app_name")
_ANSWER = (*_ROUTE, "status_code")
# Per route template, not per URL (ids would explode the series); the names and labels Litestar's Prometheus
# middleware gave them, which this replaced (`RouteMetrics`).
REQUESTS = Counter("tjenesteshop_requests_total", "Total requests", _ANSWER)
ERRORS = Counter("tjenesteshop_requests_error_total", "Total errors in requests", _ANSWER)
DURATION = Histogram("tjenesteshop_request_duration_seconds", "Request duration, in seconds", _ANSWER)
IN_PROGRESS = Gauge("tjenesteshop_requests_in_progress", "Total requests currently in progress", _ROUTE,
                    multiprocess_mode="livesum")  # fmt: skip
UNCOUNTED = frozenset({"/metrics"})
SERVER_ERROR = 500


@dataclass(frozen=True, slots=True)
class _Answered:
    """One route's and status's series: counted, timed, and counted again as an error for a 5xx."""

    requests: Any
    duration: Any
    errors: Any | None


class RouteMetrics:
    """The request metrics of each route, with each series' child looked up once a process.

    Litestar's `PrometheusMiddleware`, which this replaced, validated and looked up four label sets on every request
    (issue 18); the children are kept here by route and status instead.
    """

    def __init__(self) -> None:
        """No series looked up yet."""
        self._running: dict[tuple[str, str], Any] = {}
        self._answered: dict[tuple[str, str, int], _Answered] = {}

    def running(self, method: str, path: str) -> Any:  # noqa: ANN401 - prometheus_client's child gauge, untyped
        """The in-progress gauge of a route."""
        gauge = self._running.get((method, path))
        if gauge is None:
            gauge = self._running[method, path] = IN_PROGRESS.labels(method, path, APP_NAME)
        return gauge

    def answered(self, method: str, path: str, status: int, seconds: float) -> None:
        """Count and time an answer of `status` after `seconds`."""
        series = self._answered.get((method, path, status))
        if series is None:
            labels = (method, path, APP_NAME, str(status))
            errors = ERRORS.labels(*labels) if status >= SERVER_ERROR else None
            series = self._answered[method, path, status] = _Answered(
                REQUESTS.labels(*labels), DURATION.labels(*labels), errors
            )
        series.requests.inc()
        series.duration.observe(seconds)
        if series.errors is not None:
            series.errors.inc()


ROUTE_METRICS = RouteMetrics()


def metrics_reader(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: the scraper's address is in `metrics_allow`, or it sends `Authorization: Bearer <metrics_token>`.

    Anyone else gets the 404 an unknown path gets: the route's existence says nothing either.
    """
    settings: Settings = connection.app.state.settings
    token = settings.metrics_token
    scheme, _space, sent = connection.headers.get("authorization", "").partition(" ")
    if token is not None and scheme.lower() == "bearer" and sent.strip():
        if hmac.compare_digest(sent.strip().encode(), token.get_secret_value().encode()):
            return
        raise NotFoundException
    if not settings.metrics_allowed(connection.client.host if connection.client else None):
        raise NotFoundException


class MetricsController(PrometheusController):
    """`/metrics`, for the monitoring system only (see `metrics_reader`)."""

    include_in_schema = False
    guards = [metrics_reader]  # noqa: RUF012 - Litestar's declared attribute type
