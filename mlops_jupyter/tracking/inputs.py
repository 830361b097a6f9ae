"""Turning what a session read into a run's inputs: paths, folders, URLs, hashes.

Runs on the writer thread, after the cell: a tracked cell never waits for a hash. Files are
hashed once per (path, size, mtime, inode) for the kernel's life; files over the size limit
get a sampled hash, marked as such; more than a threshold of files read under one folder
become one folder input whose digest covers a manifest of its files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..capture.inputs import (
    DEFAULT_FOLDER_THRESHOLD,
    DEFAULT_MAX_HASH_BYTES,
    Read,
    digest_file,
    digest_folder,
    group_folders,
)
from ..models import FileRecord

if TYPE_CHECKING:
    from ..store.blobs import BlobStore

__all__ = ["InputSettings", "recorded_path", "resolve_inputs"]

#: ``MLOPS_JUPYTER_MAX_HASH_BYTES``: files over this size are hashed by samples.
MAX_HASH_ENV_VAR = "MLOPS_JUPYTER_MAX_HASH_BYTES"
#: ``MLOPS_JUPYTER_FOLDER_THRESHOLD``: more files than this under one folder make one input.
FOLDER_THRESHOLD_ENV_VAR = "MLOPS_JUPYTER_FOLDER_THRESHOLD"


@dataclass(frozen=True)
class InputSettings:
    """Limits of input capture.

    Attributes:
        max_hash_bytes: Files larger than this get a sampled hash.
        folder_threshold: More files than this read under one folder make one input.
    """

    max_hash_bytes: int = DEFAULT_MAX_HASH_BYTES
    folder_threshold: int = DEFAULT_FOLDER_THRESHOLD

    @classmethod
    def from_environment(cls) -> InputSettings:
        """The limits, overridden by ``MLOPS_JUPYTER_MAX_HASH_BYTES`` and
        ``MLOPS_JUPYTER_FOLDER_THRESHOLD`` when set to positive integers."""

        def number(name: str, default: int) -> int:
            try:
                value = int(os.environ.get(name, ""))
            except ValueError:
                return default
            return value if value > 0 else default

        return cls(
            max_hash_bytes=number(MAX_HASH_ENV_VAR, DEFAULT_MAX_HASH_BYTES),
            folder_threshold=number(FOLDER_THRESHOLD_ENV_VAR, DEFAULT_FOLDER_THRESHOLD),
        )


def recorded_path(absolute: str, base: str) -> str:
    """``absolute`` relative to ``base`` (``/`` separators) when inside it, else absolute."""
    base = os.path.abspath(base)
    try:
        inside = os.path.commonpath([absolute, base]) == base
    except ValueError:  # different drives
        inside = False
    if not inside or absolute == base:
        return absolute
    return os.path.relpath(absolute, base).replace(os.sep, "/")


def resolve_inputs(
    reads: Sequence[Read],
    *,
    base: str,
    blobs: BlobStore,
    skip: Iterable[str] = (),
    settings: InputSettings | None = None,
) -> tuple[list[FileRecord], list[str]]:
    """The input records of what a session read.

    Args:
        reads: Files and URLs read (see :class:`~mlops_jupyter.capture.inputs.InputMonitor`).
        base: The notebook's folder (recorded paths are relative to it when inside it).
        blobs: Where folder manifests are stored.
        skip: Absolute paths that are not inputs (the notebook itself, the run's artifacts,
            inputs already recorded).
        settings: Limits (default: from the environment).

    Returns:
        The records, in the order first read, and warnings (files gone before they could
        be hashed, unreadable files).
    """
    settings = settings or InputSettings.from_environment()
    skipped = {os.path.abspath(p) for p in skip}
    files = [r for r in reads if r.kind == "file" and r.path not in skipped]
    folders = group_folders([r.path for r in files], settings.folder_threshold, stop=base)
    in_folder = {path for members in folders.values() for path in members}
    records: list[FileRecord] = []
    warnings: list[str] = []
    done_folders: set[str] = set()
    for read in reads:
        if read.kind == "url":
            records.append(
                FileRecord(
                    read.path,
                    "",
                    0,
                    kind="url",
                    hashing="none",
                    via=read.via,
                    cell=read.cell,
                    version=read.version,
                )
            )
            continue
        if read.path in skipped:
            continue
        if read.path in in_folder:
            folder = next(f for f, members in folders.items() if read.path in members)
            if folder not in done_folders:
                done_folders.add(folder)
                records.append(_folder_record(folder, read, base, blobs, settings))
            continue
        record = _file_record(read, base, settings)
        if record is None:
            warnings.append(f"input {recorded_path(read.path, base)} was gone before it was hashed")
        else:
            records.append(record)
    return records, warnings


def _file_record(read: Read, base: str, settings: InputSettings) -> FileRecord | None:
    try:
        info = digest_file(read.path, max_bytes=settings.max_hash_bytes)
    except OSError:
        return None
    return FileRecord(
        recorded_path(read.path, base),
        info.sha256,
        info.size,
        hashing=info.hashing,
        via=read.via,
        cell=read.cell,
        mtime=info.mtime,
    )


def _folder_record(
    folder: str, first: Read, base: str, blobs: BlobStore, settings: InputSettings
) -> FileRecord:
    sha, entries, total = digest_folder(folder, max_bytes=settings.max_hash_bytes)
    manifest = json.dumps(entries, separators=(",", ":")).encode("utf-8")
    return FileRecord(
        recorded_path(folder, base),
        sha,
        total,
        kind="folder",
        via=first.via,
        cell=first.cell,
        files=len(entries),
        manifest_sha256=blobs.put_bytes(manifest, fsync=False),
    )
