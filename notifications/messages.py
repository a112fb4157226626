"""Reminder texts in bokmål, nynorsk and English: subject, plain text, HTML and a short SMS text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlsplit

LANGUAGES = ("nb", "nn", "en")
ServiceName = str | Mapping[str, str]  # one name, or names by language as in `Service.name`
_NORWEGIAN_PHONE = re.compile(r"(?:\+47|0047)?(\d{8})")
SMS_LENGTH = 160  # one SMS; longer texts are split and cost more, so optional parts are dropped first

_WEEKDAYS = {
    "nb": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "nn": ("måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag", "sundag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_NO_MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november",
    "desember",
)  # fmt: skip
_MONTHS = {
    "nb": _NO_MONTHS,
    "nn": _NO_MONTHS,
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class _Words:
    """The words of one language; `{...}` fields are filled in by `str.format`."""

    reminder: str
    today: str
    tomorrow: str
    at: str  # before a time: "kl. 10.00", "at 10:00"
    time_sep: str  # between hours and minutes
    hello_you: str
    hello: str
    intro_you: str
    intro_other: str
    manage: str
    manage_link: str
    call: str
    regards: str
    no_reply: str
    hour: tuple[str, str]  # singular, plural
    minute: tuple[str, str]
    and_: str
    sms_you: str
    sms_other: str
    sms_manage: str
    sms_call: str


_WORDS = {
    "nb": _Words(
        reminder="Påminnelse", today="i dag", tomorrow="i morgen", at="kl.", time_sep=".",
        hello_you="Hei, {name}.", hello="Hei.",
        intro_you="Dette er en påminnelse om at du har time hos {department}.",
        intro_other="Dette er en påminnelse om at {name} har time hos {department}.",
        manage="Du kan se, flytte eller avbestille timen her:", manage_link="Se, flytt eller avbestill timen",
        call="Lurer du på noe? Ring {department} på {phone}.", regards="Hilsen",
        no_reply="Denne meldingen kan ikke besvares.", hour=("time", "timer"), minute=("minutt", "minutter"),
        and_="og", sms_you="Påminnelse: {service} {when}, {department}.",
        sms_other="Påminnelse: {name} har {service} {when}, {department}.",
        sms_manage="Endre eller avbestill: {url}", sms_call="Spørsmål: ring {phone}.",
    ),
    "nn": _Words(
        reminder="Påminning", today="i dag", tomorrow="i morgon", at="kl.", time_sep=".",
        hello_you="Hei, {name}.", hello="Hei.",
        intro_you="Dette er ei påminning om at du har time hos {department}.",
        intro_other="Dette er ei påminning om at {name} har time hos {department}.",
        manage="Du kan sjå, flytte eller avbestille timen her:", manage_link="Sjå, flytt eller avbestill timen",
        call="Lurer du på noko? Ring {department} på {phone}.", regards="Helsing",
        no_reply="Denne meldinga kan ikkje svarast på.", hour=("time", "timar"), minute=("minutt", "minutt"),
        and_="og", sms_you="Påminning: {service} {when}, {department}.",
        sms_other="Påminning: {name} har {service} {when}, {department}.",
        sms_manage="Endre eller avbestill: {url}", sms_call="Spørsmål: ring {phone}.",
    ),
    "en": _Words(
        reminder="Reminder", today="today", tomorrow="tomorrow", at="at", time_sep=":",
        hello_you="Hello {name},", hello="Hello,",
        intro_you="This is a reminder that you have an appointment with {department}.",
        intro_other="This is a reminder that {name} has an appointment with {department}.",
        manage="You can see, move or cancel the appointment here:", manage_link="See, move or cancel the appointment",
        call="Any questions? Call {department} on {phone}.", regards="Kind regards",
        no_reply="Please do not reply to this message.", hour=("hour", "hours"), minute=("minute", "minutes"),
        and_="and", sms_you="Reminder: {service} {when}, {department}.",
        sms_other="Reminder: {name} has {service} {when}, {department}.",
        sms_manage="Change or cancel: {url}", sms_call="Questions: call {phone}.",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class _Visit:
    """What every text says, in one language."""

    language: str
    words: _Words
    name: str
    for_someone_else: bool
    service: str
    department: str
    phone: str | None
    date: str  # "tirsdag 24. november"
    span: str  # "kl. 10.00-11.00" (with an en dash)
    relative: str  # "i morgen kl. 10.00", or the date when the visit is further off
    duration: str  # "1 time og 30 minutter"
    url: str | None


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "nb"


def _service_name(name: ServiceName, language: str) -> str:
    """The name in the reader's language when given per language (`Service.name`), else in bokmål."""
    if isinstance(name, str):
        return name.strip()
    return (name.get(language) or name.get("nb") or next(iter(name.values()), "")).strip()


def _clock(moment: datetime, words: _Words) -> str:
    return f"{moment.hour:02d}{words.time_sep}{moment.minute:02d}"


def _date(moment: datetime, language: str) -> str:
    weekday, month = _WEEKDAYS[language][moment.weekday()], _MONTHS[language][moment.month - 1]
    return f"{weekday} {moment.day} {month}" if language == "en" else f"{weekday} {moment.day}. {month}"


def _duration(minutes: int, words: _Words) -> str:
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} {words.hour[hours != 1]}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} {words.minute[rest != 1]}")
    return f" {words.and_} ".join(parts)


def _phone(phone: str | None) -> str | None:
    """A Norwegian number in pairs ("12 34 56 78"), read well by screen readers; any other as given."""
    if not phone or not phone.strip():
        return None
    match = _NORWEGIAN_PHONE.fullmatch(phone.replace(" ", "").replace("-", ""))
    if match is None:
        return phone.strip()
    digits = match.group(1)
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _safe_url(url: str | None) -> str | None:
    """The link, if it is an http(s) URL (never a `javascript:` one)."""
    return url if url and urlsplit(url).scheme in {"http", "https"} else None


def _visit(  # noqa: PLR0913 - the message's facts, keyword-only
    language: str | None,
    *,
    recipient_name: str,
    for_someone_else: bool,
    service_name: ServiceName,
    department_name: str,
    department_phone: str | None,
    starts_at_local: datetime,
    minutes: int,
    lead_minutes: int,
    manage_url: str | None,
) -> _Visit:
    if starts_at_local.tzinfo is None:
        raise ValueError("starts_at_local must carry its time zone")
    lang = _language(language)
    words, zone = _WORDS[lang], starts_at_local.tzinfo
    # Aware arithmetic in UTC: Python adds wall-clock time within one zone, which is wrong across DST.
    start_utc = starts_at_local.astimezone(UTC)
    end = (start_utc + timedelta(minutes=minutes)).astimezone(zone)
    sent = (start_utc - timedelta(minutes=lead_minutes)).astimezone(zone)
    days_ahead = (starts_at_local.date() - sent.date()).days
    date, start = _date(starts_at_local, lang), _clock(starts_at_local, words)
    day = {0: words.today, 1: words.tomorrow}.get(days_ahead, date)
    return _Visit(
        language=lang, words=words, name=recipient_name.strip(), for_someone_else=for_someone_else,
        service=_service_name(service_name, lang), department=department_name.strip(), phone=_phone(department_phone),
        date=date, span=f"{words.at} {start}\u2013{_clock(end, words)}", relative=f"{day} {words.at} {start}",
        duration=_duration(minutes, words), url=_safe_url(manage_url),
    )  # fmt: skip


def _subject(visit: _Visit) -> str:
    return f"{visit.words.reminder}: {visit.service} {visit.relative}"


def _plain(visit: _Visit) -> str:
    words = visit.words
    intro = words.intro_other if visit.for_someone_else else words.intro_you
    paragraphs = [
        words.hello if visit.for_someone_else else words.hello_you.format(name=visit.name),
        intro.format(name=visit.name, department=visit.department),
        f"{visit.service}\n{visit.date} {visit.span} ({visit.duration})",
    ]
    if visit.url:
        paragraphs.append(f"{words.manage}\n{visit.url}")
    if visit.phone:
        paragraphs.append(words.call.format(department=visit.department, phone=visit.phone))
    paragraphs += [f"{words.regards}\n{visit.department}", words.no_reply]
    return "\n\n".join(paragraphs) + "\n"


def _html(visit: _Visit) -> str:
    words, e = visit.words, escape
    intro = words.intro_other if visit.for_someone_else else words.intro_you
    greeting = words.hello if visit.for_someone_else else words.hello_you.format(name=visit.name)
    body = [
        f"<h1>{e(words.reminder)}</h1>",
        f"<p>{e(greeting)}</p>",
        f"<p>{e(intro.format(name=visit.name, department=visit.department))}</p>",
        f"<h2>{e(visit.service)}</h2>",
        f"<p><strong>{e(visit.date)} {e(visit.span)}</strong><br>({e(visit.duration)})</p>",
    ]
    if visit.url:
        body.append(f'<p><a href="{e(visit.url)}">{e(words.manage_link)}</a></p>')
    if visit.phone:
        body.append(f"<p>{e(words.call.format(department=visit.department, phone=visit.phone))}</p>")
    body += [f"<p>{e(words.regards)}<br>{e(visit.department)}</p>", f"<p><small>{e(words.no_reply)}</small></p>"]
    return (
        f'<!DOCTYPE html>\n<html lang="{visit.language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(_subject(visit))}</title>\n</head>\n"
        '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 18px; line-height: 1.5; '
        'color: #1e1e1e; background: #ffffff; max-width: 40em; margin: 0 auto; padding: 16px;">\n'
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def reminder_message(  # noqa: PLR0913 - the message's facts, keyword-only
    language: str | None,
    *,
    recipient_name: str,
    for_someone_else: bool,
    service_name: ServiceName,
    department_name: str,
    department_phone: str | None,
    starts_at_local: datetime,
    minutes: int,
    lead_minutes: int,
    manage_url: str | None,
) -> tuple[str, str, str]:
    """The reminder of one visit, for e-mail: subject, plain text and HTML.

    Args:
        language: `nb`, `nn` or `en`; anything else gets bokmål.
        recipient_name: the recipient's given name.
        for_someone_else: the reader is a proxy: the text names the recipient instead of saying "you".
        service_name: the service (a name, or names by language as in `Service.name`), the only thing
            about the care the text names.
        department_name: who the visit is with, and who signs.
        department_phone: the number to call with questions; left out when unknown.
        starts_at_local: the visit's start in the department's zone (aware).
        minutes: the visit's length.
        lead_minutes: how long before the start the reminder goes out ("today", "tomorrow" or the date).
        manage_url: where the visit can be seen, moved or cancelled; only an http(s) URL is linked.

    Returns:
        `(subject, text, html)`; the HTML escapes every value and carries the language in `lang`.

    """
    visit = _visit(
        language, recipient_name=recipient_name, for_someone_else=for_someone_else, service_name=service_name,
        department_name=department_name, department_phone=department_phone, starts_at_local=starts_at_local,
        minutes=minutes, lead_minutes=lead_minutes, manage_url=manage_url,
    )  # fmt: skip
    return _subject(visit), _plain(visit), _html(visit)


def sms_text(  # noqa: PLR0913 - the same facts as `reminder_message`
    language: str | None,
    *,
    recipient_name: str,
    for_someone_else: bool,
    service_name: ServiceName,
    department_name: str,
    department_phone: str | None,
    starts_at_local: datetime,
    minutes: int,
    lead_minutes: int,
    manage_url: str | None,
) -> str:
    """The reminder as one short text (SMS, Web Push), 160 characters where the names allow.

    Takes the same arguments as `reminder_message`. The phone number is left out when the text would
    pass 160 characters. It uses only characters of the GSM alphabet (æ, ø and å are in it, the en dash
    is not) as long as the names do, so one SMS holds all 160.
    """
    visit = _visit(
        language, recipient_name=recipient_name, for_someone_else=for_someone_else, service_name=service_name,
        department_name=department_name, department_phone=department_phone, starts_at_local=starts_at_local,
        minutes=minutes, lead_minutes=lead_minutes, manage_url=manage_url,
    )  # fmt: skip
    words = visit.words
    text = (words.sms_other if visit.for_someone_else else words.sms_you).format(
        name=visit.name, service=visit.service, when=visit.relative, department=visit.department
    )
    if visit.url:  # the link stays even past 160: it is what the reader needs to act
        text += " " + words.sms_manage.format(url=visit.url)
    call = words.sms_call.format(phone=visit.phone) if visit.phone else ""
    return f"{text} {call}" if call and len(text) + 1 + len(call) <= SMS_LENGTH else text
