"""Request and response schemas (msgspec structs: typed, fast, and in the OpenAPI schema)."""
