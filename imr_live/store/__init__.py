"""Storage backends: SQLite (embedded default) and PostgreSQL (shared, multi-node)."""
