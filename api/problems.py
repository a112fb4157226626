"""Every error as RFC 9457 problem details, with a stable `type` and a title in the request's language."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, TypeAlias

from asyncpg import PostgresError
from asyncpg.exceptions import ConnectionDoesNotExistError
from litestar import Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    ValidationException,
)
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_409_CONFLICT,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from api.i18n import negotiate
from api.problem_texts import PROBLEMS
from core.errors import DomainError

if TYPE_CHECKING:
    from litestar import Request

log = logging.getLogger(__name__)

TYPE_PREFIX = "urn:tjenesteshop:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"


_STATUS_CODES = {text.status: code for code, text in reversed(PROBLEMS.items())}
# RFC 9457's own members: an extension member never replaces one (a refusal's `status` field once did).
STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


class Problem(ProblemDetailsException):
    """A problem with a stable `code`; its title is chosen when the request's language is known."""

    def __init__(
        self,
        code: str,
        *,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Build the problem `code`; `extra` members are added to the body (RFC 9457 extension members)."""
        status = status_code or PROBLEMS.get(code, PROBLEMS["bad_request"]).status
        super().__init__(status_code=status, extra=extra or {}, headers=headers, type_=TYPE_PREFIX + code)
        self.code = code

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Render in the request's language. No `detail`: internal messages never reach the client."""
        language = negotiate(request.headers.get("accept-language"))
        text = PROBLEMS.get(self.code) or PROBLEMS[_STATUS_CODES.get(self.status_code, "bad_request")]
        body: dict[str, Any] = {
            "type": self.type_,
            "title": getattr(text, language),
            "status": self.status_code,
            "instance": request.url.path,
        }
        if isinstance(self.extra, dict):
            # Extension members never replace the standard ones (a refusal's `status: "cancelled"` once did).
            body.update({name: value for name, value in self.extra.items() if name not in STANDARD_MEMBERS})
        headers = {**(self.headers or {}), "Content-Language": language}
        return Response(body, status_code=self.status_code, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


_NAIVE_DATETIME = "with a timezone component"  # msgspec's words for a datetime without an offset (Meta(tz=True))
_MISSING_BOKMAL = "missing required field `nb`"  # msgspec's words for a service text without bokmål
_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")


def _field_errors(exc: ValidationException) -> list[dict[str, Any]]:
    """Litestar's validation details as `[{field, source, message}]`, without internal values."""
    extra = exc.extra
    if not isinstance(extra, list):
        missing = _MISSING_PARAMETER.search(exc.detail)
        if missing:
            return [{"field": missing.group(2), "source": missing.group(1), "message": "required"}]
        return []
    return [
        {"field": item["key"], "source": item.get("source", "body"), "message": item.get("message")}
        for item in extra
        if isinstance(item, dict) and item.get("key")
    ]


def _service_texts_missing(errors: list[dict[str, Any]]) -> list[str]:
    """`name.nb`, `description.nb` when a service's name or description came without bokmål, else nothing.

    The decoder refuses it before the catalogue's own check (which refuses a blank one) can: both are the same
    problem to the administrator, `service_text_required`.
    """
    found = []
    for error in errors:
        if error.get("field") not in {"name", "description"} or _MISSING_BOKMAL not in str(error.get("message")):
            return []
        found.append(f"{error['field']}.nb")
    return found


def from_http_exception(exc: HTTPException) -> Problem:
    """Map Litestar's own exceptions (routing, parsing, validation, limits) to problems."""
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc)
        if errors:
            texts = _service_texts_missing(errors)
            if texts:
                return Problem("service_text_required", extra={"fields": texts})
            naive = any(_NAIVE_DATETIME in str(error.get("message")) for error in errors)
            return Problem("time_zone_required" if naive else "validation_failed", extra={"errors": errors})
        return Problem("malformed_body")
    if type(exc) is ClientException and exc.status_code == HTTP_400_BAD_REQUEST:
        # Litestar's plain 400: a body or form it could not decode (truncated or broken JSON, bad multipart).
        return Problem("malformed_body")
    if exc.status_code == HTTP_429_TOO_MANY_REQUESTS:
        return _too_many(exc)
    code = _STATUS_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")  # noqa: PLR2004
    return Problem(code, status_code=exc.status_code, headers=exc.headers)


def _too_many(exc: HTTPException) -> Problem:
    """Litestar's rate limiter sets RateLimit-* headers; clients and proxies also expect Retry-After."""
    headers = dict(exc.headers or {})
    headers.setdefault("Retry-After", str(max(1, int(headers.get("RateLimit-Reset", "60")))))
    return Problem("too_many_requests", headers=headers)


def from_domain_error(exc: DomainError) -> Problem:
    """A rule's refusal; its typed fields become extension members. Unlisted codes are conflicts."""
    status = PROBLEMS[exc.code].status if exc.code in PROBLEMS else HTTP_409_CONFLICT
    headers = {"Retry-After": RETRY_AFTER_BUSY} if status == HTTP_503_SERVICE_UNAVAILABLE else None
    if status == HTTP_401_UNAUTHORIZED:  # a session whose person is gone (`people.errors.SignedOutError`)
        headers = {"WWW-Authenticate": 'Bearer realm="tjenesteshop"'}
    return Problem(exc.code, status_code=status, extra=dict(exc.fields), headers=headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A bug: log it with the request id, show the client nothing of it."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Problem("internal_error", status_code=HTTP_500_INTERNAL_SERVER_ERROR).to_response(request)


def problem_details_plugin() -> ProblemDetailsPlugin:
    """Litestar's problem-details plugin with this product's mapping."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                HTTPException: from_http_exception,
                DomainError: from_domain_error,
            },
        )
    )


# PostgreSQL's last guards, as problems: the constraint that fired says why.
_CONSTRAINT_PROBLEMS = {
    "no_overlap_per_recipient": "overlaps_own_booking",
    "no_overlap_per_staff": "staff_double_booked",
    "ck_capacity_cell_used_within_capacity": "slot_full",
    "ck_allocation_period_used_within_granted": "allocation_used_up",
}
_BUSY_STATES = {"55P03", "40P01", "40001"}  # lock timeout, deadlock, serialization failure: try again
# PostgreSQL is overloaded: a statement timeout (57014), too many connections and other resource limits (class 53).
_OVERLOADED_STATE_PREFIXES = ("57014", "53")
# PostgreSQL is out of reach: shutting down (57P01-57P03), a lost or refused connection (class 08).
_UNREACHABLE_STATE_PREFIXES = ("57P0", "08")
_INPUT_STATES = {"22021": "text_contains_nul", "22008": "date_out_of_range"}  # last guards behind api.decoding
RETRY_AFTER_BUSY = "1"
RETRY_AFTER_UNAVAILABLE = "5"


DatabaseError: TypeAlias = DBAPIError | PostgresError
"""A database error as SQLAlchemy wraps it (the ORM's routes), or as the driver raises it (`api.driver`'s)."""


def _driver_error(exc: DatabaseError) -> BaseException | None:
    """The driver's own error: under SQLAlchemy's wrapping, or the error itself."""
    if isinstance(exc, DBAPIError):
        cause: BaseException | None = getattr(exc.orig, "__cause__", None) or exc.orig
        return cause
    driver: BaseException = exc
    return driver


def _sqlstate(exc: DatabaseError) -> str | None:
    return getattr(_driver_error(exc), "sqlstate", None)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is among the causes of `exc` (SQLAlchemy wraps asyncpg's error, which wraps the cause)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__ or getattr(current, "orig", None)
    return False


def constraint_of(exc: DatabaseError) -> str | None:
    """The name of the constraint a database error reports, if any."""
    return getattr(_driver_error(exc), "constraint_name", None)


def database_error_handler(request: Request[Any, Any, Any], exc: DatabaseError) -> Response[dict[str, Any]]:
    """Constraint violations are refusals (409), bad values 422, lock waits and overload 503; the rest are bugs."""
    found = _database_problem(exc)
    if found is None:
        return internal_error_handler(request, exc)
    code, retry_after = found
    if retry_after is None:
        return Problem(code).to_response(request)
    log.warning("503 %s on %s %s: %r", code, request.method, request.url.path, exc)
    return Problem(code, headers={"Retry-After": retry_after}).to_response(request)


def _database_problem(exc: DatabaseError) -> tuple[str, str | None] | None:  # noqa: PLR0911 - a decision table
    """The problem code a database error stands for, and its Retry-After (for a 503); None for a bug."""
    constraint = constraint_of(exc)
    if constraint in _CONSTRAINT_PROBLEMS:
        return _CONSTRAINT_PROBLEMS[constraint], None
    if _caused_by(exc, OverflowError):  # asyncpg could not encode a date past year 1 or 9999 in UTC
        return "date_out_of_range", None
    state = _sqlstate(exc) or ""
    if state in _INPUT_STATES:
        return _INPUT_STATES[state], None
    if state in _BUSY_STATES:
        return "busy", RETRY_AFTER_BUSY
    if state.startswith(_OVERLOADED_STATE_PREFIXES):
        return "overloaded", RETRY_AFTER_BUSY
    if state.startswith(_UNREACHABLE_STATE_PREFIXES) or getattr(exc, "connection_invalidated", False):
        return "service_unavailable", RETRY_AFTER_UNAVAILABLE
    return None


def overload_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Overload and unreachable servers are 503 with Retry-After (DESIGN.md), never a 500 and never a wait.

    A connection-pool timeout (SQLAlchemy's `TimeoutError`), a statement timeout, a Redis timeout or a refused
    connection: the request did nothing it could keep (its transaction is rolled back), so the client retries.
    Rate limits count in Redis and so fail closed: without Redis nothing is admitted.
    """
    if isinstance(exc, SATimeoutError):
        return _unavailable(request, exc, "overloaded", RETRY_AFTER_BUSY)
    return _unavailable(request, exc, "service_unavailable", RETRY_AFTER_UNAVAILABLE)


def _unavailable(
    request: Request[Any, Any, Any], exc: Exception, code: str, retry_after: str
) -> Response[dict[str, Any]]:
    log.warning("503 %s on %s %s: %r", code, request.method, request.url.path, exc)
    return Problem(code, headers={"Retry-After": retry_after}).to_response(request)


def date_overflow_handler(request: Request[Any, Any, Any], exc: OverflowError) -> Response[dict[str, Any]]:
    """Date arithmetic past year 1 or 9999 (a client's date at the edge of the range): 422, nothing written."""
    log.info("date out of range on %s %s: %s", request.method, request.url.path, exc)
    return Problem("date_out_of_range").to_response(request)


# Exception classes and their handlers, for `Litestar(exception_handlers=...)`; the most specific class wins.
OVERLOAD_ERRORS: tuple[type[Exception], ...] = (
    SATimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,  # the built-in: a refused or reset connection to PostgreSQL or Redis
    ConnectionDoesNotExistError,  # asyncpg: the connection closed in the middle of a statement
    TimeoutError,  # the built-in: asyncio and asyncpg timeouts
)
