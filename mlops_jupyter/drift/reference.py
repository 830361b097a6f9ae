"""Where a drift check's reference comes from.

A reference is a profile JSON file (``drift profile --out``), a run (the profiles of the
frames it logged with ``log_input``, else its data files when they are unchanged), or a model
version (``NAME@alias``, ``NAME/3``: the data of the run that produced it). ``#NAME`` after a
run or model picks one of several logged frames (``churn@champion#train``). Resolvers are
tried in order (:data:`RESOLVERS`, extensible with :func:`register_resolver`) before the file
fallback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidArgumentError, NotFoundError
from .profile import Profile

if TYPE_CHECKING:
    from ..models import Run
    from ..store.base import RunStore

__all__ = [
    "RESOLVERS",
    "Reference",
    "Resolver",
    "is_store_reference",
    "register_resolver",
    "resolve",
    "resolve_reference",
    "write_profile",
]


@dataclass(frozen=True)
class Reference:
    """A resolved reference: the profile, and where it came from (for lineage).

    Attributes:
        profile: The reference profile.
        ref: What was asked for.
        run_id: The run whose data it is, if any.
        version: The model version (``name/3``) whose training data it is, if any.
        source: ``file``, ``run`` or ``model``.
    """

    profile: Profile
    ref: str
    run_id: str | None = None
    version: str | None = None
    source: str = "file"


#: A resolver returns the reference ``ref`` names, or None when ``ref`` is not its form.
Resolver = Callable[[str, "RunStore | None"], "Profile | Reference | None"]
#: The resolvers tried, in order, before ``ref`` is read as a profile file.
RESOLVERS: list[Resolver] = []

_MODEL_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*@[a-z][a-z0-9_-]*$")
_MODEL_VERSION = re.compile(r"^[^@/\s]+/\d+$")
_RUN_ID = re.compile(r"^[0-9a-f]{4,32}$")


def register_resolver(resolver: Resolver) -> Resolver:
    """Add a resolver for a new form of reference (usable as a decorator).

    Args:
        resolver: ``resolver(ref, store)`` returns a Profile, or None when ``ref`` is not
            its form; it raises :class:`~mlops_jupyter.errors.NotFoundError` when ``ref`` is
            its form but names nothing.

    Returns:
        The resolver.
    """
    RESOLVERS.append(resolver)
    return resolver


def _read_file(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"{path}: cannot read the profile: {exc}") from exc
    return Profile.loads(text)


def resolve_reference(ref: str, store: RunStore | None = None) -> Profile:
    """The reference profile that ``ref`` names.

    Args:
        ref: A profile JSON file (``train.profile.json``, as ``drift profile --out``
            writes it), a run id (or a unique prefix), ``NAME@alias`` or ``NAME/VERSION``,
            each optionally followed by ``#FRAME`` (the ``log_input`` name).
        store: The run store, for resolvers that read it.

    Returns:
        The profile.

    Raises:
        NotFoundError: If ``ref`` names no file, run or model.
        InvalidArgumentError: If the run logged several frames and ``#FRAME`` does not
            say which, or the file is not a profile.
    """
    return resolve(ref, store).profile


def resolve(ref: str, store: RunStore | None = None) -> Reference:
    """Like :func:`resolve_reference`, with where the profile came from."""
    for resolver in RESOLVERS:
        found = resolver(ref, store)
        if isinstance(found, Reference):
            return found
        if found is not None:
            return Reference(found, ref)
    path = Path(ref)
    if path.is_file():
        return Reference(_read_file(path), ref)
    raise NotFoundError(
        f"{ref}: no such profile file, run or model (a reference is a profile JSON file, a run "
        "id, NAME@ALIAS or NAME/VERSION, optionally followed by #FRAME)"
    )


def write_profile(profile: Profile, path: str | Path) -> None:
    """Write a profile as JSON to ``path`` (what :func:`resolve_reference` reads back)."""
    Path(path).write_text(profile.dumps(), encoding="utf-8")


# -- runs and model versions -------------------------------------------------------------------


def _store(store: RunStore | None) -> RunStore:
    if store is not None:
        return store
    from ..store import get_store

    return get_store()


def _run_profile(run: Run, frame: str | None, store: RunStore) -> tuple[Profile, str]:
    """The profile of the data ``run`` read: a logged frame's, else an unchanged data file's."""
    frames = [r for r in run.inputs if r.kind == "frame" and r.profile_sha256]
    if frame is not None:
        frames = [r for r in frames if r.path == frame]
    elif len(frames) > 1:
        named = [r for r in frames if r.path == "train"]
        if len(named) != 1:
            names = ", ".join(sorted(r.path for r in frames))
            raise InvalidArgumentError(
                f"run {run.id[:12]} logged several frames ({names}): say which with #NAME"
            )
        frames = named
    if frames:
        record = frames[-1]
        assert record.profile_sha256 is not None  # noqa: S101 - filtered above
        profile = Profile.loads(store.blobs.get_bytes(record.profile_sha256).decode("utf-8"))
        return profile, record.path
    if frame is None:
        from ..capture.inputs import digest_file

        base = os.path.dirname(run.notebook.path) if run.notebook and run.notebook.path else None
        cwd = run.extra.get("cwd")
        base = base or (cwd if isinstance(cwd, str) else None)
        for record in run.inputs:
            suffix = Path(record.path).suffix.lower()
            if record.kind != "file" or suffix not in (".csv", ".parquet", ".pq") or base is None:
                continue
            path = os.path.join(base, record.path)
            try:
                unchanged = digest_file(path).sha256 == record.sha256
            except OSError:
                continue
            if unchanged:
                from .profiling import profile_file

                return profile_file(path, name=record.path), record.path
    what = f"no frame named {frame!r}" if frame else "no data profile"
    raise NotFoundError(
        f"run {run.id[:12]} has {what}: log the training data with "
        "mlops_jupyter.log_input(df, 'train') in its cell (or keep its .csv/.parquet unchanged)"
    )


def is_store_reference(ref: str) -> bool:
    """Whether ``ref`` has the form of a run or model reference (not a file)."""
    head, _ = _split_frame(ref)
    return bool(_MODEL_ALIAS.match(head) or _MODEL_VERSION.match(head) or _RUN_ID.match(head))


def _split_frame(ref: str) -> tuple[str, str | None]:
    head, sep, frame = ref.partition("#")
    return head, (frame or None) if sep else None


@register_resolver
def _from_model(ref: str, store: RunStore | None) -> Reference | None:
    head, frame = _split_frame(ref)
    if not (_MODEL_ALIAS.match(head) or _MODEL_VERSION.match(head)) or Path(ref).is_file():
        return None
    from ..registry import Registry

    registry = Registry(_store(store))
    version = registry.resolve(head)
    if version.run_id is None:
        raise NotFoundError(f"{version.ref} was registered without a run: no training data known")
    run = registry.store.get_run(version.run_id)
    profile, _ = _run_profile(run, frame, registry.store)
    return Reference(profile, ref, run_id=run.id, version=version.ref, source="model")


@register_resolver
def _from_run(ref: str, store: RunStore | None) -> Reference | None:
    head, frame = _split_frame(ref)
    if not _RUN_ID.match(head) or Path(ref).exists():
        return None
    runs = _store(store)
    ids = [head] if len(head) == 32 else runs.run_ids_with_prefix(head, 2)
    if len(ids) > 1:
        raise InvalidArgumentError(f"ambiguous: several runs start with {head}")
    if not ids:
        return None
    run = runs.get_run(ids[0])
    profile, _ = _run_profile(run, frame, runs)
    return Reference(profile, ref, run_id=run.id, source="run")
