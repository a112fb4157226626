from __future__ import annotations

from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)

from api.problem_texts import PROBLEMS
from api.problems import TYPE_PREFIX, from_domain_error, from_http_exception
from core.errors import ConflictError, NotFoundError


def test_every_problem_has_three_titles() -> None:
    for code, (status, nb, nn, en) in PROBLEMS.items():
        assert 400 <= status < 600, code
        assert all((nb, nn, en)), code


def test_validation_with_fields_is_422_listing_them() -> None:
    exc = ValidationException(extra=[{"message": "Expected `int`", "key": "port", "source": "body"}])
    problem = from_http_exception(exc)
    assert problem.status_code == 422
    assert problem.type_ == TYPE_PREFIX + "validation_failed"
    assert problem.extra == {"errors": [{"field": "port", "source": "body", "message": "Expected `int`"}]}


def test_validation_without_fields_is_a_malformed_body() -> None:
    problem = from_http_exception(ValidationException("Error decoding JSON"))
    assert problem.status_code == 400
    assert problem.type_ == TYPE_PREFIX + "malformed_body"


def test_routing_errors() -> None:
    assert from_http_exception(NotFoundException()).status_code == 404
    not_allowed = from_http_exception(MethodNotAllowedException(headers={"Allow": "GET"}))
    assert not_allowed.status_code == 405
    assert not_allowed.headers == {"Allow": "GET"}


def test_other_statuses_keep_their_status() -> None:
    assert from_http_exception(HTTPException(status_code=429)).type_ == TYPE_PREFIX + "too_many_requests"
    assert from_http_exception(HTTPException(status_code=418)).status_code == 418


def test_domain_errors_carry_their_fields() -> None:
    problem = from_domain_error(ConflictError(booking_ids=[1, 2]))
    assert problem.status_code == 409
    assert problem.extra == {"booking_ids": [1, 2]}
    assert from_domain_error(NotFoundError()).status_code == 404


def test_undecodable_body_is_a_malformed_body() -> None:
    problem = from_http_exception(ClientException("Input data was truncated"))
    assert problem.type_ == TYPE_PREFIX + "malformed_body"
    assert problem.status_code == 400


def test_missing_parameter_is_422_naming_it() -> None:
    problem = from_http_exception(ValidationException("Missing required query parameter 'municipality' for path /x"))
    assert problem.status_code == 422
    assert problem.extra == {"errors": [{"field": "municipality", "source": "query", "message": "required"}]}
