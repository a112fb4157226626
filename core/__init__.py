"""What every domain stands on: settings, database, clock and base errors."""
