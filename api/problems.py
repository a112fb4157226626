"""Every error as RFC 9457 problem details, with a stable `type` and a title in the request's language."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    ValidationException,
)
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from sqlalchemy.exc import DBAPIError

from api.i18n import negotiate
from api.problem_texts import PROBLEMS
from core.errors import DomainError

if TYPE_CHECKING:
    from litestar import Request

log = logging.getLogger(__name__)

TYPE_PREFIX = "urn:tjenesteshop:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"


_STATUS_CODES = {text.status: code for code, text in reversed(PROBLEMS.items())}


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
            body.update(self.extra)
        headers = {**(self.headers or {}), "Content-Language": language}
        return Response(body, status_code=self.status_code, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


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


def from_http_exception(exc: HTTPException) -> Problem:
    """Map Litestar's own exceptions (routing, parsing, validation, limits) to problems."""
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc)
        if errors:
            return Problem("validation_failed", extra={"errors": errors})
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
    return Problem(exc.code, status_code=status, extra=dict(exc.fields))


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


def _sqlstate(exc: DBAPIError) -> str | None:
    cause = getattr(exc.orig, "__cause__", None) or exc.orig
    return getattr(cause, "sqlstate", None)


def constraint_of(exc: DBAPIError) -> str | None:
    """The name of the constraint a database error reports, if any."""
    cause = getattr(exc.orig, "__cause__", None) or exc.orig
    return getattr(cause, "constraint_name", None)


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    """Constraint violations are refusals (409), lock waits are "busy, try again" (503); the rest are bugs."""
    constraint = constraint_of(exc)
    if constraint in _CONSTRAINT_PROBLEMS:
        return Problem(_CONSTRAINT_PROBLEMS[constraint]).to_response(request)
    if _sqlstate(exc) in _BUSY_STATES:
        return Problem("busy", headers={"Retry-After": "1"}).to_response(request)
    return internal_error_handler(request, exc)
