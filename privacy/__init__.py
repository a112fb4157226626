"""Data-protection duties: a person's copy of their data, rectification of contact data, retention."""
