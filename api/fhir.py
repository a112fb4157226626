"""The FHIR interface's answers: resources as `application/fhir+json`, and every error as an OperationOutcome.

An error under /fhir/R4 is first worked out exactly as anywhere else in the API (the same problem code, status,
title in the request's language and headers, from `api.problems`), then written as an OperationOutcome: the
problem code as a coding in `urn:tjenesteshop:problem`, the problem type URI as a second (`urn:ietf:rfc:3986`), the
title as the text, and the type URI and its extension members (the refusal's fields) in `diagnostics`.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError

from api.problems import (
    OVERLOAD_ERRORS,
    STANDARD_MEMBERS,
    TYPE_PREFIX,
    Problem,
    database_error_handler,
    date_overflow_handler,
    from_domain_error,
    from_http_exception,
    internal_error_handler,
    overload_handler,
)
from core.errors import DomainError
from fhir_r4.codes import MEDIA_TYPE
from fhir_r4.resources import Resource, operation_outcome


def fhir_response(
    resource: Resource, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response[Resource]:
    """A resource as `application/fhir+json`."""
    return Response(resource, status_code=status_code, headers=headers or {}, media_type=MEDIA_TYPE)


def _problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:  # noqa: PLR0911 - a table
    """The problem response the rest of the API would answer."""
    if isinstance(exc, Problem):
        return exc.to_response(request)
    if isinstance(exc, DomainError):
        return from_domain_error(exc).to_response(request)
    if isinstance(exc, HTTPException):
        return from_http_exception(exc).to_response(request)
    if isinstance(exc, DBAPIError):
        return database_error_handler(request, exc)
    if isinstance(exc, OverflowError):
        return date_overflow_handler(request, exc)
    if isinstance(exc, OVERLOAD_ERRORS):
        return overload_handler(request, exc)
    return internal_error_handler(request, exc)


def outcome_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Resource]:
    """Any error under /fhir/R4, as an OperationOutcome with the problem's status and headers."""
    problem = _problem_response(request, exc)
    body: dict[str, Any] = problem.content if isinstance(problem.content, dict) else {}
    problem_type = str(body.get("type", TYPE_PREFIX + "internal_error"))
    code = problem_type.removeprefix(TYPE_PREFIX)
    members = {name: value for name, value in body.items() if name not in STANDARD_MEMBERS}
    diagnostics = problem_type + (f" {json.dumps(members, ensure_ascii=False, default=str)}" if members else "")
    status = problem.status_code or 500
    resource = operation_outcome(code, status, str(body.get("title", "")), diagnostics)
    return fhir_response(resource, status_code=status, headers=dict(problem.headers))


# Every class the app maps to a handler, mapped here to the OperationOutcome one: Litestar picks a handler by
# the exception's class hierarchy before it looks at layers, so each must be named again at this layer.
FHIR_EXCEPTION_HANDLERS: ExceptionHandlersMap = dict.fromkeys(
    (Exception, HTTPException, ProblemDetailsException, DomainError, DBAPIError, OverflowError, *OVERLOAD_ERRORS),
    outcome_handler,
)
