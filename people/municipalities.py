"""Norway's municipalities and their numbers (kommunenummer), from the table kept beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

# The counties split on 1 January 2024 (Viken, Vestfold og Telemark, Troms og Finnmark): their municipalities'
# numbers began with these digits until then, and have new numbers since.
FORMER_COUNTIES = ("30", "38", "54")
NUMBER_LENGTH = 4
FORMER_NUMBERS = frozenset({"1507"})  # Ålesund until 2023; 1508 since Haram was split off


@dataclass(frozen=True)
class KnownMunicipality:
    """A municipality of the table: its number and its name as SSB writes it (forms separated by " - ")."""

    number: str
    name: str

    @property
    def names(self) -> tuple[str, ...]:
        """Each form of the name (Norwegian, Sami, Kven), any of which names the municipality."""
        return tuple(part.strip() for part in self.name.split(" - "))

    def is_called(self, name: str) -> bool:
        """Whether `name` is the name or one of its forms (case and surrounding spaces aside)."""
        wanted = name.strip().casefold()
        return wanted in {self.name.casefold(), *(form.casefold() for form in self.names)}


@cache
def municipalities() -> dict[str, KnownMunicipality]:
    """The table, by number."""
    text = files("people").joinpath("municipalities.csv").read_text(encoding="utf-8")
    rows = [line.split(";") for line in text.splitlines() if line and not line.startswith("#")]
    header, *body = rows
    if header != ["number", "name"]:
        msg = f"municipalities.csv: unexpected header {header}"
        raise ValueError(msg)
    return {number: KnownMunicipality(number, name) for number, name in body}


def known_municipality(number: str) -> KnownMunicipality | None:
    """The municipality with this number in the current classification, or None."""
    return municipalities().get(number.strip())


def municipalities_called(name: str) -> list[KnownMunicipality]:
    """The municipalities with this name (Herøy and Våler are two each)."""
    return [m for m in municipalities().values() if m.is_called(name)]


def is_former_number(number: str) -> bool:
    """Whether the number looks like one from before the 2024 changes (a number that no longer exists)."""
    return number in FORMER_NUMBERS or (len(number) == NUMBER_LENGTH and number[:2] in FORMER_COUNTIES)
