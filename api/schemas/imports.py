"""Schemas of an import from the case system: the report, row by row."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from api.problem_texts import PROBLEMS
from casesystem.rules import Refusal
from casesystem.service import Report, RowOutcome

Action = Literal["create", "update", "unchanged", "refuse"]
RecordKind = Literal["person", "proxy", "decision"]


class ImportRefusalRead(msgspec.Struct):
    """Why a row is refused: the column at fault (null: the row), a stable code and its title in your language."""

    column: str | None
    code: str
    title: str
    fields: dict[str, Any]

    @classmethod
    def of(cls, refusal: Refusal, language: str) -> ImportRefusalRead:
        """From the rules' refusal."""
        text = PROBLEMS.get(refusal.code)
        title = getattr(text, language) if text is not None else refusal.code
        return cls(refusal.column, refusal.code, title, dict(refusal.fields))


class ImportRowRead(msgspec.Struct):
    """One row of the file (the header is row 1) and what became, or would become, of it."""

    row: int
    record: RecordKind | None  # null when the row could not be read far enough to tell
    action: Action
    subject: str | None  # a masked national id, or the decision's reference
    changed: list[str]
    refusals: list[ImportRefusalRead]

    @classmethod
    def of(cls, outcome: RowOutcome, language: str) -> ImportRowRead:
        """From the service's outcome."""
        record: RecordKind | None = outcome.record if outcome.record in ("person", "proxy", "decision") else None  # type: ignore[assignment]
        return cls(outcome.row, record, outcome.action, outcome.subject or None, list(outcome.changed),
                   [ImportRefusalRead.of(r, language) for r in outcome.refusals])  # fmt: skip


class ImportReportRead(msgspec.Struct):
    """What the import did (or, in a dry run, would do): every row, and the counts."""

    encoding: Literal["utf-8", "windows-1252"]
    dry_run: bool
    kept: bool  # whether it was stored
    created: int
    updated: int
    unchanged: int
    refused: int
    rows: list[ImportRowRead]

    @classmethod
    def of(cls, report: Report, language: str) -> ImportReportRead:
        """From the service's report."""
        return cls(
            encoding="utf-8" if report.encoding == "utf-8" else "windows-1252",
            dry_run=report.dry_run,
            kept=report.keep,
            created=report.count("create"),
            updated=report.count("update"),
            unchanged=report.count("unchanged"),
            refused=report.count("refuse"),
            rows=[ImportRowRead.of(o, language) for o in report.outcomes],
        )
