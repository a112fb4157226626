from __future__ import annotations

from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from sqlalchemy.exc import DBAPIError

from api.problem_texts import PROBLEMS
from api.problems import TYPE_PREFIX, _database_problem, from_domain_error, from_http_exception
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


def test_a_datetime_without_offset_has_a_type_of_its_own() -> None:
    exc = ValidationException(
        extra=[{"message": "Expected `datetime` with a timezone component", "key": "start", "source": "body"}]
    )
    problem = from_http_exception(exc)
    assert problem.status_code == 422
    assert problem.type_ == TYPE_PREFIX + "time_zone_required"


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _dbapi_error(orig: BaseException) -> DBAPIError:
    return DBAPIError("SELECT 1", None, orig)


def test_database_errors_that_are_not_bugs() -> None:
    assert _database_problem(_dbapi_error(_PgError("55P03"))) == ("busy", "1")  # lock timeout
    assert _database_problem(_dbapi_error(_PgError("57014"))) == ("overloaded", "1")  # statement timeout
    assert _database_problem(_dbapi_error(_PgError("53300"))) == ("overloaded", "1")  # too many connections
    assert _database_problem(_dbapi_error(_PgError("08006"))) == ("service_unavailable", "5")  # connection lost
    assert _database_problem(_dbapi_error(_PgError("57P01"))) == ("service_unavailable", "5")  # shutting down
    assert _database_problem(_dbapi_error(_PgError("22021"))) == ("text_contains_nul", None)
    assert _database_problem(_dbapi_error(_PgError("42601"))) is None  # a syntax error is a bug: 500


def test_a_date_asyncpg_cannot_encode_is_out_of_range() -> None:
    try:
        try:
            raise OverflowError("date value out of range")  # noqa: TRY301 - asyncpg's own wrapping, reproduced
        except OverflowError as overflow:
            raise ValueError("invalid input for query argument $2") from overflow
    except ValueError as wrapped:
        assert _database_problem(_dbapi_error(wrapped)) == ("date_out_of_range", None)  # noqa: PT017
