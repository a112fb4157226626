"""Every endpoint, every kind of caller: the status each one gets. A new endpoint must be added here."""

# ruff: noqa: ARG005 - a table of lambdas over the world; long rows read better

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from booking import series_service
from booking.consistency import ledger_differences
from booking.service import BookRequest, book
from booking.tables import Allocation, BookingEvent
from core.clock import utcnow
from core.settings import Settings
from fhir_r4.ids import SlotId
from notifications.feeds import create_feed
from people.access import Principal
from people.audit import Origin
from people.rules import synthetic_national_id
from people.tables import AuditEntry
from tests.booking_world import at, bookable_day, open_department, oslo_today, service_of
from tests.conftest import CurrentConnection, client_of
from tests.world import World, build_world, sign_in
from waitlist import holds
from waitlist import rules as waitlist_rules
from waitlist import service as waitlist_service
from waitlist.tables import WaitlistFreed
from webhooks.service import Policy, create_subscription
from webhooks.tables import WebhookDelivery

CALLERS = (
    "anonymous",
    "recipient",
    "other_recipient",
    "proxy",
    "expired_proxy",
    "staff",
    "other_staff",
    "coordinator",
    "dept_admin",
    "other_dept_admin",
    "muni_admin",
    "foreign_admin",
    "token_admin",
    "token_dept",
    "token_other_dept",
    "token_revoked",
)
PUBLIC = dict.fromkeys(CALLERS, 200)  # public endpoints do not look at credentials
SIGNED_IN = dict.fromkeys(CALLERS, 200) | {"anonymous": 401, "token_revoked": 401}
ADMINS_ONLY = dict.fromkeys(CALLERS, 403) | {"anonymous": 401, "token_revoked": 401}
FOLLOWERS = ("staff", "other_staff", "coordinator", "dept_admin", "other_dept_admin", "muni_admin", "foreign_admin",
             "token_admin", "token_dept", "token_other_dept")  # fmt: skip
DEPARTMENT_ADMINS = ("dept_admin", "other_dept_admin", "token_dept", "token_other_dept")  # of d1 or d2
OTHER_DEPARTMENT = ("other_staff", "other_dept_admin", "token_other_dept")  # d2's; the world's booking is d1's
NO_PERSON = {"token_admin": 403, "token_dept": 403, "token_other_dept": 403}  # a person's own things; tokens have none
# Department boundaries: the world's booking, decision and service are d1's, and the recipient has a decision in d2
# as well. So d2's staff, administrators and tokens (other_staff, other_dept_admin, token_other_dept) reach the
# person (their record, and the lists of their bookings and decisions, filtered to d2: see
# test_department_boundaries), but get a 404 for every booking, decision, free-times and roster route on d1's (or
# the guard's 403 where the route is for a department's own people); d1's succeed.
OWN_OR_SERVING = {  # who may see (and act for) the world's recipient: the rest get 404, ids leak nothing
    "anonymous": 401, "recipient": 200, "other_recipient": 404, "proxy": 200, "expired_proxy": 404, "staff": 200,
    "other_staff": 404, "coordinator": 200, "dept_admin": 200, "other_dept_admin": 404, "muni_admin": 200,
    "foreign_admin": 404, "token_admin": 200, "token_dept": 200, "token_other_dept": 404, "token_revoked": 401,
}  # fmt: skip
WRITES_FOR_RECIPIENT = {k: 201 if v == 200 else v for k, v in OWN_OR_SERVING.items()}
SERVING_THE_PERSON = OWN_OR_SERVING | dict.fromkeys(OTHER_DEPARTMENT, 200)  # the person, not d1's things
DEPARTMENT_STAFF = ADMINS_ONLY | {"staff": 200, "dept_admin": 200, "muni_admin": 200, "foreign_admin": 404,
                                  "token_admin": 200, "token_dept": 200}  # fmt: skip
ANSWER_READERS = dict.fromkeys(CALLERS, 404) | {"anonymous": 401, "token_revoked": 401, "recipient": 200,
                                               "coordinator": 200}  # fmt: skip
WEBHOOK_READERS = (
    ADMINS_ONLY | dict.fromkeys(DEPARTMENT_ADMINS, 200) | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200}
)
WEBHOOK_D1_ADMINS = ADMINS_ONLY | {"dept_admin": 200, "token_dept": 200, "muni_admin": 200, "token_admin": 200,
                                   "other_dept_admin": 404, "token_other_dept": 404, "foreign_admin": 404}  # fmt: skip
WEBHOOK_D1_ADMINS_201 = {k: 201 if v == 200 else v for k, v in WEBHOOK_D1_ADMINS.items()}
TODAY = oslo_today()
IMPORT_FILE = (
    f"record;national_id;given_name;family_name\nperson;{synthetic_national_id(date(1950, 1, 2), 100)};Åse;Ødegård\n"
)


@dataclass(frozen=True)
class Case:
    """How to call an endpoint on the world, and what each caller gets."""

    request: Callable[[World], tuple[str, dict[str, Any]]]
    expected: dict[str, int]


def _get(path: Callable[[World], str]) -> Callable[[World], tuple[str, dict[str, Any]]]:
    return lambda w: (path(w), {})


def _post(
    path: Callable[[World], str], body: Callable[[World], dict[str, Any]]
) -> Callable[[World], tuple[str, dict[str, Any]]]:
    return lambda w: (path(w), {"json": body(w)})


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/"): Case(_get(lambda w: "/"), PUBLIC),
    # The web app: its screens answer its page for everyone (it asks /api/v1/me who you are); a build file
    # that is not there is a 404 problem.
    ("GET", "/{path:path}"): Case(_get(lambda w: "/timer"), PUBLIC),
    **{
        (method, "/{path:path}"): Case(
            _post(lambda w: f"/no-such-place/{uuid.uuid4()}", lambda w: {}), dict.fromkeys(CALLERS, 404)
        )
        for method in ("POST", "PUT", "PATCH", "DELETE")
    },
    ("GET", "/assets/{name:path}"): Case(_get(lambda w: "/assets/not-built-0000.js"), dict.fromkeys(CALLERS, 404)),
    ("GET", "/plain.css"): Case(_get(lambda w: "/plain.css"), PUBLIC),  # the sign-in and fallback pages' style
    ("GET", "/health/live"): Case(_get(lambda w: "/health/live"), PUBLIC),
    ("GET", "/metrics"): Case(_get(lambda w: "/metrics"), PUBLIC),
    ("GET", "/health/ready"): Case(_get(lambda w: "/health/ready"), PUBLIC),
    ("GET", "/api/v1/departments"): Case(_get(lambda w: "/api/v1/departments?municipality=0001"), PUBLIC),
    ("GET", "/api/v1/departments/{department_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}"), PUBLIC
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/opening-hours"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/opening-hours"), PUBLIC
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/services"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/services"), PUBLIC
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/capacity"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/capacity?from=2026-01-01&to=2026-01-14"),
        ADMINS_ONLY
        | {
            "staff": 200,
            "dept_admin": 200,
            "muni_admin": 200,
            "foreign_admin": 404,
            "token_admin": 200,
            "token_dept": 200,
        },
    ),
    # Report views. A decision's evaluation: administrators of its department and municipality, its case worker
    # and the recipient's coordinator; everyone else 404. Reviews and coverage: administrators; the committee:
    # municipality administrators (a neighbour's sees its own municipality's list).
    ("GET", "/api/v1/allocations/{allocation_id:uuid}/evaluation"): Case(
        _get(lambda w: f"/api/v1/allocations/{w.links['allocation']}/evaluation"),
        dict.fromkeys(CALLERS, 404)
        | {
            "anonymous": 401,
            "token_revoked": 401,
            "coordinator": 200,
            "dept_admin": 200,
            "muni_admin": 200,
            "token_admin": 200,
            "token_dept": 200,
        },
    ),
    ("GET", "/api/v1/allocations/{allocation_id:uuid}/evaluation.csv"): Case(
        _get(lambda w: f"/api/v1/allocations/{w.links['allocation']}/evaluation.csv"),
        dict.fromkeys(CALLERS, 404)
        | {
            "anonymous": 401,
            "token_revoked": 401,
            "coordinator": 200,
            "dept_admin": 200,
            "muni_admin": 200,
            "token_admin": 200,
            "token_dept": 200,
        },
    ),
    ("GET", "/api/v1/reviews"): Case(
        _get(lambda w: "/api/v1/reviews?before=2030-01-01"),
        ADMINS_ONLY
        | dict.fromkeys(DEPARTMENT_ADMINS, 200)
        | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/coverage"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/coverage"),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("GET", "/api/v1/committee"): Case(
        _get(lambda w: "/api/v1/committee"), ADMINS_ONLY | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200}
    ),
    ("GET", "/api/v1/committee/thresholds"): Case(
        _get(lambda w: "/api/v1/committee/thresholds"),
        ADMINS_ONLY | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    ("PUT", "/api/v1/committee/thresholds"): Case(
        lambda w: (
            "/api/v1/committee/thresholds",
            {"json": {"weekly_minutes": 900, "respite_percent": 50, "bpa": True}},
        ),
        ADMINS_ONLY | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    # Benefit realisation: municipality and department administrators. Without `department`, each gets the
    # departments they administer (a neighbour's administrator their own municipality's: none); with d1, d2's
    # administrators get 403 and the neighbour 404.
    ("GET", "/api/v1/benefits"): Case(
        _get(lambda w: "/api/v1/benefits"),
        ADMINS_ONLY
        | dict.fromkeys(DEPARTMENT_ADMINS, 200)
        | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    ("GET", "/api/v1/benefits/export.json"): Case(
        _get(lambda w: f"/api/v1/benefits/export.json?department={w.departments['d1']}"),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("GET", "/api/v1/benefits/export.csv"): Case(
        _get(lambda w: f"/api/v1/benefits/export.csv?department={w.departments['d1']}"),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("PUT", "/api/v1/departments/{department_id:uuid}/benefit-baseline"): Case(
        lambda w: (
            f"/api/v1/departments/{w.departments['d1']}/benefit-baseline",
            {
                "json": {
                    "self_booking_from": "2026-01-01",
                    "no_show_percent": 12.5,
                    "visits_per_month": 900,
                    "minutes_per_month": 54000,
                    "source": "Fagsystemet 2025",
                }
            },
        ),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    # Department administration: municipality and department administrators of d1 (sessions and tokens);
    # a neighbour municipality's administrator gets 404, everyone else in the municipality 403.
    ("POST", "/api/v1/departments"): Case(
        _post(lambda w: "/api/v1/departments", lambda w: {"name": "Ny avdeling", "grid_minutes": 30}),
        ADMINS_ONLY | {"muni_admin": 201, "foreign_admin": 201, "token_admin": 201},
    ),
    ("PATCH", "/api/v1/departments/{department_id:uuid}"): Case(
        _post(lambda w: f"/api/v1/departments/{w.departments['d1']}", lambda w: {"notice_hours": 4}),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("PUT", "/api/v1/departments/{department_id:uuid}/opening-hours"): Case(
        lambda w: (
            f"/api/v1/departments/{w.departments['d1']}/opening-hours",
            # More staff every day: the world's booking keeps its place.
            {"json": [{"weekday": day, "start": "08:00", "end": "16:00", "staff": 4} for day in range(7)]},
        ),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/exceptions"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/exceptions"),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("POST", "/api/v1/departments/{department_id:uuid}/exceptions"): Case(
        _post(
            lambda w: f"/api/v1/departments/{w.departments['d1']}/exceptions",
            # The day after the world's booking: closing a booked day is a 409 (test_department_admin has that).
            lambda w: {"day": (w.days["booking"] + timedelta(days=1)).isoformat(), "closed": True},
        ),
        ADMINS_ONLY
        | {"dept_admin": 201, "muni_admin": 201, "foreign_admin": 404, "token_admin": 201, "token_dept": 201},
    ),
    # The world has no exceptions, holiday openings or service ids to name: an absent one is a 404 for
    # those who administer the department (after the guard), and the guard's answer for everyone else.
    ("DELETE", "/api/v1/departments/{department_id:uuid}/exceptions/{exception_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/exceptions/{w.departments['d2']}"),
        ADMINS_ONLY
        | {"dept_admin": 404, "muni_admin": 404, "foreign_admin": 404, "token_admin": 404, "token_dept": 404},
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/holiday-openings"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/holiday-openings"),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("POST", "/api/v1/departments/{department_id:uuid}/holiday-openings"): Case(
        _post(
            lambda w: f"/api/v1/departments/{w.departments['d1']}/holiday-openings",
            lambda w: {"day": date(TODAY.year + 1, 12, 25).isoformat()},  # første juledag
        ),
        ADMINS_ONLY
        | {"dept_admin": 201, "muni_admin": 201, "foreign_admin": 404, "token_admin": 201, "token_dept": 201},
    ),
    ("DELETE", "/api/v1/departments/{department_id:uuid}/holiday-openings/{opening_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/holiday-openings/{w.departments['d2']}"),
        ADMINS_ONLY
        | {"dept_admin": 404, "muni_admin": 404, "foreign_admin": 404, "token_admin": 404, "token_dept": 404},
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/services/all"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/services/all"),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    ("POST", "/api/v1/departments/{department_id:uuid}/services"): Case(
        _post(
            lambda w: f"/api/v1/departments/{w.departments['d1']}/services",
            lambda w: {"name": {"nb": "Samtale"}, "description": {"nb": "En samtale"}, "durations": [30, 60]},
        ),
        ADMINS_ONLY
        | {"dept_admin": 201, "muni_admin": 201, "foreign_admin": 404, "token_admin": 201, "token_dept": 201},
    ),
    ("PATCH", "/api/v1/departments/{department_id:uuid}/services/{service_id:uuid}"): Case(
        _post(
            lambda w: f"/api/v1/departments/{w.departments['d1']}/services/{w.departments['d2']}",
            lambda w: {"active": False},
        ),
        ADMINS_ONLY
        | {"dept_admin": 404, "muni_admin": 404, "foreign_admin": 404, "token_admin": 404, "token_dept": 404},
    ),
    ("POST", "/api/v1/bookings"): Case(
        lambda w: (
            "/api/v1/bookings",
            {
                "json": {
                    "recipient_id": str(w.people["recipient"]),
                    "service_id": str(w.links["service"]),
                    "start": at(w.days["booking"], 11).isoformat(),
                    "minutes": 60,
                },
                "headers": {"Idempotency-Key": uuid.uuid4().hex},
            },
        ),
        WRITES_FOR_RECIPIENT,
    ),
    ("GET", "/api/v1/bookings"): Case(
        _get(lambda w: f"/api/v1/bookings?recipient_id={w.people['recipient']}"), SERVING_THE_PERSON
    ),
    # Calendar feeds are a person's own (tokens have none: 403); the world's recipient has one. The feed itself
    # is public behind its secret address; a booking's calendar file is for whoever may see the booking.
    ("POST", "/api/v1/feeds"): Case(
        _post(lambda w: "/api/v1/feeds", lambda w: {"kind": "recipient"}),
        ADMINS_ONLY | {"recipient": 201, "other_recipient": 201},
    ),
    ("GET", "/api/v1/feeds"): Case(_get(lambda w: "/api/v1/feeds"), SIGNED_IN | NO_PERSON),
    ("DELETE", "/api/v1/feeds/{feed_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/feeds/{w.links['feed']}"),
        SIGNED_IN | dict.fromkeys(CALLERS[1:-1], 404) | {"recipient": 204, **NO_PERSON},
    ),
    ("GET", "/ical/{filename:str}"): Case(_get(lambda w: f"/ical/{w.secrets['feed']}.ics"), PUBLIC),
    ("GET", "/api/v1/bookings/{booking_id:uuid}/event.ics"): Case(
        _get(lambda w: f"/api/v1/bookings/{w.links['booking']}/event.ics"), OWN_OR_SERVING
    ),
    # The waitlist: as a booking, for the recipient and whoever may book for them; the world's recipient waits in
    # d1 and holds an offer there (so d2's people get a 404 for the entry and the offer).
    ("POST", "/api/v1/waitlist"): Case(
        _post(
            lambda w: "/api/v1/waitlist",
            lambda w: {
                "recipient_id": str(w.people["recipient"]),
                "service_id": str(w.links["service"]),
                "minutes": 60,
                "first_day": w.days["booking"].isoformat(),
                "last_day": (w.days["booking"] + timedelta(days=1)).isoformat(),
            },
        ),
        WRITES_FOR_RECIPIENT,
    ),
    ("GET", "/api/v1/waitlist"): Case(
        _get(lambda w: f"/api/v1/waitlist?recipient_id={w.people['recipient']}"), SERVING_THE_PERSON
    ),
    ("POST", "/api/v1/waitlist/{entry_id:uuid}/withdraw"): Case(
        _post(lambda w: f"/api/v1/waitlist/{w.links['waitlist_entry']}/withdraw", lambda w: {}),
        WRITES_FOR_RECIPIENT,
    ),
    ("GET", "/api/v1/waitlist/offers/{offer_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/waitlist/offers/{w.links['waitlist_offer']}"), OWN_OR_SERVING
    ),
    ("POST", "/api/v1/waitlist/offers/{offer_id:uuid}/accept"): Case(
        _post(lambda w: f"/api/v1/waitlist/offers/{w.links['waitlist_offer']}/accept", lambda w: {}),
        WRITES_FOR_RECIPIENT,
    ),
    ("POST", "/api/v1/waitlist/offers/{offer_id:uuid}/decline"): Case(
        _post(lambda w: f"/api/v1/waitlist/offers/{w.links['waitlist_offer']}/decline", lambda w: {}),
        WRITES_FOR_RECIPIENT,
    ),
    # Recurring visits: as a booking, for the recipient and whoever may book for them; the world's recipient has a
    # series in d1 beginning after the horizon (so nothing of it is booked yet; d2's people get a 404 for it).
    ("POST", "/api/v1/series"): Case(
        _post(
            lambda w: "/api/v1/series",
            lambda w: {
                "recipient_id": str(w.people["recipient"]),
                "service_id": str(w.links["service"]),
                "minutes": 60,
                "weekdays": [0, 3],
                "local_time": "11:00:00",
                "valid_from": (TODAY + timedelta(days=40)).isoformat(),
            },
        ),
        WRITES_FOR_RECIPIENT,
    ),
    ("GET", "/api/v1/series"): Case(
        _get(lambda w: f"/api/v1/series?recipient_id={w.people['recipient']}"), SERVING_THE_PERSON
    ),
    ("PATCH", "/api/v1/series/{series_id:uuid}"): Case(
        _post(lambda w: f"/api/v1/series/{w.links['series']}", lambda w: {"local_time": "12:00:00"}), OWN_OR_SERVING
    ),
    ("DELETE", "/api/v1/series/{series_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/series/{w.links['series']}"), OWN_OR_SERVING
    ),
    ("POST", "/api/v1/bookings/{booking_id:uuid}/move"): Case(
        _post(
            lambda w: f"/api/v1/bookings/{w.links['booking']}/move",
            lambda w: {"start": at(w.days["booking"], 13).isoformat()},
        ),
        WRITES_FOR_RECIPIENT,
    ),
    ("POST", "/api/v1/bookings/{booking_id:uuid}/cancel"): Case(
        _post(lambda w: f"/api/v1/bookings/{w.links['booking']}/cancel", lambda w: {}), WRITES_FOR_RECIPIENT
    ),
    # Staff of the booking's department record outcomes, and not before the start (hence 422 here).
    ("POST", "/api/v1/bookings/{booking_id:uuid}/outcome"): Case(
        _post(lambda w: f"/api/v1/bookings/{w.links['booking']}/outcome", lambda w: {"outcome": "delivered"}),
        OWN_OR_SERVING
        | {
            "recipient": 403,
            "proxy": 403,
            "coordinator": 403,
            "staff": 422,
            "dept_admin": 422,
            "muni_admin": 422,
            "token_admin": 422,
            "token_dept": 422,
        },
    ),
    ("POST", "/api/v1/bookings/{booking_id:uuid}/assign"): Case(
        _post(
            lambda w: f"/api/v1/bookings/{w.links['booking']}/assign", lambda w: {"staff_id": str(w.people["staff"])}
        ),
        OWN_OR_SERVING
        | {
            "recipient": 404,
            "proxy": 404,
            "coordinator": 404,
            "staff": 201,
            "dept_admin": 201,
            "muni_admin": 201,
            "token_admin": 201,
            "token_dept": 201,
        },
    ),
    ("GET", "/api/v1/availability"): Case(
        _get(lambda w: f"/api/v1/availability?recipient_id={w.people['recipient']}&service_id={w.links['service']}"),
        OWN_OR_SERVING,
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/roster"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/roster?date={w.days['booking'].isoformat()}"),
        DEPARTMENT_STAFF,
    ),
    ("GET", "/api/v1/staff/{staff_id:uuid}/roster"): Case(
        _get(lambda w: f"/api/v1/staff/{w.people['staff']}/roster?date={w.days['booking'].isoformat()}"),
        DEPARTMENT_STAFF
        | dict.fromkeys(
            ("recipient", "other_recipient", "proxy", "expired_proxy", "coordinator", *OTHER_DEPARTMENT), 404
        ),
    ),
    ("GET", "/api/v1/follow-ups"): Case(
        _get(lambda w: "/api/v1/follow-ups"),
        ADMINS_ONLY | dict.fromkeys(FOLLOWERS, 200),
    ),
    ("POST", "/api/v1/follow-ups/{follow_up_id:uuid}/resolve"): Case(
        _post(lambda w: f"/api/v1/follow-ups/{uuid.uuid4()}/resolve", lambda w: {"note": "Ringt"}),
        ADMINS_ONLY | dict.fromkeys(FOLLOWERS, 404),
    ),
    # Decisions: the recipient's are seen like their bookings; administrators of the department change them.
    ("GET", "/api/v1/allocations"): Case(
        _get(lambda w: f"/api/v1/allocations?recipient_id={w.people['recipient']}"), SERVING_THE_PERSON
    ),
    ("GET", "/api/v1/allocations/{allocation_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/allocations/{w.links['allocation']}"), OWN_OR_SERVING
    ),
    ("POST", "/api/v1/allocations"): Case(
        _post(
            lambda w: "/api/v1/allocations",
            lambda w: {
                "recipient_id": str(w.people["new_person"]),
                "service_id": str(w.links["service"]),
                "minutes": 60,
                "period": "week",
                "valid_from": TODAY.isoformat(),
            },
        ),
        ADMINS_ONLY
        | {"dept_admin": 201, "muni_admin": 201, "token_admin": 201, "token_dept": 201, "foreign_admin": 404},
    ),
    # Import from the case system: municipality administrators (each into their own municipality).
    ("POST", "/api/v1/imports"): Case(
        lambda w: ("/api/v1/imports", {"files": {"file": ("eksport.csv", IMPORT_FILE, "text/csv")}}),
        ADMINS_ONLY | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    ("PATCH", "/api/v1/allocations/{allocation_id:uuid}"): Case(
        lambda w: (f"/api/v1/allocations/{w.links['allocation']}", {"json": {"review_date": TODAY.isoformat()}}),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "token_admin": 200, "token_dept": 200, "foreign_admin": 404},
    ),
    ("GET", "/api/v1/me"): Case(_get(lambda w: "/api/v1/me"), SIGNED_IN),
    # Reminder settings and push devices are a person's own: tokens have no person (403).
    ("GET", "/api/v1/me/reminder-settings"): Case(
        _get(lambda w: "/api/v1/me/reminder-settings"), SIGNED_IN | NO_PERSON
    ),
    ("PUT", "/api/v1/me/reminder-settings"): Case(
        lambda w: ("/api/v1/me/reminder-settings", {"json": {"channel": "none", "reminders_for": []}}),
        SIGNED_IN | NO_PERSON,
    ),
    ("GET", "/api/v1/me/push-subscriptions/public-key"): Case(
        _get(lambda w: "/api/v1/me/push-subscriptions/public-key"),
        ADMINS_ONLY | dict.fromkeys(CALLERS[1:], 404) | {"token_revoked": 401},
    ),
    ("POST", "/api/v1/me/push-subscriptions"): Case(
        _post(
            lambda w: "/api/v1/me/push-subscriptions",
            lambda w: {
                "endpoint": f"https://push.example/{uuid.uuid4()}",
                "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
            },
        ),
        {k: 201 if v == 200 else v for k, v in (SIGNED_IN | NO_PERSON).items()},
    ),
    ("DELETE", "/api/v1/me/push-subscriptions/{subscription_id:uuid}"): Case(
        lambda w: (f"/api/v1/me/push-subscriptions/{uuid.uuid4()}", {}),
        SIGNED_IN | dict.fromkeys(CALLERS[1:-1], 404) | NO_PERSON,
    ),
    # Dead letters: administrators (a department's sees its own); the world has no dead reminder to retry.
    ("GET", "/api/v1/notifications/dead-letters"): Case(
        _get(lambda w: "/api/v1/notifications/dead-letters"),
        ADMINS_ONLY
        | dict.fromkeys(DEPARTMENT_ADMINS, 200)
        | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    ("POST", "/api/v1/notifications/dead-letters/reminders/{reminder_id:int}/retry"): Case(
        _post(lambda w: "/api/v1/notifications/dead-letters/reminders/1/retry", lambda w: {}),
        ADMINS_ONLY
        | dict.fromkeys(DEPARTMENT_ADMINS, 404)
        | {"muni_admin": 404, "foreign_admin": 404, "token_admin": 404},
    ),
    # Webhooks: administrators and their tokens, each department's for its own (the world's subscription and dead
    # letter are d1's); d2's get 404 for d1's, a neighbour municipality's 404 for the department, the rest 403.
    ("GET", "/api/v1/webhooks"): Case(_get(lambda w: "/api/v1/webhooks"), WEBHOOK_READERS),
    ("GET", "/api/v1/webhooks/dead-letters"): Case(_get(lambda w: "/api/v1/webhooks/dead-letters"), WEBHOOK_READERS),
    ("POST", "/api/v1/webhooks"): Case(
        _post(
            lambda w: "/api/v1/webhooks",
            lambda w: {
                "url": "http://127.0.0.1:9/hooks",
                "event_types": ["booking.booked"],
                "department_id": str(w.departments["d1"]),
            },
        ),
        WEBHOOK_D1_ADMINS_201 | {"other_dept_admin": 403, "token_other_dept": 403},
    ),
    ("PATCH", "/api/v1/webhooks/{webhook_id:uuid}"): Case(
        lambda w: (f"/api/v1/webhooks/{w.links['webhook']}", {"json": {"active": False}}), WEBHOOK_D1_ADMINS
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id:uuid}"): Case(
        lambda w: (f"/api/v1/webhooks/{w.links['webhook']}", {}),
        {k: 204 if v == 200 else v for k, v in WEBHOOK_D1_ADMINS.items()},
    ),
    ("POST", "/api/v1/webhooks/{webhook_id:uuid}/rotate-secret"): Case(
        _post(lambda w: f"/api/v1/webhooks/{w.links['webhook']}/rotate-secret", lambda w: {}),
        {k: 201 if v == 200 else v for k, v in WEBHOOK_D1_ADMINS.items()},
    ),
    ("POST", "/api/v1/webhooks/dead-letters/{delivery_id:int}/redeliver"): Case(
        _post(lambda w: f"/api/v1/webhooks/dead-letters/{w.numbers['dead_letter']}/redeliver", lambda w: {}),
        {k: 201 if v == 200 else v for k, v in WEBHOOK_D1_ADMINS.items()},
    ),
    ("GET", "/api/v1/me/access-log"): Case(
        _get(lambda w: "/api/v1/me/access-log"), SIGNED_IN | dict.fromkeys(NO_PERSON, 404)
    ),
    # A person's copy of their own data (a proxy's for the recipient: test_privacy); tokens have no data.
    ("GET", "/api/v1/me/data-export"): Case(
        _get(lambda w: "/api/v1/me/data-export"), SIGNED_IN | dict.fromkeys(NO_PERSON, 404)
    ),
    ("PATCH", "/api/v1/me/contact"): Case(
        _post(lambda w: "/api/v1/me/contact", lambda w: {"email": "ny.adresse@example.no"}), SIGNED_IN | NO_PERSON
    ),
    # Retention periods: the municipality's administrators (a neighbour's sees and sets its own municipality's).
    ("GET", "/api/v1/retention"): Case(
        _get(lambda w: "/api/v1/retention"),
        ADMINS_ONLY | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    ("PUT", "/api/v1/retention"): Case(
        lambda w: ("/api/v1/retention", {"json": {"booking_months": 36, "feedback_months": 24, "push_months": 12}}),
        ADMINS_ONLY | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    # The recipient's own object, seen by everyone: who may, gets it; everyone else a 404.
    ("GET", "/api/v1/persons/{person_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/persons/{w.people['recipient']}"), SERVING_THE_PERSON
    ),
    ("POST", "/api/v1/persons"): Case(
        _post(
            lambda w: "/api/v1/persons",
            lambda w: {"national_id": "01010750160", "given_name": "Ny", "family_name": "Person"},
        ),
        ADMINS_ONLY
        | dict.fromkeys(DEPARTMENT_ADMINS, 201)
        | {"muni_admin": 201, "foreign_admin": 201, "token_admin": 201},
    ),
    ("POST", "/api/v1/persons/{person_id:uuid}/roles"): Case(
        _post(
            lambda w: f"/api/v1/persons/{w.people['new_person']}/roles",
            lambda w: {"role": "staff", "department_id": str(w.departments["d1"])},
        ),
        ADMINS_ONLY
        | {"dept_admin": 201, "muni_admin": 201, "foreign_admin": 404, "token_admin": 201, "token_dept": 201},
    ),
    ("DELETE", "/api/v1/persons/{person_id:uuid}/roles/{role_id:uuid}"): Case(
        _get(lambda w: f"/api/v1/persons/{w.people['staff']}/roles/{w.roles['staff']}"),
        ADMINS_ONLY
        | {"dept_admin": 204, "muni_admin": 204, "foreign_admin": 404, "token_admin": 204, "token_dept": 204},
    ),
    ("POST", "/api/v1/proxy-links"): Case(
        _post(
            lambda w: "/api/v1/proxy-links",
            lambda w: {
                "proxy_id": str(w.people["new_person"]),
                "recipient_id": str(w.people["other_recipient"]),
                "kind": "guardian",
                "valid_from": TODAY.isoformat(),
            },
        ),
        ADMINS_ONLY | {"muni_admin": 201, "foreign_admin": 404, "token_admin": 201},
    ),
    ("POST", "/api/v1/proxy-links/{link_id:uuid}/end"): Case(
        _post(lambda w: f"/api/v1/proxy-links/{w.links['proxy']}/end", lambda w: {}),
        ADMINS_ONLY | {"muni_admin": 201, "foreign_admin": 404, "token_admin": 201},
    ),
    ("POST", "/api/v1/coordinators"): Case(
        _post(
            lambda w: "/api/v1/coordinators",
            lambda w: {
                "staff_id": str(w.people["staff"]),
                "recipient_id": str(w.people["other_recipient"]),
                "valid_from": TODAY.isoformat(),
            },
        ),
        ADMINS_ONLY | {"muni_admin": 201, "foreign_admin": 404, "token_admin": 201},
    ),
    ("GET", "/api/v1/api-tokens"): Case(
        _get(lambda w: "/api/v1/api-tokens"), ADMINS_ONLY | {"muni_admin": 200, "foreign_admin": 200}
    ),
    ("POST", "/api/v1/api-tokens"): Case(
        _post(lambda w: "/api/v1/api-tokens", lambda w: {"name": "Rapporter", "role": "municipality_admin"}),
        ADMINS_ONLY | {"muni_admin": 201, "foreign_admin": 201},
    ),
    ("POST", "/api/v1/api-tokens/{token_id:uuid}/revoke"): Case(
        _post(lambda w: f"/api/v1/api-tokens/{w.tokens['token_dept']}/revoke", lambda w: {}),
        ADMINS_ONLY | {"muni_admin": 201, "foreign_admin": 404},
    ),
    ("GET", "/api/v1/audit-log"): Case(
        _get(lambda w: "/api/v1/audit-log"),
        ADMINS_ONLY
        | dict.fromkeys(DEPARTMENT_ADMINS, 200)
        | {"muni_admin": 200, "foreign_admin": 200, "token_admin": 200},
    ),
    # Visit feedback: the recipient answers (a proxy only on behalf; staff and administrators never), and the
    # individual answers are the recipient's and their coordinator's only. The world's visit is not delivered yet.
    ("GET", "/api/v1/feedback/pending"): Case(
        _get(lambda w: f"/api/v1/feedback/pending?recipient_id={w.people['recipient']}"),
        ANSWER_READERS | {"coordinator": 404, "proxy": 200},
    ),
    ("GET", "/api/v1/feedback"): Case(
        _get(lambda w: f"/api/v1/feedback?recipient_id={w.people['recipient']}"), ANSWER_READERS
    ),
    ("GET", "/api/v1/bookings/{booking_id:uuid}/feedback"): Case(
        _get(lambda w: f"/api/v1/bookings/{w.links['booking']}/feedback"), ANSWER_READERS
    ),
    ("POST", "/api/v1/bookings/{booking_id:uuid}/feedback"): Case(
        _post(lambda w: f"/api/v1/bookings/{w.links['booking']}/feedback", lambda w: {"answer": "yes"}),
        OWN_OR_SERVING | {k: 403 for k, v in OWN_OR_SERVING.items() if v == 200} | {"recipient": 409},
    ),
    ("GET", "/api/v1/departments/{department_id:uuid}/feedback"): Case(
        _get(lambda w: f"/api/v1/departments/{w.departments['d1']}/feedback?from_month=2026-01&to_month=2026-03"),
        ADMINS_ONLY
        | {"dept_admin": 200, "muni_admin": 200, "foreign_admin": 404, "token_admin": 200, "token_dept": 200},
    ),
    # The shared plan: the recipient, their proxies and coordinator, and the municipality's administrators.
    ("GET", "/api/v1/recipients/{recipient_id:uuid}/plan"): Case(
        _get(lambda w: f"/api/v1/recipients/{w.people['recipient']}/plan"),
        ANSWER_READERS | {"proxy": 200, "muni_admin": 200, "token_admin": 200},
    ),
    ("GET", "/api/v1/coordinators/me/recipients"): Case(
        _get(lambda w: "/api/v1/coordinators/me/recipients"),
        ADMINS_ONLY | {"staff": 200, "other_staff": 200, "coordinator": 200},
    ),
    # FHIR R4: the same access as the /api/v1 routes they mirror; every error an OperationOutcome (see test_access).
    ("GET", "/fhir/R4/metadata"): Case(_get(lambda w: "/fhir/R4/metadata"), PUBLIC),
    ("GET", "/fhir/R4/Schedule"): Case(
        _get(lambda w: f"/fhir/R4/Schedule?actor=Organization/{w.departments['d1']}"), SIGNED_IN
    ),
    ("GET", "/fhir/R4/Schedule/{schedule_id:str}"): Case(
        _get(lambda w: f"/fhir/R4/Schedule/{w.links['service']}"), SIGNED_IN | {"foreign_admin": 404}
    ),
    ("GET", "/fhir/R4/Slot"): Case(
        _get(lambda w: f"/fhir/R4/Slot?schedule=Schedule/{w.links['service']}&patient=Patient/{w.people['recipient']}"),
        OWN_OR_SERVING,
    ),
    ("GET", "/fhir/R4/Appointment"): Case(
        _get(lambda w: f"/fhir/R4/Appointment?patient=Patient/{w.people['recipient']}"), SERVING_THE_PERSON
    ),
    ("GET", "/fhir/R4/Appointment/{appointment_id:str}"): Case(
        _get(lambda w: f"/fhir/R4/Appointment/{w.links['booking']}"), OWN_OR_SERVING
    ),
    ("POST", "/fhir/R4/Appointment"): Case(
        _post(
            lambda w: "/fhir/R4/Appointment",
            lambda w: {
                "resourceType": "Appointment",
                "status": "booked",
                "slot": [{"reference": f"Slot/{SlotId(w.links['service'], at(w.days['booking'], 11), 60)}"}],
                "participant": [{"actor": {"reference": f"Patient/{w.people['recipient']}"}, "status": "accepted"}],
            },
        ),
        WRITES_FOR_RECIPIENT,
    ),
    ("PUT", "/fhir/R4/Appointment/{appointment_id:str}"): Case(
        _post(
            lambda w: f"/fhir/R4/Appointment/{w.links['booking']}",
            lambda w: {"resourceType": "Appointment", "id": str(w.links["booking"]), "status": "cancelled"},
        ),
        OWN_OR_SERVING,
    ),
    **{
        (method, "/fhir/R4/{rest:path}"): Case(
            _post(lambda w: "/fhir/R4/Patient/1", lambda w: {}), dict.fromkeys(CALLERS, 404)
        )
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
    ("GET", "/auth/login"): Case(_get(lambda w: "/auth/login?provider=nowhere"), PUBLIC | dict.fromkeys(CALLERS, 404)),
    ("GET", "/auth/callback"): Case(
        _get(lambda w: "/auth/callback?code=abc&state=forged"), dict.fromkeys(CALLERS, 400)
    ),
    # Finishing a sign-in with a municipality chosen: only with the choice cookie the callback set, once.
    ("POST", "/auth/choose"): Case(
        _post(lambda w: "/auth/choose", lambda w: {"municipality_id": str(w.municipality)}),
        dict.fromkeys(CALLERS, 400),
    ),
    # The SMS gateway's delivery receipts: only the shared secret in X-Receipt-Secret opens it, and no caller
    # here sends it (signed in or not): 401 for all (test_sms_receipts has the gateway's own calls).
    ("POST", "/api/v1/sms/receipts"): Case(
        _post(lambda w: "/api/v1/sms/receipts", lambda w: {"refId": "reminder-1", "resultCode": 1001}),
        dict.fromkeys(CALLERS, 401),
    ),
    ("POST", "/auth/logout"): Case(_post(lambda w: "/auth/logout", lambda w: {}), PUBLIC | {"token_revoked": 401}),
    ("POST", "/auth/logout-everywhere"): Case(
        _post(lambda w: "/auth/logout-everywhere", lambda w: {}), SIGNED_IN | NO_PERSON
    ),
}


def test_every_endpoint_is_in_the_matrix(app: Litestar) -> None:
    served = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in {"HEAD", "OPTIONS"} and not route.path.startswith("/schema")
    }
    assert served == set(MATRIX), "add new endpoints to MATRIX (and remove gone ones)"


@pytest.fixture(scope="module")
async def world_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection for the module, in an outer transaction that is rolled back at its end."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture(scope="module")
async def world(world_connection: AsyncConnection, settings: Settings) -> World:
    """The world, built once for the module's 1,000-odd cases (each case runs in a savepoint of its own)."""
    db_session = AsyncSession(bind=world_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    world = await build_world(db_session, settings)
    department = await open_department(db_session, world.departments["d1"], staff=3)
    service = await service_of(db_session, department.id)
    # The recipient is served by d2 as well, so d2's staff, administrators and tokens reach the person: only the
    # department of the booking, decision or service keeps them out of d1's.
    conversation = await service_of(db_session, world.departments["d2"])
    db_session.add(
        Allocation(municipality_id=world.municipality, recipient_id=world.people["recipient"],
                   department_id=world.departments["d2"], service_id=conversation.id, minutes=60, period="week",
                   valid_from=TODAY - timedelta(days=7))
    )  # fmt: skip
    admin = Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                      roles=frozenset({("municipality_admin", None)}))  # fmt: skip
    world.days["booking"] = bookable_day()
    request = BookRequest(world.people["recipient"], service.id, at(world.days["booking"], 9), 60)
    booking = await book(db_session, admin, Origin(), request, key="matrix-booking", now=utcnow())
    world.links["booking"], world.links["service"] = booking.id, service.id
    world.links["allocation"] = booking.allocation_id
    recipient = Principal(municipality_id=world.municipality, person_id=world.people["recipient"],
                          roles=frozenset({("recipient", None)}))  # fmt: skip
    feed, world.secrets["feed"] = await create_feed(db_session, recipient, Origin(), "recipient", None, now=utcnow(),
                                                    today=TODAY)  # fmt: skip
    world.links["feed"] = feed.id
    await _waiting_with_an_offer(db_session, world, admin)
    policy = Policy(production=False, secret_key=settings.national_id_key, rotation=timedelta(hours=24))
    subscription, _ = await create_subscription(
        db_session, admin, Origin(), policy, url="http://127.0.0.1:9/hooks", event_types=["booking.booked"],
        department_id=world.departments["d1"], personal_data=False, description="",
    )  # fmt: skip
    dead = WebhookDelivery(municipality_id=world.municipality, subscription_id=subscription.id,
                           department_id=world.departments["d1"], message_id="msg_matrix", event_type="booking.booked",
                           body="{}", status="dead", attempts=7, finished_at=utcnow())  # fmt: skip
    db_session.add(dead)
    await db_session.flush()
    world.links["webhook"] = subscription.id
    world.numbers["dead_letter"] = dead.id
    series_request = series_service.SeriesRequest(
        world.people["recipient"], service.id, 60, (2,), time(13), TODAY + timedelta(days=40), None, 1
    )
    world.links["series"] = (await series_service.create(db_session, admin, Origin(), series_request, now=utcnow()))[
        0
    ].id
    await db_session.commit()
    await db_session.close()
    return world


async def _waiting_with_an_offer(session: AsyncSession, world: World, admin: Principal) -> None:
    """The recipient waits in d1 and holds an offer of 14:00 on the booking's day."""
    day = world.days["booking"]
    wish = waitlist_rules.Wish(60, day, day, None, None, None)
    request = waitlist_service.EntryRequest(world.people["recipient"], world.links["service"], wish)
    entry = await waitlist_service.create(session, admin, Origin(), request, now=utcnow())
    event_id = await session.scalar(select(BookingEvent.id).where(BookingEvent.booking_id == world.links["booking"]))
    assert event_id is not None
    freed = WaitlistFreed(municipality_id=world.municipality, event_id=event_id, department_id=entry.department_id,
                          starts_at=at(day, 14))  # fmt: skip
    session.add(freed)
    await session.flush()
    offer = await holds.hand_on(session, freed, utcnow())
    assert offer is not None
    world.links["waitlist_entry"], world.links["waitlist_offer"] = entry.id, offer.id


@pytest.fixture
async def case_session(
    world: World, world_connection: AsyncConnection, current_connection: CurrentConnection
) -> AsyncIterator[AsyncSession]:
    """A savepoint of the module's transaction for one case, rolled back after it; the app joins it."""
    del world  # built before the savepoint
    savepoint = await world_connection.begin_nested()
    current_connection.connection = world_connection
    session = AsyncSession(bind=world_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
        differences = await ledger_differences(session)
        assert differences == [], f"the ledgers disagree with the bookings, e.g. {differences[:3]}"
    finally:
        await session.close()
        current_connection.connection = None
        await savepoint.rollback()


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route_key", list(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
async def test_access(
    route_key: tuple[str, str],
    caller: str,
    world: World,
    settings: Settings,
    shared_app: Litestar,
    case_session: AsyncSession,
) -> None:
    case = MATRIX[route_key]
    redis: Redis = shared_app.state.redis
    db_session = case_session
    async with client_of(shared_app) as client:
        await sign_in(client, redis, settings, world, caller)
        path, options = case.request(world)
        method, _ = route_key
        audited_before = await db_session.scalar(select(func.count()).select_from(AuditEntry))
        response = await client.request(method, path, **options)
    assert response.status_code == case.expected[caller], response.text
    fhir = path.startswith("/fhir/")
    if response.status_code >= 400:
        assert response.headers["content-type"] == ("application/fhir+json" if fhir else "application/problem+json")
    if fhir:  # the FHIR group: every answer (resources, bundles, OperationOutcomes) a valid R4 resource
        body = response.json()
        get_fhir_model_class(body["resourceType"]).model_validate(body)
    audited_after = await db_session.scalar(select(func.count()).select_from(AuditEntry))
    if method != "GET" and response.status_code < 300 and route_key != ("POST", "/auth/logout"):
        assert (audited_after or 0) > (audited_before or 0), "every write leaves an audit entry"
    elif response.status_code >= 400:
        assert audited_after == audited_before, "a refused request writes nothing"
