"""The model registry: versions made from runs, aliases with their history, rollback.

A thin layer of rules over :class:`~mlops_jupyter.store.lifecycle.LifecycleStore`: which files
a version holds (a manifest blob), which version a reference names, where an alias rolls
back to. Every change is an event in the store's hash-chained log.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InvalidArgumentError, NotFoundError
from ..models import FileRecord, Run, RunStatus
from ..store.lifecycle import (
    ANY,
    Event,
    ModelRecord,
    NewVersion,
    VersionRecord,
    check_alias,
    check_model_name,
)
from .actor import default_actor
from .artifacts import (
    Manifest,
    ManifestFile,
    cache_root,
    guess_format,
    materialize,
    scan_head,
    signature_of,
    version_path,
)
from .policy import Policy
from .refs import ModelRef, parse_ref

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["ALIAS_KINDS", "VersionRegistry", "require_reason"]

#: The events that move an alias.
ALIAS_KINDS = ("alias_moved", "alias_rollback", "alias_removed", "promotion")


def require_reason(reason: object) -> str:
    """A non-empty reason (alias moves and rollbacks say why).

    Raises:
        InvalidArgumentError: If it is missing or blank.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidArgumentError("give a reason: the alias's history says why it moved")
    if len(reason) > 2000:
        raise InvalidArgumentError("the reason is too long (at most 2000 characters)")
    return reason.strip()


@dataclass(frozen=True)
class _Chosen:
    path: str
    sha256: str
    size: int
    head: bytes


class VersionRegistry:
    """Models, versions and aliases kept in a run store.

    Args:
        store: The run store (its lifecycle store and blobs are used).
        actor: Who acts (default: ``$MLOPS_JUPYTER_USER`` or the OS login).
        identity: How the actor is known: ``authenticated`` (a Jupyter server's user) or
            ``local`` (self-declared by a kernel or the CLI). Approvals record it.
    """

    def __init__(
        self, store: RunStore, *, actor: str | None = None, identity: str = "local"
    ) -> None:
        self.store = store
        self.log = store.lifecycle
        self.actor = actor or default_actor()
        self.identity = identity

    # -- registering ----------------------------------------------------------------------

    def register(
        self,
        name: str,
        *,
        run: Run | str | None = None,
        artifacts: Sequence[str] = (),
        description: str = "",
        tags: dict[str, str] | None = None,
        signature: Any = None,
        base_dir: str | None = None,
        local_files: bool = True,
    ) -> VersionRecord:
        """Register the next version of ``name``.

        Args:
            name: The model (created on its first version).
            run: The run (or its id) that produced it: the version links to it, and its
                artifacts are the files unless ``artifacts`` says otherwise.
            artifacts: Which files: paths of the run's artifacts (as recorded, or their
                names), or local files, which are copied into the blob store. Default: all
                of the run's artifacts.
            description: Free text.
            tags: Free strings.
            signature: See :func:`~mlops_jupyter.registry.artifacts.signature_of`.
            base_dir: Folder local relative paths are read from (default: the current one).
            local_files: Whether ``artifacts`` may name local files (False for requests from
                the network: only the run's own artifacts).

        Raises:
            InvalidArgumentError: No files, an unknown artifact, a bad name.
            ConflictError: The run did not finish.
            RunNotFoundError: The run is unknown.
        """
        check_model_name(name)
        record = self.store.get_run(run) if isinstance(run, str) else run
        if record is not None and record.status is not RunStatus.FINISHED:
            raise ConflictError(
                f"run {record.id[:12]} is {record.status.value}: only a finished run's model "
                "is registered"
            )
        chosen = self._choose(record, artifacts, base_dir if local_files else None, local_files)
        files: list[ManifestFile] = []
        seen: set[str] = set()
        for item in chosen:
            path = version_path(item.path)
            if path in seen:
                raise InvalidArgumentError(f"two files would be {path!r} in the version")
            seen.add(path)
            fmt, flavor = guess_format(path, item.head)
            files.append(ManifestFile(path, item.sha256, item.size, fmt, flavor))
        manifest = Manifest(tuple(files))
        manifest_sha = self.store.put_json_blob(manifest.to_json(), fsync=True)
        new = NewVersion(
            run_id=record.id if record is not None else None,
            manifest_sha256=manifest_sha,
            flavor=manifest.flavor,
            signature=signature_of(signature),
            description=description,
            tags=dict(tags or {}),
            size=manifest.size,
            files=len(files),
            file_shas=[f.sha256 for f in files],
        )
        return self.log.create_version(name, new, actor=self.actor)

    def _choose(
        self, run: Run | None, wanted: Sequence[str], base_dir: str | None, allow_local: bool
    ) -> list[_Chosen]:
        blobs = self.store.blobs
        recorded = list(run.artifacts) if run is not None else []
        if not wanted:
            if not recorded:
                what = f"run {run.id[:12]} recorded no artifact" if run else "no file was given"
                raise InvalidArgumentError(
                    f"{what}: name the model's files (--artifact PATH / artifact=...)"
                )
            return [self._from_blob(r) for r in recorded]
        chosen: list[_Chosen] = []
        for path in wanted:
            match = _match_artifact(recorded, path)
            if match is not None:
                chosen.append(self._from_blob(match))
                continue
            if not allow_local:
                known = ", ".join(r.path for r in recorded[:10]) or "none"
                raise InvalidArgumentError(
                    f"{path!r} is not an artifact of the run (its artifacts: {known})"
                )
            local = Path(base_dir or os.getcwd(), os.path.expanduser(path))
            if not local.is_file():
                known = ", ".join(r.path for r in recorded[:10]) or "none"
                raise InvalidArgumentError(
                    f"{path!r} is neither an artifact of the run (its artifacts: {known}) nor "
                    "a file here"
                )
            stored = blobs.put_file(local)
            with open(local, "rb") as f:
                head = scan_head(f)
            chosen.append(_Chosen(path, stored.sha256, stored.size, head))
        return chosen

    def _from_blob(self, record: FileRecord) -> _Chosen:
        with self.store.blobs.open(record.sha256) as f:
            head = scan_head(f)
        return _Chosen(record.path, record.sha256, record.size, head)

    # -- reading ----------------------------------------------------------------------------

    def resolve(self, ref: str | ModelRef) -> VersionRecord:
        """The version a reference names (``NAME`` alone: the latest).

        Raises:
            NotFoundError: Unknown model, version or alias.
        """
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        if parsed.version is not None:
            return self.log.get_version(parsed.name, parsed.version)
        if parsed.alias is not None:
            holder = self.log.aliases(parsed.name).get(parsed.alias)
            if holder is None:
                self.log.get_model(parsed.name)  # NotFoundError for an unknown model
                raise NotFoundError(f"model {parsed.name!r} has no alias {parsed.alias!r}")
            return self.log.get_version(parsed.name, holder)
        versions = self.log.list_versions(parsed.name)
        if not versions:
            raise NotFoundError(f"model {parsed.name!r} has no version")
        return versions[-1]

    def manifest(self, version: VersionRecord) -> Manifest:
        """The files of a version (checked: a shared store's records are not trusted)."""
        return Manifest.from_json(self.store.get_json_blob(version.manifest_sha256))

    def model(self, name: str) -> ModelRecord:
        """A model (``NotFoundError`` if unknown)."""
        return self.log.get_model(check_model_name(name))

    def summaries(self) -> list[dict[str, Any]]:
        """Every model with its number of versions, latest version and aliases."""
        found = []
        for model in self.log.list_models():
            versions = self.log.list_versions(model.name)
            found.append(
                {
                    **model.to_json(),
                    "versions": len(versions),
                    "latest": versions[-1].version if versions else None,
                    "updated_at": versions[-1].to_json()["created_at"] if versions else None,
                    "aliases": self.log.aliases(model.name),
                }
            )
        return found

    def describe(self, version: VersionRecord) -> dict[str, Any]:
        """A version as ``models show`` and the API give it: its record, files, aliases and
        the producing run's parameters and metrics."""
        aliases = sorted(
            a for a, v in self.log.aliases(version.model).items() if v == version.version
        )
        data = version.to_json()
        data["aliases"] = aliases
        try:
            data["manifest"] = [f.to_json() for f in self.manifest(version).files]
        except Exception as exc:  # a missing or tampered manifest is shown, not fatal
            data["manifest"] = []
            data["manifest_error"] = str(exc)
        data["run"] = None
        if version.run_id:
            try:
                run = self.store.get_run(version.run_id)
            except NotFoundError:
                data["run"] = {"id": version.run_id, "missing": True}
            else:
                data["run"] = {
                    "id": run.id,
                    "name": run.name,
                    "experiment": run.experiment,
                    "status": run.status.value,
                    "params": run.params,
                    "metrics": run.metrics,
                }
        return data

    # -- aliases ----------------------------------------------------------------------------

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | None,
        *,
        reason: str,
        expect: Any = ANY,
        kind: str = "alias_moved",
        payload: Any = None,
    ) -> Event:
        """Point ``NAME@alias`` at ``version`` (None: remove it), with its event.

        Raises:
            InvalidArgumentError: A bad alias or no reason.
            NotFoundError: Unknown model or version.
            ConflictError: ``expect`` is not the holder any more.
        """
        check_model_name(name)
        check_alias(alias)
        if kind == "alias_moved" and self.policy(name).for_alias(alias).protected:
            raise ConflictError(
                f"{name}@{alias} is protected by the model's policy: it moves only by "
                f"promotion (mlops-jupyter models promote {name} VERSION --alias {alias}) or "
                "rollback"
            )
        return self.log.move_alias(
            name,
            alias,
            version,
            actor=self.actor,
            reason=require_reason(reason),
            kind=kind,
            expect=expect,
            payload=payload,
        )

    # -- policy --------------------------------------------------

    def policy(self, name: str) -> Policy:
        """The model's policy (the defaults when none was set)."""
        return Policy.from_json(self.model(name).policy)

    def set_policy(self, name: str, policy: Any, *, reason: str | None = None) -> Policy:
        """Set (None: reset to the defaults) the model's policy; an event records it."""
        parsed = Policy.from_json(policy)
        stored = None if policy is None else parsed.to_json()
        self.log.set_policy(check_model_name(name), stored, actor=self.actor, reason=reason)
        return parsed if policy is not None else Policy()

    def holders(self, name: str, alias: str) -> list[int | None]:
        """The alias's holders after each of its moves, a rollback undoing the move before
        it (the last is the current holder)."""
        stack: list[int | None] = []
        for event in self.log.events(model=name, alias=alias, kinds=ALIAS_KINDS):
            if event.kind == "alias_rollback" and stack:
                stack.pop()
                if not stack or stack[-1] != event.to_version:  # an edited log: follow it
                    stack.append(event.to_version)
            else:
                stack.append(event.to_version)
        return stack

    def rollback(self, name: str, alias: str, *, reason: str) -> Event:
        """Move ``NAME@alias`` back to the version it pointed at before its last move.

        Rolling back again goes further back (each rollback undoes one move).

        Raises:
            ConflictError: The alias never pointed elsewhere, or moved meanwhile.
        """
        check_model_name(name)
        check_alias(alias)
        reason = require_reason(reason)
        stack = self.holders(name, alias)
        current = self.log.aliases(name).get(alias)
        if len(stack) < 2:
            self.log.get_model(name)
            where = "was never set" if not stack else f"was only ever version {stack[-1]}"
            raise ConflictError(f"nothing to roll back to: {name}@{alias} {where}")
        target = stack[-2]
        return self.log.move_alias(
            name,
            alias,
            target,
            actor=self.actor,
            reason=reason,
            kind="alias_rollback",
            expect=current,
            payload={"undoes": stack[-1]},
        )

    def history(
        self, name: str, alias: str | None = None, *, kinds: Sequence[str] | None = None
    ) -> list[Event]:
        """The model's events, oldest first (only its alias's moves when ``alias`` is given)."""
        check_model_name(name)
        self.log.get_model(name)
        if alias is not None:
            check_alias(alias)
            return self.log.events(model=name, alias=alias, kinds=kinds or ALIAS_KINDS)
        return self.log.events(model=name, kinds=kinds)

    def holder_at(self, name: str, alias: str, when: datetime) -> tuple[int | None, Event | None]:
        """Which version ``NAME@alias`` pointed at on ``when`` (UTC), and the move that put it
        there (``(None, None)`` if it was unset)."""
        from ..models import format_datetime

        stamp = format_datetime(when)
        last: Event | None = None
        for event in self.history(name, alias):
            if event.at > stamp:
                break
            last = event
        return (last.to_version if last else None), last

    # -- loading ----------------------------------------------------------------------------

    def files(self, version: VersionRecord, dest: str | os.PathLike[str] | None = None) -> Path:
        """The folder holding the version's files, materialized from the blob store."""
        manifest = self.manifest(version)
        root = (
            Path(dest).resolve() if dest is not None else cache_root(self.store.location.blob_root)
        )
        return materialize(manifest, version.manifest_sha256, self.store.blobs, root)

    def load(self, ref: str | ModelRef, *, unpickle: bool = False, dest: str | None = None) -> Any:
        """The path of a version's file (its folder when it has several), or the object
        unpickled from its one pickle or joblib file when ``unpickle`` is true.

        Unpickling runs code from the file: ask for it only for models you trust.
        """
        version = self.resolve(ref)
        folder = self.files(version, dest)
        manifest = self.manifest(version)
        if not unpickle:
            return folder / manifest.files[0].path if len(manifest.files) == 1 else folder
        loadable = [f for f in manifest.files if f.format in ("pickle", "joblib")]
        if len(loadable) != 1:
            raise InvalidArgumentError(
                f"{version.ref} has {len(loadable)} pickle files: load its files yourself "
                f"from {folder}"
            )
        path = folder / loadable[0].path
        if loadable[0].format == "joblib":
            import joblib  # type: ignore[import-untyped,unused-ignore]

            return joblib.load(path)
        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 - asked for, see the docstring


def _match_artifact(recorded: Sequence[FileRecord], path: str) -> FileRecord | None:
    normal = os.path.normpath(path)
    for record in recorded:
        if os.path.normpath(record.path) == normal:
            return record
    named = [r for r in recorded if os.path.basename(r.path) == os.path.basename(normal)]
    return named[0] if len(named) == 1 else None
