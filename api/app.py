"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from asyncpg import PostgresError
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from redis.asyncio import Redis
from sqlalchemy.exc import DBAPIError

from api.auth import provide_current, provide_origin, provide_principal, provide_today
from api.controllers.admin import AuditController, TokenController
from api.controllers.allocations import AllocationController
from api.controllers.auth import AuthController
from api.controllers.availability import AvailabilityController
from api.controllers.benefits import BenefitController
from api.controllers.bookings import BookingController
from api.controllers.capacity import CapacityController
from api.controllers.demo import DemoSignInController
from api.controllers.departments import DepartmentController
from api.controllers.feeds import FeedController
from api.controllers.fhir import FhirController
from api.controllers.follow_up import FollowUpController
from api.controllers.health import HealthController
from api.controllers.home import home
from api.controllers.imports import ImportController
from api.controllers.insight_people import InsightPeopleController
from api.controllers.insight_reports import InsightReportController
from api.controllers.me import MeController
from api.controllers.notifications import DeadLetterController, MyRemindersController
from api.controllers.people import CoordinatorController, PersonController, ProxyLinkController
from api.controllers.privacy import MyDataController, RetentionController
from api.controllers.roster import RosterController
from api.controllers.series import SeriesController
from api.controllers.sms import SmsReceiptController
from api.controllers.waitlist import WaitlistController
from api.controllers.webhooks import WebhookController
from api.decoding import ApiRequest
from api.docs import LocalSwaggerPlugin
from api.driver import DRIVER, DriverConnections
from api.i18n import request_language
from api.metrics import MetricsController
from api.middleware import Edge, response_headers
from api.openapi import COMPONENTS, ProblemResponses
from api.problems import (
    OVERLOAD_ERRORS,
    database_error_handler,
    date_overflow_handler,
    internal_error_handler,
    overload_handler,
    problem_details_plugin,
)
from api.roundtrip import ROUND_TRIPS, round_trip_pool
from api.transactions import PLUGIN_SESSION, committing_session
from core.db import connect_args, create_engine_pinging_idle
from core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

API_TITLE = "Tjenesteshop"
API_VERSION = "1.0.0"
# The largest body any route takes is a week of opening hours or a service's texts: a few kilobytes. Above this,
# 413 before the body is read (Litestar checks Content-Length first, then counts what arrives).
REQUEST_MAX_BODY_SIZE = 256 * 1024


def _lifespan(
    redis_url: str, db_config: SQLAlchemyAsyncConfig
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        app.state.redis = redis
        app.state[ROUND_TRIPS] = round_trips = round_trip_pool(redis_url)
        connections: DriverConnections = app.state[DRIVER]
        await connections.open()
        try:
            yield
        finally:
            await connections.close()
            await round_trips.disconnect()
            await redis.aclose()
            # advanced-alchemy skips disposing when it renamed its state key (a second app in one
            # process, as in tests); disposing twice is harmless.
            await db_config.get_engine().dispose()

    return lifespan


def create_app(
    settings: Settings | None = None,
    *,
    session_maker: Callable[[], AsyncSession] | None = None,
) -> Litestar:
    """Build the app. The engine and Redis client are created in the lifespan, in the serving loop.

    Args:
        settings: Process settings; both URLs must be set (the CLI fills them when it embeds servers).
        session_maker: Tests pass one bound to a connection they roll back.

    """
    settings = settings or Settings()
    settings.check_demo(demo=settings.demo)  # `model_copy` skips validation: the demo is refused here too
    if settings.database_url is None or settings.redis_url is None:
        msg = "create_app needs DATABASE_URL and REDIS_URL (the CLI starts embedded servers when they are unset)"
        raise RuntimeError(msg)
    db_config = SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        engine_config=EngineConfig(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,  # type: ignore[arg-type]  # SQLAlchemy takes a float; AA says int
            # Not `pool_pre_ping` (three round trips a request): a connection idle a while is pinged instead.
            connect_args=connect_args(settings, "tjenesteshop-api"),
        ),
        create_engine_callable=create_engine_pinging_idle,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_maker=session_maker,
        # Handlers get `db_session` from `committing_session`, which commits before the answer is sent; the
        # plugin's own handler only closes the session (not "autocommit": see api/transactions.py).
        session_dependency_key=PLUGIN_SESSION,
        set_default_exception_handler=False,
    )
    return Litestar(
        route_handlers=[
            home,
            HealthController,
            MetricsController,
            DepartmentController,
            CapacityController,
            BookingController,
            WaitlistController,
            SeriesController,
            AllocationController,
            ImportController,
            AvailabilityController,
            RosterController,
            FollowUpController,
            InsightPeopleController,
            InsightReportController,
            BenefitController,
            MeController,
            MyDataController,
            RetentionController,
            FeedController,
            MyRemindersController,
            DeadLetterController,
            WebhookController,
            SmsReceiptController,
            PersonController,
            ProxyLinkController,
            CoordinatorController,
            TokenController,
            AuditController,
            AuthController,
            FhirController,
            *([DemoSignInController] if settings.demo else []),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config), problem_details_plugin(), ProblemResponses()],
        lifespan=[_lifespan(settings.redis_url, db_config)],
        middleware=[Edge()],
        before_send=[response_headers(settings)],
        request_class=ApiRequest,
        request_max_body_size=REQUEST_MAX_BODY_SIZE,
        exception_handlers={
            Exception: internal_error_handler,
            DBAPIError: database_error_handler,
            PostgresError: database_error_handler,
            OverflowError: date_overflow_handler,
            **dict.fromkeys(OVERLOAD_ERRORS, overload_handler),
        },
        openapi_config=OpenAPIConfig(
            title=API_TITLE,
            version=API_VERSION,
            description="Bestill timene vedtaket ditt gir deg. Booking of municipal service hours.",
            path="/schema",
            # Swagger UI from a pinned Python package, served here: no script from a CDN.
            render_plugins=[LocalSwaggerPlugin()],
            components=COMPONENTS,
        ),
        state=State(
            {
                "settings": settings,
                DRIVER: DriverConnections(settings, session_maker=session_maker),
            }
        ),
        dependencies={
            "db_session": Provide(committing_session),
            "user_language": Provide(request_language, sync_to_thread=False),
            "principal": Provide(provide_principal),
            "current": Provide(provide_current),
            "origin": Provide(provide_origin, sync_to_thread=False),
            "today": Provide(provide_today, sync_to_thread=False),
        },
        debug=False,
    )
