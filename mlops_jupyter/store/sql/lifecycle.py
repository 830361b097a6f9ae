"""The lifecycle store on SQL: models, versions, aliases, the hash-chained log, lineage.

Every write that appends to the log takes the log's lock first (on SQLite the write
transaction's ``BEGIN IMMEDIATE`` excludes every other writer; on PostgreSQL an advisory
transaction lock does), reads the head from ``store_state``, inserts the event with the next
sequence number and the chained hash, and moves the head, in the same transaction as the
change it records: a fact and its event commit together or not at all.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ...errors import ConflictError, InvalidArgumentError, NotFoundError
from ...models import format_datetime, parse_datetime, utcnow
from ..lifecycle import (
    ANY,
    THIS_EVENT,
    Edge,
    Event,
    Guard,
    GuardRefusedError,
    LifecycleStore,
    LogView,
    ModelRecord,
    NewVersion,
    VersionRecord,
    canonical_payload,
    check_alias,
    check_model_name,
    event_hash,
)
from ..schema import (
    idempotency_keys,
    lifecycle_events,
    lineage_edges,
    model_aliases,
    model_versions,
    models,
    store_state,
)
from .database import Database
from .rows import storable_text
from .statements import chunks

__all__ = ["SqlLifecycle", "read_head", "read_log", "read_manifests"]

# Arbitrary constant naming the log's lock among PostgreSQL advisory locks.
_PG_LOG_LOCK_ID = 0x6D6C6F7074
_Row = Any


def _tags(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    data = json.loads(text)
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _model(row: _Row) -> ModelRecord:
    return ModelRecord(
        name=row.name,
        description=row.description,
        tags=_tags(row.tags),
        policy=None if row.policy is None else json.loads(row.policy),
        created_at=parse_datetime(row.created_at),
        created_by=row.created_by,
    )


def _version(row: _Row) -> VersionRecord:
    return VersionRecord(
        model=row.model,
        version=int(row.version),
        run_id=row.run_id,
        manifest_sha256=row.manifest_sha256,
        flavor=row.flavor,
        signature=None if row.signature is None else json.loads(row.signature),
        description=row.description,
        tags=_tags(row.tags),
        size=int(row.size),
        files=int(row.files),
        created_at=parse_datetime(row.created_at),
        created_by=row.created_by,
    )


def _event(row: _Row) -> Event:
    return Event(
        seq=int(row.seq),
        at=row.at,
        actor=row.actor,
        kind=row.kind,
        model=row.model,
        alias=row.alias,
        from_version=None if row.from_version is None else int(row.from_version),
        to_version=None if row.to_version is None else int(row.to_version),
        reason=row.reason,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _text_tags(tags: dict[str, str] | None) -> str:
    return json.dumps({str(k): str(v) for k, v in (tags or {}).items()}, sort_keys=True)


def read_log(conn: Connection) -> list[Event]:
    """Every event, by sequence number (for checks, over any connection)."""
    return [
        _event(r) for r in conn.execute(select(lifecycle_events).order_by(lifecycle_events.c.seq))
    ]


def read_head(conn: Connection) -> tuple[int, str]:
    """The log's head as recorded beside it."""
    row = conn.execute(
        select(store_state.c.event_seq, store_state.c.event_hash).where(store_state.c.id == 1)
    ).one()
    return int(row.event_seq), str(row.event_hash)


def read_manifests(conn: Connection) -> list[tuple[str, int, str]]:
    """``(model, version, manifest sha256)`` of every version."""
    rows = conn.execute(
        select(model_versions.c.model, model_versions.c.version, model_versions.c.manifest_sha256)
    )
    return [(str(m), int(v), str(sha)) for m, v, sha in rows]


def _events(
    conn: Connection,
    *,
    model: str | None = None,
    alias: str | None = None,
    kinds: Sequence[str] | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[Event]:
    query = select(lifecycle_events).where(lifecycle_events.c.seq > after)
    if model is not None:
        query = query.where(lifecycle_events.c.model == model)
    if alias is not None:
        query = query.where(lifecycle_events.c.alias == alias)
    if kinds:
        query = query.where(lifecycle_events.c.kind.in_(list(kinds)))
    query = query.order_by(lifecycle_events.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [_event(row) for row in conn.execute(query)]


def _aliases(conn: Connection, model: str) -> dict[str, int]:
    rows = conn.execute(
        select(model_aliases.c.alias, model_aliases.c.version)
        .where(model_aliases.c.model == model)
        .order_by(model_aliases.c.alias)
    )
    return {str(a): int(v) for a, v in rows}


class _ConnView(LogView):
    """The log as a guard sees it: inside the move's transaction, under its lock."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def events(
        self,
        *,
        model: str | None = None,
        alias: str | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[Event]:
        return _events(self.conn, model=model, alias=alias, kinds=kinds)

    def aliases(self, model: str) -> dict[str, int]:
        return _aliases(self.conn, model)


class SqlLifecycle(LifecycleStore):
    """The lifecycle store of a SQL database (shared with the runs).

    Args:
        database: The store's database.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- the log ------------------------------------------------------------------------------

    def _lock_log(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOG_LOCK_ID})")

    def _append(
        self,
        conn: Connection,
        kind: str,
        *,
        actor: str,
        model: str | None = None,
        alias: str | None = None,
        from_version: int | None = None,
        to_version: int | None = None,
        reason: str | None = None,
        payload: Any = None,
    ) -> Event:
        """Append an event inside the caller's write transaction (the lock held)."""
        self._lock_log(conn)
        head = conn.execute(
            select(store_state.c.event_seq, store_state.c.event_hash).where(store_state.c.id == 1)
        ).one()
        seq = int(head.event_seq) + 1
        draft = Event(
            seq=seq,
            at=format_datetime(utcnow()),
            actor=storable_text(actor or "unknown"),
            kind=kind,
            model=model,
            alias=alias,
            from_version=from_version,
            to_version=to_version,
            reason=None if reason is None else storable_text(reason),
            payload=canonical_payload(payload),
            prev_hash=head.event_hash,
            hash="",
        )
        event = dataclasses.replace(draft, hash=event_hash(draft))
        conn.execute(lifecycle_events.insert().values(**dataclasses.asdict(event)))
        conn.execute(
            update(store_state)
            .where(store_state.c.id == 1)
            .values(event_seq=seq, event_hash=event.hash, change_seq=store_state.c.change_seq + 1)
        )
        return event

    def append_event(
        self,
        kind: str,
        *,
        actor: str,
        model: str | None = None,
        alias: str | None = None,
        from_version: int | None = None,
        to_version: int | None = None,
        reason: str | None = None,
        payload: Any = None,
        edges: Sequence[Edge] = (),
        unique_key: str | None = None,
        guard: Callable[[LogView], list[str]] | None = None,
    ) -> Event:
        """Append one event (see :meth:`LifecycleStore.append_event`)."""
        if unique_key is not None and (not unique_key or len(unique_key) > 200):
            raise InvalidArgumentError("an idempotency key is 1 to 200 characters")
        refused: list[str] = []

        def write(conn: Connection) -> Event | None:
            self._lock_log(conn)
            if guard is not None:
                refused[:] = guard(_ConnView(conn))
                if refused:
                    return None
            if unique_key is not None:
                taken = conn.execute(
                    select(idempotency_keys.c.event_seq).where(idempotency_keys.c.key == unique_key)
                ).first()
                if taken is not None:
                    raise ConflictError(
                        f"already done: {unique_key!r:.100} was claimed by event {taken[0]}"
                    )
            event = self._append(
                conn,
                kind,
                actor=actor,
                model=model,
                alias=alias,
                from_version=from_version,
                to_version=to_version,
                reason=reason,
                payload=payload,
            )
            if edges:
                mine = str(event.seq)
                rows = [
                    {
                        "src_kind": e.src_kind,
                        "src": storable_text(mine if e.src == THIS_EVENT else e.src),
                        "dst_kind": e.dst_kind,
                        "dst": storable_text(mine if e.dst == THIS_EVENT else e.dst),
                        "relation": e.relation,
                    }
                    for e in dict.fromkeys(edges)
                ]
                conn.execute(lineage_edges.insert(), rows)
            if unique_key is not None:
                conn.execute(
                    idempotency_keys.insert().values(
                        key=unique_key, event_seq=event.seq, created_at=event.at
                    )
                )
            return event

        appended = self.database.transact(write, write=True)
        if appended is None:
            raise GuardRefusedError(refused, None)
        return appended

    def events(
        self,
        *,
        model: str | None = None,
        alias: str | None = None,
        kinds: Sequence[str] | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> list[Event]:
        """Events, oldest first (see :meth:`LifecycleStore.events`)."""

        def read(conn: Connection) -> list[Event]:
            return _events(conn, model=model, alias=alias, kinds=kinds, after=after, limit=limit)

        return self.database.transact(read, write=False)

    def event_head(self) -> tuple[int, str]:
        """The log's head (see :meth:`LifecycleStore.event_head`)."""
        return self.database.transact(read_head, write=False)

    # -- models -------------------------------------------------------------------------------

    def _ensure_model(
        self,
        conn: Connection,
        name: str,
        actor: str,
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> ModelRecord:
        check_model_name(name)
        row = conn.execute(select(models).where(models.c.name == name)).first()
        if row is not None:
            return _model(row)
        values = {
            "name": name,
            "description": storable_text(description),
            "tags": _text_tags(tags),
            "policy": None,
            "created_at": format_datetime(utcnow()),
            "created_by": storable_text(actor or "unknown"),
        }
        conn.execute(models.insert().values(**values))
        self._append(conn, "model_registered", actor=actor, model=name)
        return _model(SimpleNamespace(**values))

    def ensure_model(
        self, name: str, *, actor: str, description: str = "", tags: dict[str, str] | None = None
    ) -> ModelRecord:
        """The model, registered now if new (see :meth:`LifecycleStore.ensure_model`)."""
        return self.database.transact(
            lambda conn: self._ensure_model(conn, name, actor, description, tags), write=True
        )

    def get_model(self, name: str) -> ModelRecord:
        """One model (see :meth:`LifecycleStore.get_model`)."""

        def read(conn: Connection) -> ModelRecord:
            row = conn.execute(select(models).where(models.c.name == name)).first()
            if row is None:
                raise NotFoundError(f"model {name!r} not found")
            return _model(row)

        return self.database.transact(read, write=False)

    def list_models(self) -> list[ModelRecord]:
        """Every model (see :meth:`LifecycleStore.list_models`)."""

        def read(conn: Connection) -> list[ModelRecord]:
            return [_model(r) for r in conn.execute(select(models).order_by(models.c.name))]

        return self.database.transact(read, write=False)

    def set_policy(
        self, name: str, policy: dict[str, Any] | None, *, actor: str, reason: str | None
    ) -> ModelRecord:
        """Set a model's policy (see :meth:`LifecycleStore.set_policy`)."""

        def write(conn: Connection) -> ModelRecord:
            row = conn.execute(select(models).where(models.c.name == name)).first()
            if row is None:
                raise NotFoundError(f"model {name!r} not found")
            text = canonical_payload(policy)
            conn.execute(update(models).where(models.c.name == name).values(policy=text))
            self._append(conn, "policy_set", actor=actor, model=name, reason=reason, payload=policy)
            fresh = conn.execute(select(models).where(models.c.name == name)).one()
            return _model(fresh)

        return self.database.transact(write, write=True)

    # -- versions -----------------------------------------------------------------------------

    def create_version(self, model: str, new: NewVersion, *, actor: str) -> VersionRecord:
        """Register the next version (see :meth:`LifecycleStore.create_version`)."""

        def write(conn: Connection) -> VersionRecord:
            self._lock_log(conn)  # numbers versions one at a time, across processes
            self._ensure_model(conn, model, actor)
            last = conn.execute(
                select(func.max(model_versions.c.version)).where(model_versions.c.model == model)
            ).scalar()
            number = int(last or 0) + 1
            values = {
                "model": model,
                "version": number,
                "run_id": new.run_id,
                "manifest_sha256": new.manifest_sha256,
                "flavor": new.flavor,
                "signature": canonical_payload(new.signature),
                "description": storable_text(new.description),
                "tags": _text_tags(new.tags),
                "size": int(new.size),
                "files": int(new.files),
                "created_at": format_datetime(utcnow()),
                "created_by": storable_text(actor or "unknown"),
            }
            conn.execute(model_versions.insert().values(**values))
            ref = f"{model}/{number}"
            edges = [
                {"src_kind": "data", "src": sha, "dst_kind": "version", "dst": ref,
                 "relation": "file"}
                for sha in dict.fromkeys(new.file_shas)
            ]  # fmt: skip
            if new.run_id:
                edges.append(
                    {"src_kind": "run", "src": new.run_id, "dst_kind": "version", "dst": ref,
                     "relation": "registered"}
                )  # fmt: skip
            if edges:
                conn.execute(lineage_edges.insert(), edges)
            self._append(
                conn,
                "version_registered",
                actor=actor,
                model=model,
                to_version=number,
                payload={
                    "run_id": new.run_id,
                    "manifest_sha256": new.manifest_sha256,
                    "flavor": new.flavor,
                },
            )
            return _version(SimpleNamespace(**values))

        return self.database.transact(write, write=True)

    def get_version(self, model: str, version: int) -> VersionRecord:
        """One version (see :meth:`LifecycleStore.get_version`)."""

        def read(conn: Connection) -> VersionRecord:
            row = conn.execute(
                select(model_versions).where(
                    model_versions.c.model == model, model_versions.c.version == int(version)
                )
            ).first()
            if row is None:
                raise NotFoundError(f"model {model!r} has no version {version}")
            return _version(row)

        return self.database.transact(read, write=False)

    def list_versions(self, model: str) -> list[VersionRecord]:
        """A model's versions (see :meth:`LifecycleStore.list_versions`)."""

        def read(conn: Connection) -> list[VersionRecord]:
            if conn.execute(select(models.c.name).where(models.c.name == model)).first() is None:
                raise NotFoundError(f"model {model!r} not found")
            rows = conn.execute(
                select(model_versions)
                .where(model_versions.c.model == model)
                .order_by(model_versions.c.version)
            )
            return [_version(r) for r in rows]

        return self.database.transact(read, write=False)

    def update_version(
        self,
        model: str,
        version: int,
        *,
        actor: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> VersionRecord:
        """Change a version's description or tags (see :meth:`LifecycleStore.update_version`)."""
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = storable_text(description)
        if tags is not None:
            values["tags"] = _text_tags(tags)
        if not values:
            raise InvalidArgumentError("give a description or tags to change")
        key = and_(model_versions.c.model == model, model_versions.c.version == int(version))

        def write(conn: Connection) -> VersionRecord:
            if conn.execute(update(model_versions).where(key).values(**values)).rowcount == 0:
                raise NotFoundError(f"model {model!r} has no version {version}")
            self._append(
                conn,
                "version_updated",
                actor=actor,
                model=model,
                to_version=int(version),
                payload={"description": description, "tags": tags},
            )
            return _version(conn.execute(select(model_versions).where(key)).one())

        return self.database.transact(write, write=True)

    def versions_of_run(self, run_id: str) -> list[VersionRecord]:
        """Versions registered from a run (see :meth:`LifecycleStore.versions_of_run`)."""

        def read(conn: Connection) -> list[VersionRecord]:
            rows = conn.execute(
                select(model_versions)
                .where(model_versions.c.run_id == run_id)
                .order_by(model_versions.c.model, model_versions.c.version)
            )
            return [_version(r) for r in rows]

        return self.database.transact(read, write=False)

    # -- aliases ------------------------------------------------------------------------------

    def aliases(self, model: str) -> dict[str, int]:
        """A model's aliases (see :meth:`LifecycleStore.aliases`)."""
        return self.database.transact(lambda conn: _aliases(conn, model), write=False)

    def move_alias(
        self,
        model: str,
        alias: str,
        version: int | None,
        *,
        actor: str,
        reason: str | None,
        kind: str = "alias_moved",
        expect: Any = ANY,
        payload: Any = None,
        guard: Guard | None = None,
    ) -> Event:
        """Point an alias at a version, with its event (see :meth:`LifecycleStore.move_alias`)."""
        check_alias(alias)
        refused: list[str] = []

        def write(conn: Connection) -> Event:
            self._lock_log(conn)  # serializes the moves, and the chain with them
            if conn.execute(select(models.c.name).where(models.c.name == model)).first() is None:
                raise NotFoundError(f"model {model!r} not found")
            if version is not None:
                exists = conn.execute(
                    select(model_versions.c.version).where(
                        model_versions.c.model == model, model_versions.c.version == version
                    )
                ).first()
                if exists is None:
                    raise NotFoundError(f"model {model!r} has no version {version}")
            key = and_(model_aliases.c.model == model, model_aliases.c.alias == alias)
            current = conn.execute(select(model_aliases.c.version).where(key)).scalar()
            current = None if current is None else int(current)
            if expect is not ANY and current != expect:
                raise ConflictError(
                    f"{model}@{alias} moved meanwhile: it is now "
                    f"{'unset' if current is None else f'version {current}'}, not "
                    f"{'unset' if expect is None else f'version {expect}'}"
                )
            if guard is not None:
                refused[:] = guard(_ConnView(conn), current)
                if refused:  # recorded, and nothing moves
                    details = dict(payload) if isinstance(payload, dict) else {}
                    return self._append(
                        conn,
                        f"{kind}_refused",
                        actor=actor,
                        model=model,
                        alias=alias,
                        from_version=current,
                        to_version=version,
                        reason=reason,
                        payload={**details, "reasons": list(refused)},
                    )
            now = format_datetime(utcnow())
            if version is None:
                conn.execute(model_aliases.delete().where(key))
            elif current is None:
                try:
                    conn.execute(
                        model_aliases.insert().values(
                            model=model, alias=alias, version=version, updated_at=now
                        )
                    )
                except IntegrityError:  # pragma: no cover - the lock makes this impossible
                    raise ConflictError(f"{model}@{alias} was set meanwhile") from None
            else:
                conn.execute(
                    update(model_aliases).where(key).values(version=version, updated_at=now)
                )
            return self._append(
                conn,
                "alias_removed" if version is None and kind == "alias_moved" else kind,
                actor=actor,
                model=model,
                alias=alias,
                from_version=current,
                to_version=version,
                reason=reason,
                payload=payload,
            )

        event = self.database.transact(write, write=True)
        if refused:
            raise GuardRefusedError(refused, event)
        return event

    # -- lineage ------------------------------------------------------------------------------

    def _edges(self, column: str, kind_column: str, kind: str, ids: Sequence[str]) -> list[Edge]:
        def read(conn: Connection) -> list[Edge]:
            found: list[Edge] = []
            for part in chunks(list(dict.fromkeys(ids))):
                rows = conn.execute(
                    select(lineage_edges).where(
                        lineage_edges.c[kind_column] == kind,
                        lineage_edges.c[column].in_([storable_text(i) for i in part]),
                    )
                )
                found += [Edge(r.src_kind, r.src, r.dst_kind, r.dst, r.relation) for r in rows]
            return found

        return self.database.transact(read, write=False)

    def sources_ending_with(self, kind: str, suffix: str, limit: int = 100) -> list[str]:
        """Sources ending with ``suffix`` (see :meth:`LifecycleStore.sources_ending_with`)."""
        query = (
            select(lineage_edges.c.src)
            .where(
                lineage_edges.c.src_kind == kind,
                lineage_edges.c.src.endswith(storable_text(suffix), autoescape=True),
            )
            .distinct()
            .limit(limit)
        )

        def read(conn: Connection) -> list[str]:
            return [str(r[0]) for r in conn.execute(query)]

        return self.database.transact(read, write=False)

    def edges_to(self, kind: str, ids: Sequence[str]) -> list[Edge]:
        """Edges into nodes (see :meth:`LifecycleStore.edges_to`)."""
        return self._edges("dst", "dst_kind", kind, ids)

    def edges_from(self, kind: str, ids: Sequence[str]) -> list[Edge]:
        """Edges out of nodes (see :meth:`LifecycleStore.edges_from`)."""
        return self._edges("src", "src_kind", kind, ids)
