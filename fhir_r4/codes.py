"""Systems and codes the FHIR interface uses."""

from __future__ import annotations

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"
# The Norwegian national identity number and D number (no-basis: identifier systems for Patient).
NATIONAL_ID_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
D_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
PATIENT_SYSTEMS = frozenset({NATIONAL_ID_SYSTEM, D_NUMBER_SYSTEM})
# A problem's code in this system; the problem type URI is `<system>:<code>`, as in /api/v1's problem details.
PROBLEM_SYSTEM = "urn:tjenesteshop:problem"
URI_SYSTEM = "urn:ietf:rfc:3986"  # FHIR's system for a code that is a URI: here the problem type URI
BOOKING_STATUS_SYSTEM = "urn:tjenesteshop:booking-status"
SLOT_REASON_SYSTEM = "urn:tjenesteshop:slot-reason"

# Bookings' statuses as Appointment.status (a late cancellation is cancelled, with the reason said).
APPOINTMENT_STATUS = {
    "booked": "booked",
    "cancelled": "cancelled",
    "late_cancelled": "cancelled",
    "delivered": "fulfilled",
    "no_show": "noshow",
}
BOOKING_STATUSES_OF = {
    "booked": ("booked",),
    "cancelled": ("cancelled", "late_cancelled"),
    "fulfilled": ("delivered",),
    "noshow": ("no_show",),
}
# Free-times statuses as Slot.status: what stops this recipient is `busy-unavailable`, with the reason in a code.
SLOT_STATUS = {"free": "free", "busy": "busy", "yours": "busy", "no_hours": "busy-unavailable",
               "too_soon": "busy-unavailable"}  # fmt: skip
SLOT_STATUSES = frozenset({"free", "busy", "busy-unavailable"})
