from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from notifications.messages import SMS_LENGTH, reminder_message, sms_text

OSLO = ZoneInfo("Europe/Oslo")
DAY, TWO_HOURS = 24 * 60, 120


def facts(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "recipient_name": "Kari",
        "for_someone_else": False,
        "service_name": "Praktisk bistand",
        "department_name": "Hjemmetjenesten Nord",
        "department_phone": "+4712345678",
        "starts_at_local": datetime(2026, 11, 24, 10, 0, tzinfo=OSLO),  # a Tuesday
        "minutes": 60,
        "lead_minutes": DAY,
        "manage_url": "https://timebestilling.kommune.no/",
    }
    return base | changes


def test_bokmal_day_before() -> None:
    subject, text, html = reminder_message("nb", **facts())
    assert subject == "Påminnelse: Praktisk bistand i morgen kl. 10.00"
    assert text.startswith("Hei, Kari.\n\nDette er en påminnelse om at du har time hos Hjemmetjenesten Nord.")
    assert "Praktisk bistand\ntirsdag 24. november kl. 10.00\u201311.00 (1 time)" in text
    assert "Du kan se, flytte eller avbestille timen her:\nhttps://timebestilling.kommune.no/" in text
    assert "Ring Hjemmetjenesten Nord på 12 34 56 78." in text
    assert '<html lang="nb">' in html
    assert '<a href="https://timebestilling.kommune.no/">Se, flytt eller avbestill timen</a>' in html


def test_nynorsk_two_hours_before() -> None:
    subject, text, html = reminder_message("nn", **facts(lead_minutes=TWO_HOURS, minutes=90))
    assert subject == "Påminning: Praktisk bistand i dag kl. 10.00"
    assert "Dette er ei påminning om at du har time hos Hjemmetjenesten Nord." in text
    assert "tysdag 24. november kl. 10.00\u201311.30 (1 time og 30 minutt)" in text
    assert "Helsing\nHjemmetjenesten Nord" in text
    assert '<html lang="nn">' in html


def test_english() -> None:
    subject, text, html = reminder_message("en", **facts(minutes=45))
    assert subject == "Reminder: Praktisk bistand tomorrow at 10:00"
    assert text.startswith("Hello Kari,\n\nThis is a reminder that you have an appointment with Hjemmetjenesten Nord.")
    assert "Tuesday 24 November at 10:00\u201310:45 (45 minutes)" in text
    assert "Call Hjemmetjenesten Nord on 12 34 56 78." in text
    assert '<html lang="en">' in html


def test_unknown_language_gets_bokmal() -> None:
    subject, _, html = reminder_message("de", **facts())
    assert subject.startswith("Påminnelse:")
    assert '<html lang="nb">' in html


def test_a_proxy_reads_the_recipients_name_not_you() -> None:
    _, text, _ = reminder_message("nb", **facts(for_someone_else=True))
    assert text.startswith("Hei.\n\nDette er en påminnelse om at Kari har time hos Hjemmetjenesten Nord.")
    assert " du har " not in text
    assert sms_text("nb", **facts(for_someone_else=True)).startswith("Påminnelse: Kari har Praktisk bistand")


def test_a_visit_further_off_is_named_by_its_date() -> None:
    subject, _, _ = reminder_message("nb", **facts(lead_minutes=3 * DAY))
    assert subject == "Påminnelse: Praktisk bistand tirsdag 24. november kl. 10.00"


def test_without_phone_or_safe_link_those_lines_are_left_out() -> None:
    _, text, html = reminder_message("nb", **facts(department_phone=None, manage_url="javascript:alert(1)"))
    assert "Ring" not in text
    assert "javascript" not in text
    assert "javascript" not in html
    assert "<a " not in html


@pytest.mark.parametrize(
    ("starts", "minutes", "lead", "subject_when", "span"),
    [
        # Spring forward, Sunday 29 March 2026: 02:00 becomes 03:00, so 01:30 + 60 minutes ends at 03:30;
        # two hours before 01:30 is 23:30 the evening before: "tomorrow".
        (datetime(2026, 3, 29, 1, 30, tzinfo=OSLO), 60, TWO_HOURS, "i morgen kl. 01.30", "kl. 01.30\u201303.30"),
        # 24 hours before 00:30 on the Monday after the short Sunday is 23:30 on Saturday: two days ahead.
        (datetime(2026, 3, 30, 0, 30, tzinfo=OSLO), 30, DAY, "mandag 30. mars kl. 00.30", "kl. 00.30\u201301.00"),
        # Two hours before 03:30 on the spring-forward night is 00:30 the same day (the clock skipped one).
        (datetime(2026, 3, 29, 3, 30, tzinfo=OSLO), 30, TWO_HOURS, "i dag kl. 03.30", "kl. 03.30\u201304.00"),
        # Fall back, Sunday 25 October 2026: the first 02:30 (summer time) + 60 minutes is the second 02:30.
        (datetime(2026, 10, 25, 2, 30, tzinfo=OSLO), 60, DAY, "i morgen kl. 02.30", "kl. 02.30\u201302.30"),
        # 24 hours before 00:30 on the Monday after the long Sunday is 01:30 on Sunday: still tomorrow.
        (datetime(2026, 10, 26, 0, 30, tzinfo=OSLO), 60, DAY, "i morgen kl. 00.30", "kl. 00.30\u201301.30"),
    ],
)
def test_dates_across_daylight_saving(starts: datetime, minutes: int, lead: int, subject_when: str, span: str) -> None:
    subject, text, _ = reminder_message("nb", **facts(starts_at_local=starts, minutes=minutes, lead_minutes=lead))
    assert subject == f"Påminnelse: Praktisk bistand {subject_when}"
    assert span in text


def test_a_start_in_utc_is_shown_as_given() -> None:
    _, text, _ = reminder_message("nb", **facts(starts_at_local=datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("UTC"))))
    assert "tirsdag 24. november kl. 09.00\u201310.00" in text


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        reminder_message("nb", **facts(starts_at_local=datetime(2026, 11, 24, 10, 0)))  # noqa: DTZ001


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_every_value() -> None:
    evil = '<script>alert("x")</script> & Co'
    _, _, html = reminder_message(
        "nb",
        **facts(
            recipient_name=evil, service_name=evil, department_name=evil, department_phone=evil,
            manage_url='https://x.no/?a=1&b="><script>',
        ),
    )  # fmt: skip
    assert "<script>" not in html
    parsed = _Collect()
    parsed.feed(html)
    assert "script" not in parsed.tags
    assert parsed.tags[:1] == ["html"]
    assert {"h1", "h2", "title", "a"} <= set(parsed.tags)
    assert parsed.hrefs == ['https://x.no/?a=1&b="><script>']  # the parser unescapes what was escaped
    text = "".join(parsed.text)
    assert "Hei, " + evil + "." in text
    assert f"Ring {evil} på {evil}." in text


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_sms_fits_one_message(language: str) -> None:
    text = sms_text(language, **facts())
    assert len(text) <= SMS_LENGTH
    assert "https://timebestilling.kommune.no/" in text
    assert "12 34 56 78" in text
    assert "\u2013" not in text  # not in the GSM alphabet: it would make the SMS UCS-2 (70 characters)


def test_sms_in_bokmal() -> None:
    assert sms_text("nb", **facts(lead_minutes=TWO_HOURS)) == (
        "Påminnelse: Praktisk bistand i dag kl. 10.00, Hjemmetjenesten Nord. "
        "Endre eller avbestill: https://timebestilling.kommune.no/ Spørsmål: ring 12 34 56 78."
    )


def test_long_sms_drops_the_phone_but_keeps_the_link() -> None:
    text = sms_text("nb", **facts(department_name="Hjemmetjenesten i bydel Nordre Aker, sone øst og vest"))
    assert "ring" not in text
    assert text.endswith("https://timebestilling.kommune.no/")


def test_service_names_by_language_pick_the_readers() -> None:
    names = {"nb": "Praktisk bistand", "nn": "Praktisk bistand", "en": "Practical assistance"}
    assert reminder_message("en", **facts(service_name=names))[0] == "Reminder: Practical assistance tomorrow at 10:00"
    only_nb = {"nb": "Avlastning"}
    assert reminder_message("nn", **facts(service_name=only_nb))[0] == "Påminning: Avlastning i morgon kl. 10.00"
