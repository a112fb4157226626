"""Browser security headers on every answer: a CSP without inline script, no framing, no sniffing, HSTS on https."""

from __future__ import annotations

from core.settings import Settings

# Scripts, styles, fonts and API calls only from this origin; no inline script or style anywhere (the web app,
# the plain pages and the API documentation all load files). `data:` images: the calendar's QR code and icons
# in Designsystemet's and Swagger UI's style sheets; `data:` fonts: small font subsets Vite inlines.
_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(_DIRECTIVES)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every answer carries (`api.middleware.response_headers` adds them, to problems too)."""
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",  # never a path (ids, feed tokens) to another site
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if settings.https:
        headers["strict-transport-security"] = HSTS
    return headers
