"""FHIR R4: mapping bookings, services and free times to FHIR resources and reading FHIR searches. No HTTP here."""
