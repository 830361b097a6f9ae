"""The model lifecycle: registry (models, versions, aliases), the hash-chained event log,
and the lineage edges of runs (backfilled from the runs already stored).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
import os

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _text() -> sa.types.TypeEngine[str]:
    # Code point order on PostgreSQL, as on SQLite (see 0001).
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _string(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("store_state") as batch:
        batch.add_column(sa.Column("event_seq", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("event_hash", _string(64), nullable=False, server_default=""))
    op.create_table(
        "models",
        sa.Column("name", _text(), primary_key=True),
        sa.Column("description", _text(), nullable=False),
        sa.Column("tags", _text(), nullable=False),
        sa.Column("policy", _text(), nullable=True),
        sa.Column("created_at", _string(32), nullable=False),
        sa.Column("created_by", _text(), nullable=False),
    )
    op.create_table(
        "model_versions",
        sa.Column(
            "model",
            _text(),
            sa.ForeignKey("models.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("run_id", _string(64), nullable=True),
        sa.Column("manifest_sha256", _string(64), nullable=False),
        sa.Column("flavor", _string(32), nullable=False),
        sa.Column("signature", _text(), nullable=True),
        sa.Column("description", _text(), nullable=False),
        sa.Column("tags", _text(), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("created_at", _string(32), nullable=False),
        sa.Column("created_by", _text(), nullable=False),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_index("ix_model_versions_manifest", "model_versions", ["manifest_sha256"])
    op.create_table(
        "model_aliases",
        sa.Column(
            "model",
            _text(),
            sa.ForeignKey("models.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("alias", _string(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", _string(32), nullable=False),
    )
    op.create_table(
        "lifecycle_events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", _string(32), nullable=False),
        sa.Column("actor", _text(), nullable=False),
        sa.Column("kind", _string(32), nullable=False),
        sa.Column("model", _text(), nullable=True),
        sa.Column("alias", _string(64), nullable=True),
        sa.Column("from_version", sa.Integer, nullable=True),
        sa.Column("to_version", sa.Integer, nullable=True),
        sa.Column("reason", _text(), nullable=True),
        sa.Column("payload", _text(), nullable=True),
        sa.Column("prev_hash", _string(64), nullable=False),
        sa.Column("hash", _string(64), nullable=False),
    )
    op.create_index(
        "ix_lifecycle_events_model_alias_seq", "lifecycle_events", ["model", "alias", "seq"]
    )
    op.create_index("ix_lifecycle_events_kind_seq", "lifecycle_events", ["kind", "seq"])
    edges = op.create_table(
        "lineage_edges",
        sa.Column("src_kind", _string(16), primary_key=True),
        sa.Column("src", _text(), primary_key=True),
        sa.Column("dst_kind", _string(16), primary_key=True),
        sa.Column("dst", _text(), primary_key=True),
        sa.Column("relation", _string(32), primary_key=True),
    )
    op.create_index("ix_lineage_edges_dst", "lineage_edges", ["dst_kind", "dst"])
    _backfill(edges)


def _backfill(edges: sa.Table) -> None:
    """The lineage of the runs already stored (the store writes it for new runs)."""
    conn = op.get_bind()
    result = conn.execute(
        sa.text("SELECT id, record, reproduction_of, sweep_id FROM runs")
    ).yield_per(1000)
    batch: list[dict[str, str]] = []
    for run_id, record, reproduction_of, sweep_id in result:
        try:
            data = json.loads(record)
        except ValueError:
            continue
        batch.extend(_edges(run_id, data, reproduction_of, sweep_id))
        if len(batch) >= 5000:
            conn.execute(edges.insert(), batch)
            batch = []
    if batch:
        conn.execute(edges.insert(), batch)


def _edges(
    run_id: str, data: dict[str, object], reproduction_of: str | None, sweep_id: str | None
) -> list[dict[str, str]]:
    # The same edges the store writes for a run (store/sql/rows.py: lineage_rows), from the
    # record as 0002 stored it.
    found: dict[tuple[str, str, str], None] = {}
    notebook = _mapping(data.get("notebook"))
    base = notebook.get("path")
    extra = _mapping(data.get("extra"))
    base_dir = os.path.dirname(base) if isinstance(base, str) and base else extra.get("cwd")
    inputs = data.get("inputs")
    for record in inputs if isinstance(inputs, list) else []:
        if not isinstance(record, dict):
            continue
        sha, path = record.get("sha256"), record.get("path")
        if isinstance(sha, str) and sha:
            found[("data", sha, "input")] = None
        if isinstance(path, str) and path and isinstance(base_dir, str):
            found[("file", os.path.normpath(os.path.join(base_dir, path)), "input")] = None
    snapshot = notebook.get("snapshot_sha256")
    if isinstance(snapshot, str) and snapshot:
        found[("snapshot", snapshot, "code")] = None
    commit = _mapping(data.get("git")).get("commit")
    if isinstance(commit, str) and commit:
        found[("commit", commit, "code")] = None
    if reproduction_of:
        found[("run", reproduction_of, "reproduction")] = None
    if sweep_id:
        found[("sweep", sweep_id, "sweep")] = None
    return [
        {"src_kind": kind, "src": src, "dst_kind": "run", "dst": run_id, "relation": relation}
        for kind, src, relation in found
    ]


def _mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def downgrade() -> None:
    op.drop_index("ix_lineage_edges_dst", table_name="lineage_edges")
    op.drop_table("lineage_edges")
    op.drop_index("ix_lifecycle_events_kind_seq", table_name="lifecycle_events")
    op.drop_index("ix_lifecycle_events_model_alias_seq", table_name="lifecycle_events")
    op.drop_table("lifecycle_events")
    op.drop_table("model_aliases")
    op.drop_index("ix_model_versions_manifest", table_name="model_versions")
    op.drop_index("ix_model_versions_run_id", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("models")
    with op.batch_alter_table("store_state") as batch:
        batch.drop_column("event_hash")
        batch.drop_column("event_seq")
