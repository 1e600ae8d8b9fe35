"""Django's SQLite backend, binding integers as PostgreSQL compares them (core/sqlite/base.py)."""
