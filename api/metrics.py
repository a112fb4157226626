"""`/metrics` in Prometheus' text format, for the configured addresses or the bearer token only; else a 404."""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from core.settings import Settings

# Request counts and latencies per route template (not per URL: ids would explode the series).
METRICS = PrometheusConfig(app_name="tjenesteshop", prefix="tjenesteshop", group_path=True, exclude=["/metrics"])


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
