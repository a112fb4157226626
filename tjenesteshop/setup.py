"""`tjenesteshop municipality create` and `tjenesteshop admin add`: from an empty database to a first administrator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import IO, Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.problem_texts import PROBLEMS
from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.errors import DomainError
from core.settings import Settings
from people.audit import Origin
from people.setup import NewAdministrator, Outcome, add_administrator, create_municipality

T = TypeVar("T")
CLI_ORIGIN = Origin(user_agent="tjenesteshop (kommandolinjen)")
NATIONAL_ID_REASONS = {
    "length": "det skal være 11 sifre",
    "digits": "det skal bare være sifre",
    "date": "de seks første sifrene er ikke en dato",
    "checksum": "kontrollsifrene stemmer ikke; kanskje er et siffer skrevet feil",
}


class RefusedError(click.ClickException):
    """A refusal shown in Norwegian (Click's own prefix is English), exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print "Feil: " and the message on standard error."""
        click.echo(f"Feil: {self.format_message()}", file=file, err=True)


def in_norwegian(error: DomainError) -> str:
    """The refusal as the operator reads it: the problem's bokmål title, and what this case adds."""
    fields = error.fields
    title = PROBLEMS[error.code].nb if error.code in PROBLEMS else error.code
    if error.code == "invalid_national_id":
        return f"{title} ({NATIONAL_ID_REASONS.get(str(fields.get('reason')), fields.get('reason'))})."
    if error.code == "unknown_municipality_number":
        text = f"{title}: {fields['number']}."
        if fields.get("former"):
            text += " Nummeret er fra før 2024; kommunen har fått nytt kommunenummer."
        suggestions = fields.get("suggestion")
        if isinstance(suggestions, list) and suggestions:
            text += f" Mente du {' eller '.join(suggestions)}?"
        return text
    if error.code == "municipality_name_mismatch":
        return f"{title}: {fields['number']} er {fields['official_name']}."
    if error.code == "municipality_not_set_up":
        number = fields["number"]
        return f"{title}: {number}. Kjør «tjenesteshop municipality create --number {number}» først."
    return f"{title}."


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction (committed when it returns); a refusal becomes a clear message, exit 1."""
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine).begin() as session:
            return await work(session)
    except DomainError as exc:
        raise RefusedError(in_norwegian(exc)) from exc
    finally:
        await engine.dispose()


async def create_municipality_cli(settings: Settings, number: str, name: str | None) -> str:
    """Create the municipality (or find it); return what happened, in Norwegian."""

    async def work(session: AsyncSession) -> Outcome:
        return await create_municipality(session, CLI_ORIGIN, number=number, name=name, now=utcnow())

    outcome = await _in_transaction(settings, work)
    municipality = outcome.municipality
    if not outcome.created:
        return f"kommunen {municipality.number} {municipality.name} finnes allerede; ingenting er endret"
    return f"kommunen {municipality.number} {municipality.name} er opprettet"


async def add_administrator_cli(settings: Settings, number: str, new: NewAdministrator) -> str:
    """Make the person the municipality's administrator (or find them so); return what happened, in Norwegian."""

    async def work(session: AsyncSession) -> Outcome:
        return await add_administrator(
            session, CLI_ORIGIN, number=number, new=new, key=settings.national_id_key, now=utcnow()
        )

    outcome = await _in_transaction(settings, work)
    where = f"{outcome.municipality.number} {outcome.municipality.name}"
    if not outcome.created:
        return f"personen er allerede kommuneadministrator i {where}; ingenting er endret"
    return (
        f"personen er nå kommuneadministrator i {where}; "
        "hen logger inn med ID-porten, som kjenner hen igjen på fødselsnummeret"
    )
