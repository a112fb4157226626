"""The table of municipalities: complete for 2024, and the numbers people know."""

from __future__ import annotations

import pytest

from people.errors import MunicipalityNameMismatchError, UnknownMunicipalityNumberError
from people.municipalities import is_former_number, known_municipality, municipalities, municipalities_called
from people.setup import check_municipality


def test_the_table_has_the_357_municipalities_of_2024_each_number_once() -> None:
    table = municipalities()
    assert len(table) == 357
    assert all(len(n) == 4 and n.isdigit() for n in table)


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("0301", "Oslo"),
        ("3909", "Larvik"),
        ("4601", "Bergen"),
        ("5001", "Trondheim"),
        ("1103", "Stavanger"),
        ("4204", "Kristiansand"),
        ("5501", "Tromsø"),
        ("1508", "Ålesund"),
        ("1580", "Haram"),
        ("3205", "Lillestrøm"),
        ("5610", "Karasjok"),
        ("5610", "Kárášjohka"),
    ],
)
def test_known_pairs(number: str, name: str) -> None:
    known = known_municipality(number)
    assert known is not None
    assert known.is_called(name)
    assert check_municipality(number, name.upper()) == known.name


def test_a_number_from_before_2024_is_refused_with_the_new_one() -> None:
    assert known_municipality("3805") is None
    assert is_former_number("3805")
    with pytest.raises(UnknownMunicipalityNumberError) as refused:
        check_municipality("3805", "Larvik")
    assert refused.value.fields == {"number": "3805", "former": True, "suggestion": ["3909 Larvik"]}


def test_a_number_of_another_municipality_is_refused_naming_it() -> None:
    with pytest.raises(MunicipalityNameMismatchError) as refused:
        check_municipality("3909", "Sandefjord")
    assert refused.value.fields == {"number": "3909", "official_name": "Larvik"}


def test_a_made_up_number_is_no_former_one() -> None:
    with pytest.raises(UnknownMunicipalityNumberError) as refused:
        check_municipality("9999", None)
    assert refused.value.fields["former"] is False
    assert [m.number for m in municipalities_called("Herøy")] == ["1515", "1818"]
