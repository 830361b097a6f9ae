"""Idempotency keys: a lifecycle action that must happen once (a trigger firing for one
cause) claims its key in the same transaction as its event; a second claim fails.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _string(length: int) -> sa.types.TypeEngine[str]:
    # Code point order on PostgreSQL, as on SQLite (see 0001).
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", _string(200), primary_key=True),
        sa.Column("event_seq", sa.BigInteger, nullable=False),
        sa.Column("created_at", _string(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
