"""`tjenesteshop import`: the case system's CSV export into a municipality, with a report of every row."""

from __future__ import annotations

from api.problem_texts import PROBLEMS
from casesystem.rules import Refusal, UnreadableFileError, read_file
from casesystem.service import Action, Report, RowOutcome, import_rows
from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.errors import DomainError
from core.settings import Settings
from people.setup import municipality_by_number, operator_principal
from tjenesteshop.setup import CLI_ORIGIN, NATIONAL_ID_REASONS, RefusedError, in_norwegian

ACTIONS: tuple[Action, ...] = ("create", "update", "unchanged", "refuse")
RECORDS = {"person": "person", "proxy": "fullmakt", "decision": "vedtak", "": "rad"}
WILL: dict[Action, str] = {
    "create": "blir opprettet",
    "update": "blir endret",
    "unchanged": "uendret",
    "refuse": "avvist",
}
DID: dict[Action, str] = {
    "create": "opprettet",
    "update": "endret",
    "unchanged": "uendret",
    "refuse": "avvist (hoppet over)",
}


def refusal_text(refusal: Refusal) -> str:
    """One refusal in Norwegian: the column, the problem's bokmål title and what this case adds."""
    title = PROBLEMS[refusal.code].nb if refusal.code in PROBLEMS else refusal.code
    fields = refusal.fields
    if refusal.code == "import_not_one_of":
        allowed = fields.get("allowed")
        title += f": {', '.join(allowed)}" if isinstance(allowed, list) else ""
    elif refusal.code == "import_too_long":
        title += f" (høyst {fields['max_length']} tegn)"
    elif refusal.code == "invalid_national_id":
        title += f" ({NATIONAL_ID_REASONS.get(str(fields.get('reason')), fields.get('reason'))})"
    where = f"kolonne «{refusal.column}»: " if refusal.column else ""
    return f"{where}{title}"


def outcome_line(outcome: RowOutcome, words: dict[Action, str]) -> str:
    """One row of the report."""
    about = " ".join(part for part in (RECORDS.get(outcome.record, outcome.record), outcome.subject) if part)
    line = f"rad {outcome.row}: {about + ': ' if about else ''}{words[outcome.action]}"
    if outcome.changed:
        line += f" ({', '.join(outcome.changed)})"
    if outcome.refusals:
        line += "; " + "; ".join(refusal_text(r) for r in outcome.refusals)
    return line


def report_lines(report: Report) -> list[str]:
    """The whole report: each row, the counts, and whether anything was stored."""
    words = DID if report.keep else WILL
    lines = [outcome_line(o, words) for o in report.outcomes]
    counts = ", ".join(f"{report.count(action)} {words[action]}" for action in ACTIONS)
    lines.append(f"lest som {report.encoding}; {len(report.outcomes)} rader: {counts}")
    if report.dry_run:
        lines.append("prøvekjøring: ingenting er lagret")
    elif report.keep:
        lines.append("lagret" + (f"; {len(report.refused)} avviste rader er hoppet over" if report.refused else ""))
    else:
        rows = ", ".join(str(o.row) for o in report.refused)
        lines.append(f"ingenting er lagret: rad {rows} ble avvist. Rett filen, eller kjør med --skip-refused "
                     "for å importere resten")  # fmt: skip
    return lines


async def import_cli(settings: Settings, number: str, data: bytes, *, dry_run: bool, skip_refused: bool) -> Report:
    """Read the file, apply it in one transaction and commit only when the report says so."""
    try:
        read = read_file(data)
    except UnreadableFileError as exc:
        raise RefusedError(f"{PROBLEMS[exc.code].nb}.") from exc
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            municipality = await municipality_by_number(session, number)
            operator = await operator_principal(session, municipality, now=utcnow())
            report = await import_rows(session, operator, CLI_ORIGIN, read, key=settings.national_id_key,
                                       today=utcnow().astimezone(settings.zone).date(), dry_run=dry_run,
                                       skip_refused=skip_refused)  # fmt: skip
            if report.keep:
                await session.commit()
            else:
                await session.rollback()
            return report
    except DomainError as exc:
        raise RefusedError(in_norwegian(exc)) from exc
    finally:
        await engine.dispose()
