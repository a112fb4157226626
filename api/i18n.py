"""The request's language: bokmål unless the client asks for nynorsk or English."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request

Language = Literal["nb", "nn", "en"]
DEFAULT_LANGUAGE: Language = "nb"
_ALIASES: dict[str, Language] = {"nb": "nb", "no": "nb", "nn": "nn", "en": "en"}


def negotiate(accept_language: str | None) -> Language:
    """Pick the best supported language from an `Accept-Language` header (RFC 9110 q-values)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, Language]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in _ALIASES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, _ALIASES[primary]))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def request_language(request: Request[Any, Any, Any]) -> Language:
    """Dependency `language`: the language of the current request."""
    return negotiate(request.headers.get("accept-language"))
