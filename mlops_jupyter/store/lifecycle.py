"""The contract of the lifecycle store: models, versions, aliases, the event log, lineage.

Every lifecycle fact -- a version registered, an alias moved or rolled back, a policy set, an
approval requested or given, a gate, a trigger firing -- is an :class:`Event` in one
append-only log, hash-chained: each event's hash covers the previous event's hash and the
event's own fields, and the store keeps the head (the last sequence number and hash), so an
edited, deleted or inserted event is found by :func:`verify_chain`.

Stdlib only: the records are plain dataclasses; backends implement :class:`LifecycleStore`.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import ConflictError, InvalidArgumentError
from ..models import format_datetime

__all__ = [
    "ALIAS_RE",
    "ANY",
    "MODEL_NAME_RE",
    "THIS_EVENT",
    "Edge",
    "Event",
    "Guard",
    "GuardRefusedError",
    "LifecycleStore",
    "LogView",
    "ModelRecord",
    "VersionRecord",
    "chain_hash",
    "check_alias",
    "check_model_name",
    "verify_chain",
]

#: Alias names: ``champion``, ``challenger``, ``production``, any lowercase word.
ALIAS_RE = re.compile(r"[a-z][a-z0-9_-]*")
#: Model names: letters, digits and ``. _ -``, starting with a letter or digit.
MODEL_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class _Any:
    """Marker: any current holder is fine (see :meth:`LifecycleStore.move_alias`)."""

    def __repr__(self) -> str:
        return "ANY"


#: In an edge given to :meth:`LifecycleStore.append_event`: the event being appended (its
#: sequence number, as text, once known).
THIS_EVENT = "@event"

#: ``expect=ANY``: move the alias whoever holds it.
ANY: Any = _Any()


def check_alias(alias: object) -> str:
    """An alias name, checked (``^[a-z][a-z0-9_-]*$``, at most 64 characters).

    Raises:
        InvalidArgumentError: Otherwise.
    """
    if not isinstance(alias, str) or len(alias) > 64 or not ALIAS_RE.fullmatch(alias):
        raise InvalidArgumentError(
            f"invalid alias {alias!r:.80}: a lowercase letter, then lowercase letters, digits, "
            "'_' or '-'"
        )
    return alias


def check_model_name(name: object) -> str:
    """A model name, checked (letters, digits, ``. _ -``; at most 128 characters).

    Raises:
        InvalidArgumentError: Otherwise.
    """
    if not isinstance(name, str) or not MODEL_NAME_RE.fullmatch(name):
        raise InvalidArgumentError(
            f"invalid model name {name!r:.80}: letters, digits, '.', '_' or '-', starting "
            "with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class ModelRecord:
    """A registered model.

    Attributes:
        name: Its name.
        description: Free text.
        tags: Free ``key -> value`` strings.
        policy: Its approval policy (None: the defaults; see the gates module).
        created_at: When it was registered.
        created_by: Who registered it.
    """

    name: str
    description: str
    tags: dict[str, str]
    policy: dict[str, Any] | None
    created_at: datetime
    created_by: str

    def to_json(self) -> dict[str, Any]:
        """The model as JSON."""
        return {
            "name": self.name,
            "description": self.description,
            "tags": dict(self.tags),
            "policy": self.policy,
            "created_at": format_datetime(self.created_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class VersionRecord:
    """A model version: immutable once created, apart from its description and tags.

    Attributes:
        model: The model's name.
        version: Its number (1, 2, ...).
        run_id: The run that produced it, if any.
        manifest_sha256: The manifest blob: each file's path, sha256 and size.
        flavor: ``sklearn``, ``pickle``, ``joblib``, ``torch``, ``onnx`` or ``other``.
        signature: Input columns and dtypes when known.
        description: Free text.
        tags: Free ``key -> value`` strings.
        size: Bytes of all its files.
        files: How many files.
        created_at: When it was registered.
        created_by: Who registered it.
    """

    model: str
    version: int
    run_id: str | None
    manifest_sha256: str
    flavor: str
    signature: dict[str, Any] | None
    description: str
    tags: dict[str, str]
    size: int
    files: int
    created_at: datetime
    created_by: str

    @property
    def ref(self) -> str:
        """``name/version``."""
        return f"{self.model}/{self.version}"

    def to_json(self) -> dict[str, Any]:
        """The version as JSON."""
        return {
            "name": self.model,
            "version": self.version,
            "run_id": self.run_id,
            "manifest_sha256": self.manifest_sha256,
            "flavor": self.flavor,
            "signature": self.signature,
            "description": self.description,
            "tags": dict(self.tags),
            "size": self.size,
            "files": self.files,
            "created_at": format_datetime(self.created_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class Event:
    """One lifecycle fact, as the log keeps it.

    Attributes:
        seq: Its position in the log (1, 2, ...).
        at: When (ISO-8601 UTC, fixed width).
        actor: Who.
        kind: What: ``version_registered``, ``alias_moved``, ``alias_rollback``, ``alias_removed``,
            ``policy_set``, ``approval_requested``, ``approved``, ``rejected``, ``gate``,
            ``promotion_refused``, ``trigger_fired``, ``drift_check``...
        model: The model it is about, if any.
        alias: The alias, if any.
        from_version: The alias's holder before (alias moves).
        to_version: The version it is about (or the alias's new holder).
        reason: Why, in the actor's words.
        payload: Canonical JSON of the details (or None).
        prev_hash: The previous event's hash ("" for the first).
        hash: sha256 of ``prev_hash`` and the fields above.
    """

    seq: int
    at: str
    actor: str
    kind: str
    model: str | None
    alias: str | None
    from_version: int | None
    to_version: int | None
    reason: str | None
    payload: str | None
    prev_hash: str
    hash: str

    @property
    def details(self) -> Any:
        """The payload, parsed (None without one)."""
        return None if self.payload is None else json.loads(self.payload)

    def to_json(self) -> dict[str, Any]:
        """The event as the API and ``models history --json`` show it."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "kind": self.kind,
            "model": self.model,
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "reason": self.reason,
            "details": self.details,
            "hash": self.hash,
        }


def canonical_payload(payload: Any) -> str | None:
    """The text an event's payload is stored (and hashed) as."""
    if payload is None:
        return None
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)


def chain_hash(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    kind: str,
    model: str | None,
    alias: str | None,
    from_version: int | None,
    to_version: int | None,
    reason: str | None,
    payload: str | None,
) -> str:
    """The hash of an event: sha256 over the previous hash and the event's stored fields."""
    body = json.dumps(
        [seq, at, actor, kind, model, alias, from_version, to_version, reason, payload],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def event_hash(event: Event) -> str:
    """The hash an event should carry, from its ``prev_hash`` and stored fields."""
    return chain_hash(
        event.prev_hash,
        event.seq,
        event.at,
        event.actor,
        event.kind,
        event.model,
        event.alias,
        event.from_version,
        event.to_version,
        event.reason,
        event.payload,
    )


def verify_chain(events: Iterable[Event], head: tuple[int, str]) -> list[str]:
    """Problems of an event log, one sentence each (empty when intact).

    Args:
        events: Every event, by sequence number.
        head: ``(seq, hash)`` of the last event, as the store recorded it.
    """
    problems: list[str] = []
    previous_hash = ""
    expected = 1
    last_seq = 0
    for event in events:
        if event.seq != expected:
            gap = (
                f"event {expected}"
                if event.seq == expected + 1
                else f"events {expected} to {event.seq - 1}"
            )
            problems.append(f"{gap} of the lifecycle log are missing (deleted)")
        elif event.prev_hash != previous_hash:
            problems.append(
                f"event {event.seq} does not follow the event before it (the log was rewritten)"
            )
        recomputed = event_hash(event)
        if recomputed != event.hash:
            problems.append(
                f"event {event.seq} ({event.kind}"
                + (f" {event.model}" if event.model else "")
                + (f"@{event.alias}" if event.alias else "")
                + ") was edited: its content does not match its hash"
            )
        previous_hash = event.hash
        expected = event.seq + 1
        last_seq = event.seq
    head_seq, head_hash = head
    if head_seq > last_seq:
        problems.append(
            f"the newest events of the lifecycle log were deleted (the log ends at {last_seq}, "
            f"its head says {head_seq})"
        )
    elif head_seq < last_seq or (head_seq and head_hash != previous_hash):
        problems.append("the lifecycle log's head does not match its last event (it was rewritten)")
    return problems


@dataclass(frozen=True)
class Edge:
    """A lineage edge: ``src`` (of kind ``src_kind``) went into ``dst``.

    Kinds: ``data`` (a content digest), ``file`` (an absolute path), ``url``, ``snapshot``,
    ``commit``, ``sweep``, ``run``, ``version`` (``name/3``).
    """

    src_kind: str
    src: str
    dst_kind: str
    dst: str
    relation: str


@dataclass
class NewVersion:
    """What registering a version stores (the store numbers it).

    Attributes:
        run_id: The run that produced it, if any.
        manifest_sha256: The manifest blob.
        flavor: The flavor guessed or given.
        signature: Input columns and dtypes when known.
        description: Free text.
        tags: Free strings.
        size: Bytes of all its files.
        files: How many files.
        file_shas: The files' sha256 (lineage edges data -> version).
    """

    run_id: str | None
    manifest_sha256: str
    flavor: str
    signature: dict[str, Any] | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    size: int = 0
    files: int = 0
    file_shas: Sequence[str] = ()


class LogView(ABC):
    """The log and the aliases as a :data:`Guard` reads them: inside the move's transaction,
    under its lock, so what it checks cannot change before the move."""

    @abstractmethod
    def events(
        self,
        *,
        model: str | None = None,
        alias: str | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[Event]:
        """Events, oldest first, filtered."""

    @abstractmethod
    def aliases(self, model: str) -> dict[str, int]:
        """``alias -> version`` of a model."""


#: Decides whether an alias may move: given the log and the alias's current holder, the
#: reasons it may not (empty: it may).
Guard = Callable[[LogView, "int | None"], list[str]]


class GuardRefusedError(ConflictError):
    """A guarded move was refused: nothing moved; the refusal is in the log.

    Attributes:
        reasons: Every missing condition, in words.
        event: The refusal's event (None when the refusal is not recorded).
    """

    def __init__(self, reasons: Sequence[str], event: Event | None) -> None:
        self.reasons = list(reasons)
        self.event = event
        super().__init__("refused: " + "; ".join(self.reasons))


class LifecycleStore(ABC):
    """Models, versions, aliases, the event log and lineage, kept beside the runs.

    Every method may raise :class:`~mlops_jupyter.errors.MlopsError` subclasses: unknown
    models or versions are ``NotFoundError``; an alias moved by someone else meanwhile is
    ``ConflictError``; malformed names ``InvalidArgumentError``.
    """

    # -- models and versions ----------------------------------------------------------------

    @abstractmethod
    def ensure_model(
        self, name: str, *, actor: str, description: str = "", tags: dict[str, str] | None = None
    ) -> ModelRecord:
        """The model ``name``, registered now (with an event) if it is new."""

    @abstractmethod
    def get_model(self, name: str) -> ModelRecord:
        """The model ``name`` (``NotFoundError`` if unknown)."""

    @abstractmethod
    def list_models(self) -> list[ModelRecord]:
        """Every model, by name."""

    @abstractmethod
    def set_policy(
        self, name: str, policy: dict[str, Any] | None, *, actor: str, reason: str | None
    ) -> ModelRecord:
        """Set (None: reset) a model's approval policy; an event records it."""

    @abstractmethod
    def create_version(self, model: str, new: NewVersion, *, actor: str) -> VersionRecord:
        """Register the next version of ``model`` (created if new), with its event and its
        lineage (run -> version, file digests -> version), in one transaction."""

    @abstractmethod
    def get_version(self, model: str, version: int) -> VersionRecord:
        """One version (``NotFoundError`` if unknown)."""

    @abstractmethod
    def list_versions(self, model: str) -> list[VersionRecord]:
        """The versions of ``model``, oldest first (``NotFoundError`` if the model is unknown)."""

    @abstractmethod
    def update_version(
        self,
        model: str,
        version: int,
        *,
        actor: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> VersionRecord:
        """Change a version's description or tags (nothing else is mutable); an event."""

    @abstractmethod
    def versions_of_run(self, run_id: str) -> list[VersionRecord]:
        """The versions registered from a run."""

    # -- aliases ------------------------------------------------------------------------------

    @abstractmethod
    def aliases(self, model: str) -> dict[str, int]:
        """``alias -> version`` of a model."""

    @abstractmethod
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
        """Point ``alias`` at ``version`` (None: remove it), recording an event, atomically.

        Moves of one model's aliases are serialized: two at once both succeed, in order, and
        both are in the log.

        Args:
            model: The model.
            alias: The alias (checked).
            version: Its new holder (must exist), or None to remove it.
            actor: Who moves it.
            reason: Why.
            kind: The event's kind (``alias_moved``, ``alias_rollback``, ``promotion``...).
            expect: The holder the caller saw (a version, or None for "no holder"): if it
                changed meanwhile, nothing moves (``ConflictError``). ``ANY``: no check.
            payload: Details for the event.
            guard: Checked inside the move's transaction, under its lock: if it gives
                reasons, nothing moves, an event ``<kind>_refused`` records them, and
                :class:`GuardRefusedError` is raised.
        """

    # -- the log ------------------------------------------------------------------------------

    @abstractmethod
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
        """Append one event to the log (serialized with every other append), and lineage
        edges in the same transaction (:data:`THIS_EVENT` in an edge stands for the event's
        number).

        Args:
            kind: What happened.
            actor: Who.
            model: The model it is about.
            alias: The alias.
            from_version: The alias's holder before.
            to_version: The version it is about.
            reason: Why.
            payload: Details.
            edges: Lineage edges to add with it.
            unique_key: A key this event claims, once in the store's life: a second claim
                raises :class:`~mlops_jupyter.errors.ConflictError` and appends nothing.
            guard: Checked first, inside the transaction under the log's lock: reasons it
                gives make the append fail with :class:`GuardRefusedError` (nothing is
                appended).
        """

    @abstractmethod
    def events(
        self,
        *,
        model: str | None = None,
        alias: str | None = None,
        kinds: Sequence[str] | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> list[Event]:
        """Events, oldest first, filtered."""

    @abstractmethod
    def event_head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last event, as recorded beside the log."""

    # -- lineage ------------------------------------------------------------------------------

    @abstractmethod
    def edges_to(self, kind: str, ids: Sequence[str]) -> list[Edge]:
        """Edges into the nodes ``(kind, id)`` (what they came from)."""

    @abstractmethod
    def edges_from(self, kind: str, ids: Sequence[str]) -> list[Edge]:
        """Edges out of the nodes ``(kind, id)`` (what came from them)."""

    @abstractmethod
    def sources_ending_with(self, kind: str, suffix: str, limit: int = 100) -> list[str]:
        """Sources of kind ``kind`` (e.g. ``file`` paths) ending with ``suffix``: finds the
        files a path names when it was recorded from another folder (a scan: a fallback)."""

    def verify_log(self) -> list[str]:
        """Problems of the event log (see :func:`verify_chain`)."""
        return verify_chain(self.events(), self.event_head())
