"""Reading the case system's CSV export (pure): the bytes' encoding, the records, each row checked on its own.

One file, one row a record; the `record` column says which: `person`, `proxy` (a proxy link) or `decision`
(a vedtak). Columns a record does not use are left empty. A row that cannot be read is a `Refusal` naming
its row number (the header is row 1), its column and a stable code; what the database must judge (does the
person exist, does the decision overlap another) is left to the service.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from people.rules import national_id_problem
from people.tables import LANGUAGES, PROXY_KINDS

RecordKind = Literal["person", "proxy", "decision"]
RECORDS: tuple[RecordKind, ...] = ("person", "proxy", "decision")
PERIODS = ("week", "month", "four_weeks")
DECISION_KINDS = ("ordinary", "trial")
MAX_MINUTES = 31 * 24 * 60  # every minute of a 31-day month, as the API allows
MAX_ROWS = 50_000
_BOM = "\ufeff"
_DELIMITERS = (";", ",", "\t")
_NORWEGIAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YES = frozenset({"ja", "j", "yes", "y", "true", "1", "x"})
_NO = frozenset({"nei", "n", "no", "false", "0", ""})
# Longest value a column may hold (the table's column length).
_LENGTHS = {"given_name": 200, "family_name": 200, "phone": 32, "email": 320, "address": 500, "ref": 100,
            "service": 200, "department": 200}  # fmt: skip


class UnreadableFileError(ValueError):
    """The file as a whole cannot be read; `code` says why (empty, encoding, header)."""

    def __init__(self, code: str, **fields: object) -> None:
        """Refuse the file with a stable `code` and the fields that explain it."""
        super().__init__(code)
        self.code = code
        self.fields = fields


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: valid UTF-8 (a BOM or not) is UTF-8, anything else Windows-1252.

    Windows-1252 is what Norwegian EHR exports are when they are not UTF-8; ISO 8859-1 reads the same for æøå.
    A byte Windows-1252 leaves undefined means the file is neither: it is refused, not guessed at.
    """
    try:
        return data.decode("utf-8").removeprefix(_BOM), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise UnreadableFileError("import_encoding", byte=exc.start) from exc


@dataclass(frozen=True)
class Refusal:
    """Why a row is refused: its row number (the header is 1), the column at fault (None: the row) and a code."""

    row: int
    column: str | None
    code: str
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonRow:
    """A person: found by national id, created or brought up to date."""

    row: int
    national_id: str
    given_name: str
    family_name: str
    phone: str | None
    email: str | None
    language: str | None  # None: not in the file (a new person gets bokmål; a known one keeps theirs)
    address: str | None


@dataclass(frozen=True)
class ProxyRow:
    """A proxy link: `national_id` acts for `recipient_national_id` from `valid_from`."""

    row: int
    national_id: str
    recipient_national_id: str
    kind: str
    valid_from: date
    valid_to: date | None
    reminders: bool


@dataclass(frozen=True)
class DecisionRow:
    """A decision (vedtak), known by the case system's reference `ref`."""

    row: int
    ref: str
    recipient_national_id: str
    service: str  # the service's id, or its name in bokmål
    department: str | None  # the department's name, when the service's name is not enough
    minutes: int
    period: str
    valid_from: date
    valid_to: date | None
    period_anchor: date | None
    kind: str
    evaluation_date: date | None
    review_date: date | None


Row = PersonRow | ProxyRow | DecisionRow


@dataclass(frozen=True)
class ReadFile:
    """A file read: its encoding, the rows understood and the rows refused."""

    encoding: str
    rows: list[Row]
    refusals: list[Refusal]


def _records(text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


class _Cells:
    """One row's cells by column name, collecting what is wrong with them."""

    def __init__(self, row: int, values: dict[str, str]) -> None:
        self.row = row
        self.values = values
        self.refusals: list[Refusal] = []

    def refuse(self, column: str | None, code: str, **fields: object) -> None:
        self.refusals.append(Refusal(self.row, column, code, fields))

    def text(self, column: str, *, required: bool = False) -> str | None:
        value = self.values.get(column, "").strip()
        if not value:
            if required:
                self.refuse(column, "import_missing")
            return None
        if "\x00" in value:  # PostgreSQL's text cannot hold it, and nobody types it
            self.refuse(column, "text_contains_nul")
            return None
        if len(value) > _LENGTHS.get(column, 200):
            self.refuse(column, "import_too_long", max_length=_LENGTHS.get(column, 200))
            return None
        return value

    def one_of(
        self, column: str, allowed: tuple[str, ...], default: str | None = None, *, required: bool = True
    ) -> str | None:
        value = (self.values.get(column, "").strip().lower()) or default
        if value is None:
            if required:
                self.refuse(column, "import_missing")
        elif value not in allowed:
            self.refuse(column, "import_not_one_of", allowed=list(allowed))
            return None
        return value

    def national_id(self, column: str) -> str | None:
        value = self.text(column, required=True)
        if value is None:
            return None
        value = value.replace(" ", "")
        problem = national_id_problem(value)
        if problem is not None:
            self.refuse(column, "invalid_national_id", reason=problem)
            return None
        return value

    def day(self, column: str, *, required: bool = False) -> date | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        norwegian = _NORWEGIAN_DATE.match(value)
        try:
            if norwegian:
                day, month, year = (int(part) for part in norwegian.groups())
                return date(year, month, day)
            return date.fromisoformat(value)
        except ValueError:
            self.refuse(column, "import_not_a_date")
            return None

    def minutes(self, column: str) -> int | None:
        value = self.text(column, required=True)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_MINUTES:
            self.refuse(column, "import_not_minutes", max_minutes=MAX_MINUTES)
            return None
        return int(value)

    def flag(self, column: str) -> bool:
        value = self.values.get(column, "").strip().lower()
        if value in _YES:
            return True
        if value not in _NO:
            self.refuse(column, "import_not_yes_or_no")
        return False


def _person(cells: _Cells) -> PersonRow | None:
    national_id = cells.national_id("national_id")
    given, family = cells.text("given_name", required=True), cells.text("family_name", required=True)
    phone, email, address = cells.text("phone"), cells.text("email"), cells.text("address")
    language = cells.one_of("language", LANGUAGES, required=False)
    if cells.refusals or national_id is None or given is None or family is None:
        return None
    return PersonRow(cells.row, national_id, given, family, phone, email, language, address)


def _proxy(cells: _Cells) -> ProxyRow | None:
    proxy, recipient = cells.national_id("national_id"), cells.national_id("recipient_national_id")
    kind = cells.one_of("kind", PROXY_KINDS)
    valid_from, valid_to = cells.day("valid_from", required=True), cells.day("valid_to")
    reminders = cells.flag("reminders")
    if cells.refusals or proxy is None or recipient is None or kind is None or valid_from is None:
        return None
    return ProxyRow(cells.row, proxy, recipient, kind, valid_from, valid_to, reminders)


def _decision(cells: _Cells) -> DecisionRow | None:
    ref, recipient = cells.text("ref", required=True), cells.national_id("recipient_national_id")
    service, department = cells.text("service", required=True), cells.text("department")
    minutes, period = cells.minutes("minutes"), cells.one_of("period", PERIODS)
    valid_from, valid_to = cells.day("valid_from", required=True), cells.day("valid_to")
    anchor, kind = cells.day("period_anchor"), cells.one_of("kind", DECISION_KINDS, default="ordinary")
    evaluation, review = cells.day("evaluation_date"), cells.day("review_date")
    if (cells.refusals or ref is None or recipient is None or service is None or valid_from is None
            or minutes is None or period is None or kind is None):  # fmt: skip
        return None  # a None here always came with a refusal; the checks tell the type checker so
    return DecisionRow(cells.row, ref, recipient, service, department, minutes, period, valid_from, valid_to,
                       anchor, kind, evaluation, review)  # fmt: skip


_READERS = {"person": _person, "proxy": _proxy, "decision": _decision}


def read_file(data: bytes) -> ReadFile:
    """Every row of the export, understood or refused.

    Raises:
        UnreadableFileError: empty, in an unknown encoding, not CSV, without a `record` column, or too long.

    """
    text, encoding = decode(data)
    try:
        records = _records(text)
    except csv.Error as exc:  # a field longer than the csv module takes (128 KiB)
        raise UnreadableFileError("import_not_csv") from exc
    filled = sum(1 for r in records if any(cell.strip() for cell in r))
    if filled < 2 or not any(cell.strip() for cell in records[0]):  # noqa: PLR2004 - a header and a row
        raise UnreadableFileError("import_empty")
    if filled > MAX_ROWS + 1:
        raise UnreadableFileError("import_too_many_rows", max_rows=MAX_ROWS)
    header = [name.strip().lower() for name in records[0]]
    if "record" not in header:
        raise UnreadableFileError("import_no_record_column", columns=header)
    rows: list[Row] = []
    refusals: list[Refusal] = []
    for number, cells_of_row in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells_of_row):
            continue  # a blank line: nothing to import, and the numbers of the rows after it stay
        cells = _Cells(number, dict(zip(header, cells_of_row, strict=False)))
        kind = cells.one_of("record", RECORDS)
        row = None if kind is None else _READERS[kind](cells)
        refusals += cells.refusals
        if row is not None:
            rows.append(row)
    return ReadFile(encoding, rows, refusals)
