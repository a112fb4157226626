"""Reading the case system's export: encodings, rows and the reasons a row is refused, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from casesystem.rules import DecisionRow, PersonRow, ProxyRow, Refusal, UnreadableFileError, decode, read_file
from people.rules import synthetic_national_id

KARI = synthetic_national_id(date(1950, 1, 2), 100)
PER = synthetic_national_id(date(1980, 6, 7), 300)
HEADER = (
    "record;ref;national_id;given_name;family_name;language;recipient_national_id;kind;valid_from;valid_to;"
    "reminders;service;department;minutes;period\r\n"
)
TEXT = (
    HEADER
    + f"person;;{KARI};Bjørg;Ærø-Åsen;nn;;;;;;;;;\r\n"
    + f"person;;{PER};Øystein;Ås;;;;;;;;;;\r\n"
    + f"proxy;;{PER};;;;{KARI};relative;01.09.2026;;ja;;;;\r\n"
    + f"decision;V-17;;;;;{KARI};;2026-09-01;;;Praktisk bistand;Hjemmetjenesten;120;week\r\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("cp1252"), "windows-1252"),
    ],
)
def test_utf8_with_or_without_bom_and_windows_1252_read_alike(data: bytes, encoding: str) -> None:
    read = read_file(data)
    assert read.encoding == encoding
    assert read.refusals == []
    assert read.rows == [
        PersonRow(2, KARI, "Bjørg", "Ærø-Åsen", None, None, "nn", None),
        PersonRow(3, PER, "Øystein", "Ås", None, None, None, None),
        ProxyRow(4, PER, KARI, "relative", date(2026, 9, 1), None, reminders=True),
        DecisionRow(5, "V-17", KARI, "Praktisk bistand", "Hjemmetjenesten", 120, "week", date(2026, 9, 1), None,
                    None, "ordinary", None, None),
    ]  # fmt: skip


def test_windows_1252_is_chosen_only_when_the_bytes_are_not_utf8() -> None:
    assert decode("æøå ÆØÅ".encode("cp1252")) == ("æøå ÆØÅ", "windows-1252")
    assert decode("æøå ÆØÅ".encode()) == ("æøå ÆØÅ", "utf-8")
    assert decode(b"\xef\xbb\xbfa;b") == ("a;b", "utf-8")
    with pytest.raises(UnreadableFileError) as refused:
        decode(b"record\n\x81\x8d")  # bytes Windows-1252 leaves undefined: neither encoding
    assert refused.value.code == "import_encoding"


def test_each_bad_cell_is_refused_with_its_row_and_column() -> None:
    bad_id = KARI[:-1] + str((int(KARI[-1]) + 1) % 10)
    text = (
        "record,national_id,given_name,family_name,recipient_national_id,kind,valid_from,minutes,period,ref,service\n"
        f"person,{bad_id},Kari,,,,,,,,\n"
        "\n"
        f"proxy,{PER},,,{KARI},aunt,31.02.2026,,,,\n"
        f"decision,,,,{KARI},,2026-09-01,-5,fortnight,V-1,Hjelp\n"
        "nothing,,,,,,,,,,\n"
    )
    read = read_file(text.encode())
    assert read.rows == []
    assert read.refusals == [
        Refusal(2, "national_id", "invalid_national_id", {"reason": "checksum"}),
        Refusal(2, "family_name", "import_missing"),
        Refusal(4, "kind", "import_not_one_of", {"allowed": ["parent", "guardian", "power_of_attorney", "relative"]}),
        Refusal(4, "valid_from", "import_not_a_date"),
        Refusal(5, "minutes", "import_not_minutes", {"max_minutes": 44640}),
        Refusal(5, "period", "import_not_one_of", {"allowed": ["week", "month", "four_weeks"]}),
        Refusal(6, "record", "import_not_one_of", {"allowed": ["person", "proxy", "decision"]}),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "import_empty"), (b"record;ref\n", "import_empty"), (b"ref;name\nV-1;x\n", "import_no_record_column")],
)
def test_a_file_without_rows_or_without_the_record_column_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(UnreadableFileError) as refused:
        read_file(data)
    assert refused.value.code == code


def test_missing_too_long_and_not_yes_or_no_are_refused() -> None:
    text = (
        "record;national_id;given_name;family_name;recipient_national_id;kind;valid_from;reminders;ref;service;minutes\n"
        f";{KARI};Kari;Nordmann;;;;;;;\n"
        f"person;{KARI};{'K' * 201};Nordmann;;;;;;;\n"
        f"proxy;;;;{KARI};parent;2026-09-01;kanskje;;;\n"
        f"decision;;;;{KARI};;2026-09-01;;V-1;Hjelp;\n"
    )
    assert read_file(text.encode()).refusals == [
        Refusal(2, "record", "import_missing"),
        Refusal(3, "given_name", "import_too_long", {"max_length": 200}),
        Refusal(4, "national_id", "import_missing"),
        Refusal(4, "reminders", "import_not_yes_or_no"),
        Refusal(5, "minutes", "import_missing"),
        Refusal(5, "period", "import_missing"),
    ]


def test_a_file_past_the_row_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("casesystem.rules.MAX_ROWS", 2)
    with pytest.raises(UnreadableFileError) as refused:
        read_file(TEXT.encode())
    assert refused.value.code == "import_too_many_rows"


def test_a_nul_character_is_refused_and_a_giant_field_is_no_csv() -> None:
    nul = read_file(f"record;national_id;given_name;family_name\nperson;{KARI};Ka\x00ri;Nordmann\n".encode())
    assert nul.refusals == [Refusal(2, "given_name", "text_contains_nul")]
    with pytest.raises(UnreadableFileError) as refused:
        read_file(b'record;ref\nperson;"' + b"x" * 200_000 + b'"\n')
    assert refused.value.code == "import_not_csv"
