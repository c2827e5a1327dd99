"""Live visits (实时): today's visits as they happen, and a cursor to learn of changes without reloading."""
