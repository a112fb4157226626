"""Trial decisions: an `evaluation_due` follow-up N days before the evaluation date, and one e-mail to the case worker.

N is the municipality's `evaluation_reminder_days`. The job may run twice (arq runs jobs at least once), so
the database records everything: a follow-up names its decision and evaluation date, and is raised once per
pair (even after it was resolved); the e-mail is claimed in the follow-up's details, committed, before it
is handed to the channel, so it goes at most once. A recipient with two trial decisions due in one
department gets the second follow-up after the first is resolved (one open follow-up of a kind per
recipient and department).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import DateTime, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.tables import FollowUp
from departments.tables import Department, Service
from people.tables import Person

KIND = "evaluation_due"
_LOCK_KEY = 4_711_009  # one run at a time: a second waits, then finds everything already raised


@dataclass(frozen=True)
class Mail:
    """One e-mail to one case worker."""

    to: str
    subject: str
    text: str
    language: str


Send = Callable[[Mail], Awaitable[str | None]]
"""Sends a mail; returns None when it went, or a short reason when it did not."""


@dataclass(frozen=True)
class Due:
    """A trial decision whose evaluation reminder is due."""

    allocation_id: uuid.UUID
    municipality_id: uuid.UUID
    recipient_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    evaluation_date: date
    case_worker_id: uuid.UUID | None


# Trial decisions still running whose evaluation date is today (the department's local date) or within the
# municipality's reminder days, and that have never had a reminder for this evaluation date.
DUE = text("""
SELECT a.id, a.municipality_id, a.recipient_id, a.department_id, a.service_id, a.evaluation_date, a.case_worker_id
FROM allocation a
JOIN department d ON d.id = a.department_id AND d.municipality_id = a.municipality_id
JOIN municipality m ON m.id = a.municipality_id
CROSS JOIN LATERAL (SELECT (CAST(:now AS timestamptz) AT TIME ZONE d.timezone)::date AS today) local
WHERE a.kind = 'trial'
  AND a.evaluation_date >= local.today
  AND a.evaluation_date - m.evaluation_reminder_days <= local.today
  AND (a.valid_to IS NULL OR a.valid_to >= local.today)
  AND NOT EXISTS (
    SELECT 1 FROM follow_up f
    WHERE f.municipality_id = a.municipality_id AND f.kind = 'evaluation_due'
      AND f.details->>'allocation_id' = a.id::text AND f.details->>'evaluation_date' = a.evaluation_date::text)
ORDER BY a.evaluation_date, a.id
""").bindparams(bindparam("now", type_=DateTime(timezone=True)))

_TEXTS = {
    "nb": (
        "Utprøvingsvedtak skal evalueres {date}",
        (
            "Hei {name}.\n\nEt utprøvingsvedtak ({service}, {department}) skal evalueres {date}. Du finner det "
            "under oppfølging i Tjenesteshop: {url}\n\nDenne e-posten er sendt automatisk."
        ),
    ),
    "nn": (
        "Utprøvingsvedtak skal evaluerast {date}",
        (
            "Hei {name}.\n\nEit utprøvingsvedtak ({service}, {department}) skal evaluerast {date}. Du finn det "
            "under oppfølging i Tjenesteshop: {url}\n\nDenne e-posten er send automatisk."
        ),
    ),
    "en": (
        "A trial decision is due for evaluation on {date}",
        (
            "Hello {name}.\n\nA trial decision ({service}, {department}) is due for evaluation on {date}. You find "
            "it under follow-ups in Tjenesteshop: {url}\n\nThis e-mail was sent automatically."
        ),
    ),
}


def mail_for(  # noqa: PLR0913 - keyword-only; one value each
    *, to: str, language: str, name: str, service: str, department: str, evaluation_date: date, url: str
) -> Mail:
    """The case worker's e-mail in their language. It names no recipient: e-mail is not a safe place for that."""
    language = language if language in _TEXTS else "nb"
    shown = evaluation_date.isoformat() if language == "en" else evaluation_date.strftime("%d.%m.%Y")
    subject, body = _TEXTS[language]
    values = {"date": shown, "name": name, "service": service, "department": department, "url": url}
    return Mail(to=to, subject=subject.format(**values), text=body.format(**values), language=language)


async def _raise(session: AsyncSession, due: Due) -> uuid.UUID | None:
    details: dict[str, object] = {
        "allocation_id": str(due.allocation_id),
        "evaluation_date": due.evaluation_date.isoformat(),
        "case_worker_id": None if due.case_worker_id is None else str(due.case_worker_id),
    }
    created: uuid.UUID | None = await session.scalar(
        insert(FollowUp)
        .values(id=uuid.uuid4(), municipality_id=due.municipality_id, recipient_id=due.recipient_id,
                department_id=due.department_id, kind=KIND, details=details)
        .on_conflict_do_nothing(index_elements=["municipality_id", "recipient_id", "department_id", "kind"],
                                index_where=FollowUp.resolved_at.is_(None))
        .returning(FollowUp.id)
    )  # fmt: skip
    return created


async def _claim_mail(session: AsyncSession, follow_up_id: uuid.UUID, due: Due, now: datetime, url: str) -> Mail | None:
    """The case worker's e-mail, claimed in the follow-up (committed with it), or None when there is nobody to mail."""
    worker = None if due.case_worker_id is None else await session.get(Person, due.case_worker_id)
    if worker is None or not worker.email:
        return None
    department = await session.get(Department, due.department_id)
    service = await session.get(Service, due.service_id)
    assert department is not None  # noqa: S101 - a foreign key guarantees it
    assert service is not None  # noqa: S101 - a foreign key guarantees it
    follow_up = await session.get(FollowUp, follow_up_id)
    assert follow_up is not None  # noqa: S101 - inserted a moment ago
    follow_up.details = {**follow_up.details, "mail_claimed_at": now.isoformat()}
    return mail_for(
        to=worker.email, language=worker.language, name=worker.given_name,
        service=service.name.get(worker.language) or service.name.get("nb") or next(iter(service.name.values()), ""),
        department=department.name, evaluation_date=due.evaluation_date, url=url,
    )  # fmt: skip


async def raise_due(session: AsyncSession, now: datetime, url: str) -> tuple[int, list[tuple[uuid.UUID, Mail]]]:
    """Raise the follow-ups that are due and claim their e-mails (caller's transaction, to be committed first)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    due = [Due(*row) for row in (await session.execute(DUE, {"now": now})).tuples()]
    raised, mails = 0, []
    for item in due:
        follow_up_id = await _raise(session, item)
        if follow_up_id is None:
            continue  # another decision's evaluation is open for this recipient and department
        raised += 1
        mail = await _claim_mail(session, follow_up_id, item, now, url)
        if mail is not None:
            mails.append((follow_up_id, mail))
    return raised, mails


async def remind(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, send: Send, *, url: str
) -> dict[str, int]:
    """Raise what is due (committed, with the e-mail claims), then send each e-mail and record how it went."""
    async with sessionmaker.begin() as session:
        raised, mails = await raise_due(session, now, url)
    mailed = failed = 0
    for follow_up_id, mail in mails:
        try:
            reason = await send(mail)
        except Exception as exc:  # noqa: BLE001 - a channel's bug must not strand the other claimed mails
            reason = f"unexpected {type(exc).__name__}"
        async with sessionmaker.begin() as session:
            follow_up = await session.scalar(select(FollowUp).where(FollowUp.id == follow_up_id).with_for_update())
            if follow_up is not None:
                result = {"mailed_at": now.isoformat()} if reason is None else {"mail_error": reason[:200]}
                follow_up.details = {**follow_up.details, **result}
        mailed, failed = (mailed + 1, failed) if reason is None else (mailed, failed + 1)
    return {"raised": raised, "mailed": mailed, "mail_failed": failed}
