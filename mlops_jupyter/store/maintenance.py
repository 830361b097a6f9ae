"""Health check, clean-up and migration of a run store (``mlops-jupyter store check|migrate``).

:func:`check_location` checks a store without opening it for writing: the database is read
through a read-only connection (other kernels may be writing; on SQLite in WAL mode a reader
blocks no writer, on PostgreSQL a plain ``SELECT`` blocks none either), it is never migrated,
and a corrupted SQLite file is reported, never touched. :func:`check_store` does the same
checks through an already open store. Only ``prune_orphans_older_than`` writes anything: it
deletes blobs that no run references, and the temporary files (``.tmp-…``) that writers
killed in the middle of a write left in the blob store, both when older than that age.

Imports SQLAlchemy (load lazily); no IPython, no Tornado.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from ..errors import InvalidArgumentError, MlopsError
from .blobs import BlobInfo, BlobStore, TemporaryInfo, open_blob_store, validate_sha256
from .errors import BlobNotFoundError
from .location import StoreLocation, sweeps_folder
from .sql.readonly import (
    ReadOnlyConnection,
    change_seq,
    database_problems,
    display_name,
    faults_for,
    known_revisions,
    readonly_engine,
    schema_revision,
)

if TYPE_CHECKING:
    from .sql import SqlRunStore
from .schema import SCHEMA_REVISION, runs

__all__ = [
    "CheckReport",
    "MigrateReport",
    "MissingBlob",
    "check_location",
    "check_store",
    "migrate_store",
    "prune_orphans",
    "read_schema_revision",
]

#: References kept per missing blob for the report (the count is always exact).
_REFS_KEPT = 5
#: Lines of ``PRAGMA integrity_check`` output reported.
_INTEGRITY_LINES = 20
_SCAN_BATCH = 1000
_BUSY_TIMEOUT_S = 5.0
# A sha256 anywhere in a sweep manifest or a spool file (whatever its format version).
_SHA_TOKEN = re.compile(rb"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


@dataclass
class MissingBlob:
    """A blob that runs reference but the blob store lacks.

    Attributes:
        sha: The blob's sha256.
        references: ``(run_id, what)`` for up to five referencing runs, ``what`` being
            ``environment``, ``history``, ``notebook snapshot``, ``git diff``, ``pin``,
            ``artifact <path>``, ``input manifest <path>`` or ``input profile <path>``; a
            model version's files have no run id and ``what`` ``model <name/N> ...``.
        count: How many references there are in all.
    """

    sha: str
    references: list[tuple[str, str]] = field(default_factory=list)
    count: int = 0

    def to_json(self) -> dict[str, Any]:
        """The blob as ``store check --json`` prints it."""
        return {
            "sha256": self.sha,
            "references": [{"run_id": r or None, "what": w} for r, w in self.references],
            "count": self.count,
        }


@dataclass
class CheckReport:
    """What :func:`check_store` found (and pruned).

    Attributes:
        location: The database, safe to show (a path, or the URL with secrets masked).
        blobs_location: The blob store, safe to show.
        backend: ``sqlite`` or ``postgresql``.
        schema_revision: The database's schema revision (None: no schema).
        expected_revision: The revision this version of mlops-jupyter uses.
        runs: How many runs the database holds.
        versions: How many model versions it holds.
        events: How many events the lifecycle log holds.
        event_head: ``(seq, hash)`` of the log's last event: note it somewhere else, and
            ``store check --anchor SEQ:HASH`` later proves the log up to it was not rewritten.
        problems: Database problems, one sentence each (empty when healthy).
        blobs_stored: How many blobs the blob store holds.
        blobs_referenced: How many distinct blobs the runs reference.
        missing: Referenced blobs that are not stored.
        orphans: Stored blobs that nothing references (harmless: e.g. left by a write that
            failed after storing its blobs).
        orphan_bytes: Their total size.
        pruned: Orphans deleted (with ``prune_orphans_older_than``).
        pruned_bytes: Their total size.
        temporaries: Temporary files of writes in the blob store: in progress, or left by a
            writer killed in the middle (harmless, but they take space).
        temporaries_pruned: Those deleted (with ``prune_orphans_older_than``, when older).
        temporaries_pruned_bytes: Their total size.
        notes: Remarks that are not problems (e.g. why nothing was pruned).
        seconds: How long the check took.
    """

    location: str
    blobs_location: str
    backend: str
    schema_revision: str | None = None
    expected_revision: str = SCHEMA_REVISION
    runs: int = 0
    versions: int = 0
    events: int = 0
    event_head: tuple[int, str] = (0, "")
    problems: list[str] = field(default_factory=list)
    blobs_stored: int = 0
    blobs_referenced: int = 0
    missing: list[MissingBlob] = field(default_factory=list)
    orphans: int = 0
    orphan_bytes: int = 0
    pruned: int = 0
    pruned_bytes: int = 0
    temporaries: int = 0
    temporaries_pruned: int = 0
    temporaries_pruned_bytes: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The orphans themselves, for :func:`prune_orphans` (not in :meth:`to_json`).
    orphan_blobs: list[BlobInfo] = field(default_factory=list, repr=False)
    #: The temporary files, for :func:`prune_orphans` (not in :meth:`to_json`).
    temporary_files: list[TemporaryInfo] = field(default_factory=list, repr=False)
    #: The database's change counter when the runs were read (None: unknown).
    change_seq: int | None = field(default=None, repr=False)

    @property
    def healthy(self) -> bool:
        """True when the database has no problem and no referenced blob is missing."""
        return not self.problems and not self.missing

    def to_json(self) -> dict[str, Any]:
        """The report as ``store check --json`` prints it."""
        return {
            "healthy": self.healthy,
            "location": self.location,
            "blobs_location": self.blobs_location,
            "backend": self.backend,
            "schema_revision": self.schema_revision,
            "expected_revision": self.expected_revision,
            "runs": self.runs,
            "versions": self.versions,
            "events": self.events,
            "event_head": {"seq": self.event_head[0], "hash": self.event_head[1]},
            "problems": list(self.problems),
            "blobs": {
                "stored": self.blobs_stored,
                "referenced": self.blobs_referenced,
                "missing": [m.to_json() for m in self.missing],
                "orphans": self.orphans,
                "orphan_bytes": self.orphan_bytes,
                "pruned": self.pruned,
                "pruned_bytes": self.pruned_bytes,
                "temporaries": self.temporaries,
                "temporaries_pruned": self.temporaries_pruned,
                "temporaries_pruned_bytes": self.temporaries_pruned_bytes,
            },
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class MigrateReport:
    """What :func:`migrate_store` did.

    Attributes:
        location: The database, safe to show.
        before: The schema revision found (None: a new or empty database).
        after: The revision now.
        migrated: Whether this call ran migrations (False if already current, or if another
            process migrated meanwhile).
    """

    location: str
    before: str | None
    after: str
    migrated: bool

    def to_json(self) -> dict[str, Any]:
        """The report as ``store migrate --json`` prints it."""
        return {
            "location": self.location,
            "before": self.before,
            "after": self.after,
            "migrated": self.migrated,
        }


# --------------------------------------------------------------------------- entry points


def check_store(
    store: SqlRunStore,
    *,
    prune_orphans_older_than: float | None = None,
    anchor: tuple[int, str] | None = None,
) -> CheckReport:
    """Check an open SQL store: its database and its blobs.

    See :func:`check_location`, which does the same without opening the store (an open
    store has already been migrated, so its schema is always current).

    Args:
        store: An open SQL store.
        prune_orphans_older_than: Delete unreferenced blobs written more than this many
            seconds ago (None: delete nothing).

    Returns:
        The report.

    Raises:
        InvalidArgumentError: If the age is negative.
        StoreCorruptedError: If the database file is not a database.
        StoreUnavailableError: If the database cannot be reached.
    """
    checker = _Checker(store.engine, store.location, store.blobs, anchor)
    return checker.run(prune_orphans_older_than)


def check_location(
    location: StoreLocation,
    *,
    prune_orphans_older_than: float | None = None,
    anchor: tuple[int, str] | None = None,
) -> CheckReport:
    """Check the store at ``location`` without migrating or writing its database.

    Checks: the database's integrity (SQLite: ``PRAGMA integrity_check`` and
    ``foreign_key_check``; PostgreSQL: parameters, metrics, metric points and tags whose run
    is gone), its schema revision, the lifecycle event log's hash chain (an edited, deleted or
    inserted event is named), that every blob a run or model version references
    (environment, history, notebook snapshot, git diff, pinned snapshot, artifacts, input
    manifests and profiles, model manifests and files) is stored, and which stored
    blobs nothing references ("orphans": runs, sweep manifests and this machine's spool of
    unwritten runs count as references).

    With ``prune_orphans_older_than``, orphans older than that are deleted, and only if the
    database has no problem. Younger ones never are: a run being recorded writes its blobs
    before its row. The references are read again just before deleting if any run changed
    meanwhile. A writer that reuses an old orphan's content can still lose it if it commits
    its run in the instant between that last read and the deletion; and spools of other
    machines are not seen: choose an age well beyond a run's recording (hours or days).

    Args:
        location: Where the store is.
        prune_orphans_older_than: Delete unreferenced blobs written more than this many
            seconds ago (None: delete nothing). Blobs whose filesystem gives no time are
            never deleted.
        anchor: ``(seq, hash)`` of an event noted earlier (``event_head`` of an earlier
            report): the log must still hold it, or it was rewritten wholesale.

    Returns:
        The report.

    Raises:
        InvalidArgumentError: If the age is negative.
        StoreCorruptedError: If the SQLite file is not a database (it is left untouched).
        StoreUnavailableError: If there is no database file, or the database cannot be
            reached.
        StoreError: If the blob store cannot be opened.
    """
    engine = readonly_engine(location)
    try:
        blobs = open_blob_store(location.blob_root)
        return _Checker(engine, location, blobs, anchor).run(prune_orphans_older_than)
    finally:
        engine.dispose()


def prune_orphans(
    location: StoreLocation, report: CheckReport, *, older_than: float
) -> CheckReport:
    """Delete the orphans a :func:`check_location` report found, if older than ``older_than``.

    ``check_location(location, prune_orphans_older_than=age)`` does both steps at once. The
    runs are read again first if any changed since the check (see :func:`check_location`);
    no orphan is deleted if the report found database problems. Temporary files of writes
    older than ``older_than`` are deleted too (nothing references them).

    Args:
        location: The store the report is about.
        report: What :func:`check_location` returned; its ``pruned`` counts are updated.
        older_than: Seconds: younger orphans are kept.

    Returns:
        ``report``.

    Raises:
        InvalidArgumentError: If the age is negative.
        StoreError: As :func:`check_location`.
    """
    _check_age(older_than)
    engine = readonly_engine(location)
    try:
        blobs = open_blob_store(location.blob_root)
        _Checker(engine, location, blobs).prune(report, older_than)
        return report
    finally:
        engine.dispose()


def read_schema_revision(location: StoreLocation) -> str | None:
    """Return the schema revision of the database at ``location``, read-only.

    Returns:
        The revision, or None if the database is new (no file, or no schema).

    Raises:
        StoreCorruptedError: If the SQLite file is not a database.
        StoreUnavailableError: If the database cannot be reached.
    """
    path = location.sqlite_path
    if path is not None and not os.path.exists(path):
        return None
    engine = readonly_engine(location)
    try:
        with ReadOnlyConnection(engine, faults_for(location)) as conn:
            return schema_revision(conn)
    finally:
        engine.dispose()


def migrate_store(location: StoreLocation) -> MigrateReport:
    """Create or upgrade the database at ``location`` to the current schema.

    Opening a store migrates it; this does it explicitly and says what it did.

    Args:
        location: Where the store is.

    Returns:
        The revision before and after.

    Raises:
        StoreCorruptedError: If the SQLite file is not a database (it is left untouched).
        StoreUnavailableError: If the database cannot be reached.
        StoreError: If the database has a revision this version does not know.
    """
    from .sql import SqlRunStore

    before = read_schema_revision(location)
    store = SqlRunStore(location)
    try:
        migrated = bool(store.migrated)
    finally:
        store.close()
    return MigrateReport(display_name(location), before, SCHEMA_REVISION, migrated)


# --------------------------------------------------------------------------- references


class _References:
    """The blobs runs reference, with a few of the referencing runs per blob."""

    def __init__(self) -> None:
        self.refs: dict[str, list[tuple[str, str]]] = {}
        self.counts: dict[str, int] = {}
        self.invalid: list[str] = []

    def add(self, sha: object, run_id: str, what: str) -> None:
        if sha is None or sha == "":
            return
        try:
            validate_sha256(sha)
        except InvalidArgumentError:
            self.invalid.append(f"run {run_id} has an invalid {what} hash {sha!r:.80}")
            return
        kept = self.refs.setdefault(str(sha), [])
        if len(kept) < _REFS_KEPT:
            kept.append((run_id, what))
        self.counts[str(sha)] = self.counts.get(str(sha), 0) + 1


def _scan_runs(conn: Connection, found: _References) -> int:
    """Collect every blob the runs reference; return how many runs there are."""
    query = select(runs.c.id, runs.c.env_sha256, runs.c.history_sha256, runs.c.record)
    count = 0
    result = conn.execution_options(yield_per=_SCAN_BATCH).execute(query)
    for run_id, env_sha, history_sha, record in result:
        count += 1
        found.add(env_sha, run_id, "environment")
        found.add(history_sha, run_id, "history")
        try:
            data = json.loads(record)
        except ValueError:
            found.invalid.append(f"run {run_id} has an unreadable record")
            continue
        for sha, what in _record_blobs(data):
            found.add(sha, run_id, what)
    return count


def _record_blobs(data: Any) -> Iterator[tuple[object, str]]:
    """The blobs named in a run's ``record`` JSON (inputs are hashes of user files, not blobs)."""
    if not isinstance(data, dict):
        return
    notebook = data.get("notebook")
    if isinstance(notebook, dict):
        yield notebook.get("snapshot_sha256"), "notebook snapshot"
    git = data.get("git")
    if isinstance(git, dict):
        yield git.get("diff_sha256"), "git diff"
    for artifact in data.get("artifacts") or []:
        if isinstance(artifact, dict):
            yield artifact.get("sha256"), f"artifact {artifact.get('path')}"
    for record in data.get("inputs") or []:
        if isinstance(record, dict):
            yield record.get("manifest_sha256"), f"input manifest {record.get('path')}"
            yield record.get("profile_sha256"), f"input profile {record.get('path')}"
    extra = data.get("extra")
    predictions = extra.get("predictions") if isinstance(extra, dict) else None
    if isinstance(predictions, dict):
        yield predictions.get("sha256"), "predictions"
    pin = extra.get("pin") if isinstance(extra, dict) else None
    if isinstance(pin, dict) and pin.get("kind") == "snapshot":
        yield pin.get("sha256"), "pin"


def _file_references(location: StoreLocation) -> set[str]:
    """Blob hashes named by sweep manifests and by this machine's spooled (unwritten) runs."""
    from .spool import pending_files, spool_dir_for

    files: list[Path] = []
    try:
        files += [p for p in Path(sweeps_folder(location)).iterdir() if p.suffix == ".json"]
    except (FileNotFoundError, NotADirectoryError):
        pass
    files += list(pending_files(spool_dir_for(location.db_url)))
    found: set[str] = set()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:  # replayed and removed meanwhile
            continue
        found.update(m.decode("ascii") for m in _SHA_TOKEN.findall(data))
    return found


# --------------------------------------------------------------------------- the check


class _Checker:
    def __init__(
        self,
        engine: Engine,
        location: StoreLocation,
        blobs: BlobStore,
        anchor: tuple[int, str] | None = None,
    ) -> None:
        self.anchor = anchor
        self.engine = engine
        self.location = location
        self.blobs = blobs
        self.display = display_name(location)
        self.faults = faults_for(location)
        self.report = CheckReport(
            location=self.display,
            blobs_location=location.blobs_description,
            backend=location.scheme,
        )

    def _db(self) -> ReadOnlyConnection:
        return ReadOnlyConnection(self.engine, self.faults)

    def run(self, prune_older_than: float | None) -> CheckReport:
        _check_age(prune_older_than)
        started = time.monotonic()
        report = self.check()
        if prune_older_than is not None:
            self.prune(report, prune_older_than)
        report.seconds = time.monotonic() - started
        return report

    def check(self) -> CheckReport:
        started = time.monotonic()
        report = self.report
        with self._db() as conn:
            report.schema_revision = schema_revision(conn)
            report.problems += database_problems(
                conn, report.backend, report.schema_revision is not None
            )
        has_runs = report.schema_revision is not None
        if report.schema_revision is None:
            report.problems.append("the database has no schema (run `mlops-jupyter store migrate`)")
        elif report.schema_revision != SCHEMA_REVISION:
            known = known_revisions()
            if report.schema_revision in known:
                report.problems.append(
                    f"the schema is at revision {report.schema_revision}, this version of "
                    f"mlops-jupyter uses {SCHEMA_REVISION}: run `mlops-jupyter store migrate`"
                )
            else:
                report.problems.append(
                    f"the schema revision {report.schema_revision} is newer than this version "
                    f"of mlops-jupyter knows ({SCHEMA_REVISION}): upgrade mlops-jupyter"
                )

        # Blobs are listed before the runs are read: a blob written after the listing is
        # not a candidate orphan, and a run committed before the reading is seen.
        stored = {info.sha: info for info in self.blobs.iter_blobs()}
        report.blobs_stored = len(stored)
        found = _References()
        if has_runs:
            with self._db() as conn:
                report.change_seq = change_seq(conn)
                report.runs = _scan_runs(conn, found)
        if report.schema_revision is not None and report.schema_revision >= "0003":
            self.check_lifecycle(found)
        report.problems += found.invalid
        report.blobs_referenced = len(found.counts)

        for sha in sorted(set(found.counts) - set(stored)):
            # Written after the listing (by a run committed since): present after all.
            if not self.blobs.exists(sha):
                report.missing.append(MissingBlob(sha, found.refs[sha], found.counts[sha]))

        from .spool import pending_files, spool_dir_for

        spool_dir = spool_dir_for(self.location.db_url)
        spooled = sum(1 for _ in pending_files(spool_dir))
        if spooled:
            report.notes.append(
                f"{spooled} spool file(s) in {spool_dir} hold writes not yet in the database: "
                "running kernels sync their own; `mlops-jupyter store sync` syncs those of "
                "kernels that ended"
            )
        referenced = set(found.counts) | _file_references(self.location)
        orphans = [info for sha, info in stored.items() if sha not in referenced]
        report.orphan_blobs = orphans
        report.orphans = len(orphans)
        report.orphan_bytes = sum(info.size for info in orphans)
        report.temporary_files = list(self.blobs.iter_temporaries())
        report.temporaries = len(report.temporary_files)
        report.seconds = time.monotonic() - started
        return report

    def check_lifecycle(self, found: _References) -> None:
        """The event log's chain, and the blobs of the model versions (manifests, files)."""
        from .lifecycle import verify_chain
        from .sql.lifecycle import read_head, read_log, read_manifests

        report = self.report
        with self._db() as conn:
            events = read_log(conn)
            head = read_head(conn)
            manifests = read_manifests(conn)
        report.events = len(events)
        report.event_head = head
        report.versions = len(manifests)
        report.problems += verify_chain(events, head)
        self.model_references(found, manifests)
        for event in events:  # a drift check's full report
            details = event.details if event.kind == "drift_check" else None
            if isinstance(details, dict):
                found.add(details.get("report_sha256"), "", f"drift check {event.seq} report")
        if self.anchor is not None:
            seq, digest = self.anchor
            match = next((e for e in events if e.seq == seq), None)
            if match is None or match.hash != digest:
                report.problems.append(
                    f"the lifecycle log does not hold event {seq} with hash {digest[:16]}...: "
                    "the log was rewritten since that anchor was noted"
                )

    def model_references(
        self, found: _References, manifests: list[tuple[str, int, str]] | None = None
    ) -> None:
        """Add the blobs of every model version: its manifest and the files it lists."""
        if manifests is None:
            from .sql.lifecycle import read_manifests

            with self._db() as conn:
                manifests = read_manifests(conn)
        for model, version, sha in manifests:
            ref = f"{model}/{version}"
            found.add(sha, "", f"model {ref} manifest")
            try:
                data = json.loads(self.blobs.get_bytes(validate_sha256(sha)))
            except (MlopsError, ValueError):
                continue  # reported as missing (or corrupted) with the blobs
            files = data.get("files") if isinstance(data, dict) else None
            for entry in files if isinstance(files, list) else []:
                if isinstance(entry, dict):
                    found.add(entry.get("sha256"), "", f"model {ref} file {entry.get('path')}")

    def prune(self, report: CheckReport, older_than: float) -> None:
        self.prune_temporaries(report, older_than)
        orphans = report.orphan_blobs
        if not orphans:
            return
        if report.problems or report.schema_revision != SCHEMA_REVISION:
            report.notes.append("no orphan was deleted: the database has problems")
            return
        now = time.time()
        candidates = [o for o in orphans if o.mtime is not None and now - o.mtime > older_than]
        undated = sum(1 for o in orphans if o.mtime is None)
        if undated:
            report.notes.append(
                f"{undated} orphan(s) were kept: the blob store does not tell their age"
            )
        if not candidates:
            return
        # Read the references again if any run was created or changed since: it may have
        # reused one of these blobs (a blob that exists is not written again).
        again: _References | None = None
        with self._db() as conn:
            seq = report.change_seq
            if seq is None or change_seq(conn) != seq:
                again = _References()
                _scan_runs(conn, again)
        fresh: set[str] = set()
        if again is not None:
            self.model_references(again)
            fresh = set(again.counts)
        fresh |= _file_references(self.location)
        for info in candidates:
            if info.sha in fresh:
                continue
            try:
                self.blobs.delete(info.sha)
            except BlobNotFoundError:  # deleted by someone else meanwhile
                continue
            report.pruned += 1
            report.pruned_bytes += info.size

    def prune_temporaries(self, report: CheckReport, older_than: float) -> None:
        # No run references a temporary file (it is renamed to its blob when complete), so
        # the database's health does not matter; a write in progress keeps its file young.
        now = time.time()
        for info in report.temporary_files:
            if info.mtime is None or now - info.mtime <= older_than:
                continue
            self.blobs.delete_temporary(info.key)
            report.temporaries_pruned += 1
            report.temporaries_pruned_bytes += info.size
        if report.temporaries_pruned:
            report.notes.append(
                f"deleted {report.temporaries_pruned} temporary file(s) "
                f"({report.temporaries_pruned_bytes} bytes) left in the blob store by "
                "interrupted writes"
            )


def _check_age(seconds: float | None) -> None:
    if seconds is not None and not seconds >= 0:  # NaN too
        raise InvalidArgumentError(f"invalid orphan age {seconds!r}: seconds >= 0")
