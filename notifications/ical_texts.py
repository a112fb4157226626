"""The words of calendar feeds in bokmål, nynorsk and English: calendar names, summaries, descriptions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedWords:
    """The words of one language; `{...}` fields are filled in by `str.format`."""

    calendar: dict[str, str]  # the calendar's name, by feed kind (recipient, proxy, staff, event)
    cancelled: str  # before a cancelled visit's summary
    with_person: str  # a summary naming whose visit it is
    at_department: str
    call: str
    is_cancelled: str
    home_visit: str


WORDS: dict[str, FeedWords] = {
    "nb": FeedWords(
        calendar={
            "recipient": "Mine timer (Tjenesteshop)",
            "proxy": "Timer for dem jeg hjelper (Tjenesteshop)",
            "staff": "Mine besøk (Tjenesteshop)",
            "event": "Tjenesteshop",
        },
        cancelled="Avlyst: {summary}",
        with_person="{service} ({person})",
        at_department="{service} hos {department}.",
        call="Spørsmål? Ring {department} på {phone}.",
        is_cancelled="Timen er avlyst.",
        home_visit="Hjemmebesøk",
    ),
    "nn": FeedWords(
        calendar={
            "recipient": "Timane mine (Tjenesteshop)",
            "proxy": "Timar for dei eg hjelper (Tjenesteshop)",
            "staff": "Besøka mine (Tjenesteshop)",
            "event": "Tjenesteshop",
        },
        cancelled="Avlyst: {summary}",
        with_person="{service} ({person})",
        at_department="{service} hos {department}.",
        call="Spørsmål? Ring {department} på {phone}.",
        is_cancelled="Timen er avlyst.",
        home_visit="Heimebesøk",
    ),
    "en": FeedWords(
        calendar={
            "recipient": "My bookings (Tjenesteshop)",
            "proxy": "Bookings of the people I help (Tjenesteshop)",
            "staff": "My visits (Tjenesteshop)",
            "event": "Tjenesteshop",
        },
        cancelled="Cancelled: {summary}",
        with_person="{service} ({person})",
        at_department="{service} at {department}.",
        call="Questions? Call {department} on {phone}.",
        is_cancelled="The booking is cancelled.",
        home_visit="Home visit",
    ),
}


def words(language: str) -> FeedWords:
    """The words of `language`, falling back to bokmål."""
    return WORDS.get(language, WORDS["nb"])
