"""The OpenAPI tells the truth about errors: every operation lists the problems it can answer, decided in one place.

Litestar documents a 400 `application/json` for any operation with parameters and nothing else. The API really
answers RFC 9457 problem details (`application/problem+json`, response components `Problem<status>`) with the
statuses below, and 429 and 503 carry `Retry-After`. `ProblemResponses` looks at each route handler as it is
registered (its body, parameters, dependencies and middleware) and gives it an `Operation` class that adds those
responses, so a new route is documented without anyone writing it down.
"""

from __future__ import annotations

import inspect
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from api.auth import SIGNED_IN
from api.problems import PROBLEM_MEDIA_TYPE, TYPE_PREFIX
from api.ratelimit import Admission, RateLimit

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details. Show your own text keyed by `type`; `title` is for tools and logs.",
    required=["type", "title", "status"],
    properties={
        "type": Schema(
            type=OpenAPIType.STRING,
            description=f"Stable problem type, `{TYPE_PREFIX}<code>` (e.g. `{TYPE_PREFIX}slot_full`)",
            examples=[f"{TYPE_PREFIX}validation_failed"],
        ),
        "title": Schema(
            type=OpenAPIType.STRING,
            description="In the request's language: bokmål, or nynorsk or English after Accept-Language",
        ),
        "status": Schema(type=OpenAPIType.INTEGER, description="The HTTP status, repeated"),
        "instance": Schema(type=OpenAPIType.STRING, description="The request's path"),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="For 422 validation problems: which fields, and why",
            items=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "field": Schema(type=OpenAPIType.STRING),
                    "source": Schema(type=OpenAPIType.STRING, description="body, query, path or header"),
                    "message": Schema(type=OpenAPIType.STRING),
                },
            ),
        ),
    },
    # A refusal's typed fields (e.g. `booking_ids`) are RFC 9457 extension members.
    additional_properties=True,
)
RETRY_AFTER = OpenAPIHeader(
    description="Seconds to wait before trying again",
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
)

DESCRIPTIONS = {
    400: "The body could not be read: not UTF-8, not JSON, or nested too deep (`malformed_body`)",
    401: "Not signed in (`unauthorized`)",
    403: "Signed in, but not allowed (`forbidden`, `csrf_failed`)",
    404: "Not found, or not yours to see (`not_found`)",
    410: "No longer there: the service has been retired (`gone`)",
    409: "Refused: it conflicts with what is already there (`slot_full`, `conflict`, ...)",
    413: "The body is larger than the API takes (`request_too_large`)",
    415: "The body is not `application/json` (`unsupported_media_type`)",
    422: "A value is not valid (`validation_failed`, `time_zone_required`, `text_contains_nul`, `date_out_of_range`)",
    429: "Too many requests: wait Retry-After seconds (`too_many_requests`)",
    500: "A fault on our side (`internal_error`)",
    503: "Overloaded or a server out of reach: wait Retry-After seconds (`busy`, `overloaded`, `service_unavailable`)",
}
RETRYABLE = frozenset({429, 503})
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _component_response(status: int) -> OpenAPIResponse:
    # The schema is inline: Litestar replaces `components.schemas` with the schemas it generates, but keeps
    # `components.responses` and `components.headers` as configured.
    return OpenAPIResponse(
        description=DESCRIPTIONS[status],
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=PROBLEM_SCHEMA)},
        headers={"Retry-After": Reference("#/components/headers/Retry-After")} if status in RETRYABLE else None,
    )


def problem_response_name(status: int) -> str:
    """The name of the response component documenting `status` (`Problem503`)."""
    return f"Problem{status}"


FHIR_PREFIX = "/fhir/"
OUTCOME_MEDIA_TYPE = "application/fhir+json"
OUTCOME_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="A FHIR R4 OperationOutcome carrying the same problem as /api/v1 would answer: `issue[0].details."
    "coding[0]` is the problem (system `urn:tjenesteshop:problem`, code e.g. `slot_full`), `coding[1]` its type URI "
    "(system `urn:ietf:rfc:3986`), `details.text` its title "
    "in the request's language, `diagnostics` the problem type URI and the refusal's fields as JSON.",
    required=["resourceType", "issue"],
    properties={
        "resourceType": Schema(type=OpenAPIType.STRING, const="OperationOutcome"),
        "issue": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT, additional_properties=True)),
    },
)


def _outcome_response(status: int) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=DESCRIPTIONS[status],
        content={OUTCOME_MEDIA_TYPE: OpenAPIMediaType(schema=OUTCOME_SCHEMA)},
        headers={"Retry-After": Reference("#/components/headers/Retry-After")} if status in RETRYABLE else None,
    )


COMPONENTS = Components(
    responses={
        **{problem_response_name(status): _component_response(status) for status in DESCRIPTIONS},
        **{f"Outcome{status}": _outcome_response(status) for status in DESCRIPTIONS},
    },
    headers={"Retry-After": RETRY_AFTER},
)


def problem_response(status: int) -> Reference:
    """The documented answer for `status`: a problem, with Retry-After where the client should retry."""
    return Reference(f"#/components/responses/{problem_response_name(status)}")


@dataclass
class ProblemOperation(Operation):
    """An operation that lists the problem responses of its handler (set per handler by `ProblemResponses`)."""

    problem_statuses: ClassVar[tuple[int, ...]] = ()

    def __post_init__(self) -> None:
        """Add a problem response for each status; Litestar's own error responses (a 400 as JSON) become problems."""
        responses = dict(self.responses or {})
        statuses = {*self.problem_statuses, *(int(code) for code in responses if int(code) in DESCRIPTIONS)}
        responses.update({str(status): problem_response(status) for status in sorted(statuses)})
        self.responses = responses


@dataclass
class OutcomeOperation(ProblemOperation):
    """An operation of the FHIR interface: the same error statuses, answered as OperationOutcomes."""

    def __post_init__(self) -> None:
        """As `ProblemOperation`, with each problem response an OperationOutcome one."""
        super().__post_init__()
        for status, response in list((self.responses or {}).items()):
            if isinstance(response, Reference) and response.ref == problem_response(int(status)).ref:
                self.responses[status] = Reference(f"#/components/responses/Outcome{status}")  # type: ignore[index]


def _needed_dependencies(handler: HTTPRouteHandler) -> set[str]:
    """The names of the dependencies the handler uses, directly or through other dependencies."""
    provided = handler.resolve_dependencies()
    needed: set[str] = set()
    pending = [name for name in handler.parsed_fn_signature.parameters if name in provided]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        parameters = inspect.signature(provided[name].dependency).parameters
        pending.extend(p for p in parameters if p in provided)
    return needed


def problem_statuses(handler: HTTPRouteHandler, route: HTTPRoute) -> tuple[int, ...]:
    """The problem statuses `handler` can answer."""
    statuses = {500, 503}  # every operation: a fault, or overload (a pool, lock or Redis timeout)
    parameters = handler.parsed_fn_signature.parameters
    dependencies = _needed_dependencies(handler)
    inputs = {
        name: field
        for name, field in parameters.items()
        if name not in dependencies and name not in {"self", "request", "state", "scope", "headers", "cookies"}
    }
    if "data" in inputs:
        statuses |= {400, 413, 415, 422}
    if inputs:
        statuses |= {400, 422}
    if "current" in dependencies or handler.opt.get(SIGNED_IN) or handler.resolve_guards():
        statuses |= {401, 403}
    if route.path_parameters or any(_names_an_object(field.annotation) for field in inputs.values()):
        statuses.add(404)
    if handler.http_methods & _UNSAFE:
        statuses |= {409, 422}
    if any(isinstance(m, RateLimit | Admission) for m in handler.resolve_middleware()):
        statuses.add(429)
    return tuple(sorted(statuses))


def _names_an_object(annotation: Any) -> bool:  # noqa: ANN401 - any annotation
    """Whether a parameter or body holds an id (a UUID), anywhere inside: an unknown one is a 404."""
    try:
        info = msgspec.inspect.type_info(annotation)
    except (TypeError, ValueError):  # not a type msgspec reads (e.g. a forward reference): look at its arguments
        args = getattr(annotation, "__args__", None) or ()
        return annotation is uuid.UUID or any(_names_an_object(arg) for arg in args)
    return _holds_uuid(info, set())


def _holds_uuid(info: msgspec.inspect.Type, seen: set[int]) -> bool:
    if isinstance(info, msgspec.inspect.UUIDType):
        return True
    if id(info) in seen:
        return False
    seen.add(id(info))
    if isinstance(info, msgspec.inspect.StructType | msgspec.inspect.DataclassType | msgspec.inspect.TypedDictType):
        return any(_holds_uuid(field.type, seen) for field in info.fields)
    inner = [getattr(info, name) for name in ("item_type", "key_type", "value_type", "type") if hasattr(info, name)]
    inner += list(getattr(info, "types", ()) or getattr(info, "item_types", ()) or ())
    return any(isinstance(item, msgspec.inspect.Type) and _holds_uuid(item, seen) for item in inner)


class ProblemResponses(ReceiveRoutePlugin):
    """Gives each route handler in the schema an operation class that documents its problem responses."""

    def receive_route(self, route: BaseRoute) -> None:
        """Called by Litestar for every route registered, at start-up and later."""
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            if handler.resolve_include_in_schema() and not issubclass(handler.operation_class, ProblemOperation):
                statuses = problem_statuses(handler, route)
                base = ProblemOperation
                if route.path.startswith(FHIR_PREFIX):  # any id in a FHIR body may be unknown; a Schedule retired
                    base = OutcomeOperation
                    statuses = tuple(sorted({*statuses, 404, *((410,) if "/Schedule/" in route.path else ())}))
                handler.operation_class = type(base.__name__, (base,), {"problem_statuses": statuses})
