"""Data access: table definitions, engines, readers."""
