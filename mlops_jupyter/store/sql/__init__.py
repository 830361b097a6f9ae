"""The SQL backend of the run store: SQLite by default, PostgreSQL for teams.

* :mod:`.database` -- engine, transactions with retry, migrations;
* :mod:`.faults` -- what a database error means (one translator for every SQL path);
* :mod:`.statements` -- the fixed statements, compiled once per dialect;
* :mod:`.rows` -- how a run is laid out in rows, columns and blobs;
* :mod:`.listing` -- filters, sort keys and pages compiled to SQL;
* :mod:`.store` -- :class:`SqlRunStore`, the store contract on top of them.
"""

from __future__ import annotations

from ..schema import SCHEMA_REVISION
from .database import MIGRATIONS_DIR, alembic_config
from .store import SqlRunStore

__all__ = ["MIGRATIONS_DIR", "SCHEMA_REVISION", "SqlRunStore", "alembic_config"]
