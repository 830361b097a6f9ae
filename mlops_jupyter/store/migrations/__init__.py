"""Alembic migrations of the SQL run store (run by ``SqlRunStore``, not imported)."""
