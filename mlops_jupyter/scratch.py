"""Preparing the notebook a run pinned in a scratch folder, ready for papermill.

:class:`PinPreparer` writes the pinned notebook (a git commit, the saved snapshot, or the
execution history) into a scratch folder laid out like the original's (notebook and working
folder at the same relative places), cut after the tracked cell, and makes the run's inputs
readable at the relative paths the original read them from.

Every stored record is untrusted input (a shared store may hold a hostile one): a snapshot
is executed only if its content hashes to its recorded name, a git commit is extracted
without running any of the repository's programs, and every stored path that becomes a file
operation is checked to stay inside its root; a record that fails a check refuses the
reproduction with the reason.

Plain Python: no Tornado, no IPython.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConflictError, InvalidArgumentError
from .models import FileRecord, Run
from .pin import injectable_params, missing_kernel, run_kernel, runnable_pin, tracked_body

if TYPE_CHECKING:
    from .store.base import RunStore

__all__ = [
    "GIT_EXTRACT_TIMEOUT",
    "PinPreparer",
    "PinnedNotebook",
    "PreparedNotebook",
    "UnsafeRecordError",
    "inside",
    "prepare_pinned_notebook",
]

#: Seconds allowed for extracting the pinned commit.
GIT_EXTRACT_TIMEOUT = 60.0


class UnsafeRecordError(ConflictError):
    """A stored record would make a reproduction touch something outside its folder, or
    execute content that is not what was recorded (409): nothing is run."""


def inside(root: str, path: str) -> bool:
    """Whether ``path`` (resolved, links followed) is ``root`` or below it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


def _relative_input(path: str) -> str | None:
    """A recorded relative input path, normalized; None if it is absolute or climbs out."""
    if os.path.isabs(path) or "\0" in path:
        return None
    normal = os.path.normpath(path.replace("/", os.sep))
    if normal == os.curdir or normal.startswith(os.pardir + os.sep) or normal == os.pardir:
        return None
    return normal


@dataclass
class PreparedNotebook:
    """A notebook ready to run in a scratch folder.

    Attributes:
        notebook: Path of the notebook.
        cwd: The folder to start its kernel in.
        cell_id: The tracked cell's id, if known.
        input_causes: Declared inputs that are missing or changed, in words (inputs the
            session read are judged from the reproduction's own record instead).
        locations: Where the reproduction reads each recorded input (by recorded path).
        cell_source: The tracked cell's source in this notebook, when found (it differs
            from the run's when the executed cell was not saved).
    """

    notebook: str
    cwd: str
    cell_id: str | None
    input_causes: list[str] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)
    cell_source: str | None = None


class PinPreparer:
    """Writes the notebooks a run pinned into scratch folders, ready to execute.

    Args:
        store: Where the run's snapshot blobs are.
        original: The run.
        kernel: The kernel spec to run the notebooks with.
    """

    def __init__(self, store: RunStore, original: Run, kernel: str) -> None:
        self.store = store
        self.original = original
        self.kernel = kernel
        cwd = original.extra.get("cwd")
        nb_path = original.notebook.path if original.notebook is not None else None
        if not isinstance(cwd, str) or not os.path.isabs(cwd):
            cwd = os.path.dirname(nb_path) if nb_path else os.getcwd()
        self.original_cwd: str = os.path.abspath(cwd)
        if nb_path and not os.path.isabs(nb_path):
            nb_path = None  # a relative notebook path means nothing on this machine
        self.original_notebook: str | None = os.path.abspath(nb_path) if nb_path else None

    @property
    def original_base(self) -> str:
        """The folder recorded input paths are relative to: the notebook's (or the cwd)."""
        if self.original_notebook:
            return os.path.dirname(self.original_notebook)
        return self.original_cwd

    def _layout(self, folder: str) -> tuple[str, str]:
        """Where the notebook and the working folder go in ``folder``, mirroring the
        original's relative placement of the two."""
        nb = self.original_notebook
        if not nb:
            return os.path.join(folder, "reproduction.ipynb"), folder
        cwd = self.original_cwd
        nb_dir = os.path.dirname(nb)
        try:
            common = os.path.commonpath([cwd, nb_dir])
        except ValueError:
            common = nb_dir
        if common == os.path.sep:  # nothing in common worth mirroring
            return os.path.join(folder, os.path.basename(nb)), folder
        notebook = os.path.normpath(os.path.join(folder, os.path.relpath(nb, common)))
        work = os.path.normpath(os.path.join(folder, os.path.relpath(cwd, common)))
        for path in (notebook, work):
            if not inside(folder, path):  # pragma: no cover - relpath below common
                raise UnsafeRecordError(f"the run's folders would place files outside {folder}")
        return notebook, work

    # -- saved pins --------------------------------------------------------------------

    def prepare_saved(
        self, folder: str, pin: Mapping[str, Any], notes: list[str]
    ) -> PreparedNotebook:
        """The pinned notebook (a git commit, else the snapshot) truncated after the cell.

        Raises:
            InvalidArgumentError: If the run has no snapshot to fall back to.
            UnsafeRecordError: If the snapshot does not hash to its recorded name.
        """
        os.makedirs(folder, exist_ok=True)
        if pin.get("kind") == "git":
            prepared = self._prepare_git(folder, pin, notes)
            if prepared is not None:
                return prepared
        sha = pin.get("sha256")
        if not isinstance(sha, str) and self.original.notebook is not None:
            sha = self.original.notebook.snapshot_sha256
        if not isinstance(sha, str):
            raise InvalidArgumentError("the run has no notebook snapshot to reproduce from")
        nb_path, cwd = self._layout(folder)
        if self.original_notebook and not os.path.isfile(self.original_notebook):
            notes.append(
                f"the notebook {self.original_notebook} was moved or deleted since the run: "
                "reproducing from its snapshot"
            )
        return self._finish(self._snapshot_document(sha), nb_path, cwd, notes)

    def _snapshot_document(self, sha: str) -> dict[str, Any]:
        data = self.store.blobs.get_bytes(sha)
        if hashlib.sha256(data).hexdigest() != sha:
            raise UnsafeRecordError(
                f"the notebook snapshot blob {sha} does not match its hash (it was changed in "
                "the store): refusing to execute it"
            )
        try:
            document = json.loads(data)
        except ValueError:
            raise UnsafeRecordError(f"the notebook snapshot blob {sha} is not a notebook") from None
        if not isinstance(document, dict):
            raise UnsafeRecordError(f"the notebook snapshot blob {sha} is not a notebook")
        return document

    def _prepare_git(
        self, folder: str, pin: Mapping[str, Any], notes: list[str]
    ) -> PreparedNotebook | None:
        commit, root, path = pin.get("commit"), pin.get("root"), pin.get("path")
        short = str(commit)[:12]
        if not (isinstance(commit, str) and isinstance(root, str) and isinstance(path, str)):
            notes.append("the git pin is incomplete: reproducing from the snapshot")
            return None
        relative = _relative_input(path)
        if relative is None or not os.path.isabs(root):
            raise UnsafeRecordError(
                f"the git pin's notebook path {path!r} climbs out of its repository: refusing "
                "to reproduce"
            )
        if self.original_notebook and not inside(root, self.original_notebook):
            notes.append(
                f"the git pin's repository {root} does not hold the run's notebook: "
                "reproducing from the snapshot"
            )
            return None
        from .capture.git import extract_commit

        tree = os.path.join(folder, "repo")
        try:
            extract_commit(root, commit, tree, timeout=GIT_EXTRACT_TIMEOUT)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            notes.append(
                f"commit {short} could not be extracted ({exc}): reproducing from the snapshot"
            )
            shutil.rmtree(tree, ignore_errors=True)
            return None
        nb_path = os.path.join(tree, relative)
        if not os.path.isfile(nb_path):
            notes.append(
                f"the notebook {path} is not in commit {short}: reproducing from the snapshot"
            )
            shutil.rmtree(tree, ignore_errors=True)
            return None
        with open(nb_path, "rb") as handle:
            data = handle.read()
        expected = self.original.extra.get("notebook_sha256")
        if isinstance(expected, str) and hashlib.sha256(data).hexdigest() != expected:
            notes.append(
                f"the notebook {path} in commit {short} is not the one the run saved: "
                "reproducing from the snapshot"
            )
            shutil.rmtree(tree, ignore_errors=True)
            return None
        rel_cwd = os.path.relpath(os.path.realpath(self.original_cwd), os.path.realpath(root))
        cwd = tree if rel_cwd.startswith("..") else os.path.join(tree, rel_cwd)
        if not os.path.isdir(cwd) or not inside(tree, cwd):
            cwd = os.path.dirname(nb_path)
        notes.append(f"reproducing {path} at commit {short}")
        prepared = self._finish(json.loads(data), nb_path, cwd, notes, git_root=root, tree=tree)
        return prepared

    # -- history pins ------------------------------------------------------------------

    def prepare_history(self, folder: str) -> PreparedNotebook:
        """A notebook of the executed cells, in the order the kernel ran them.

        Cells that raised in the original session are left out (their effects, if any, did
        not happen), and so are papermill's injected parameters (injected again).
        """
        from .capture.notebook import notebook_from_history
        from .capture.source import parse_papermill_parameters

        sources = [
            str(entry.get("source", ""))
            for entry in self.original.history
            if isinstance(entry, dict)
            and not entry.get("failed")
            and parse_papermill_parameters(str(entry.get("source", ""))) is None
        ]
        document = notebook_from_history(sources, kernel_name=self.kernel)
        if document["cells"] and self.original.cell_id:
            # The last executed source is the tracked cell: give it its id, so the kernel
            # recognizes it even when parameters changed its text.
            document["cells"][-1]["id"] = self.original.cell_id
        nb_path, cwd = self._layout(folder)
        return self._finish(document, nb_path, cwd, [], truncate=False)

    # -- common ------------------------------------------------------------------------

    def _finish(
        self,
        document: dict[str, Any],
        nb_path: str,
        cwd: str,
        notes: list[str],
        *,
        truncate: bool = True,
        git_root: str | None = None,
        tree: str | None = None,
    ) -> PreparedNotebook:
        cell_source = None
        if truncate:
            document = self._truncate(document)
            last = document["cells"][-1] if document.get("cells") else None
            if isinstance(last, dict) and last.get("cell_type") == "code":
                source = last.get("source", "")
                cell_source = "".join(source) if isinstance(source, list) else str(source)
        kernelspec = document.setdefault("metadata", {}).setdefault("kernelspec", {})
        kernelspec.update(
            {"name": self.kernel, "display_name": kernelspec.get("display_name") or self.kernel}
        )
        kernelspec.setdefault("language", "python")
        os.makedirs(os.path.dirname(nb_path), exist_ok=True)
        os.makedirs(cwd, exist_ok=True)
        with open(nb_path, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        prepared = PreparedNotebook(
            notebook=nb_path, cwd=cwd, cell_id=self.original.cell_id, cell_source=cell_source
        )
        linker = _InputLinker(self, os.path.dirname(nb_path), notes, git_root, tree)
        prepared.input_causes, prepared.locations = linker.link(self.original.inputs)
        return prepared

    def _truncate(self, document: dict[str, Any]) -> dict[str, Any]:
        """Drop the cells after the tracked one (by id, else by source), so they don't run."""
        from .capture.notebook import normalize_source

        cells = document.get("cells")
        if not isinstance(cells, list):
            raise InvalidArgumentError("the pinned notebook has no cells")
        index: int | None = None
        cell_id = self.original.cell_id
        if cell_id:
            index = next(
                (i for i, c in enumerate(cells) if isinstance(c, dict) and c.get("id") == cell_id),
                None,
            )
        if index is None:
            wanted = {
                normalize_source(self.original.source),
                normalize_source(tracked_body(self.original.source)),
            }
            for i, cell in enumerate(cells):
                if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                    continue
                source = cell.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                if (
                    normalize_source(text) in wanted
                    or normalize_source(tracked_body(text)) in wanted
                ):
                    index = i
                    break
        if index is not None:
            document = dict(document, cells=cells[: index + 1])
        for cell in document["cells"]:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        return document


class _InputLinker:
    """Makes a run's inputs readable in a scratch folder at their original relative paths."""

    def __init__(
        self,
        preparer: PinPreparer,
        scratch_base: str,
        notes: list[str],
        git_root: str | None,
        tree: str | None,
    ) -> None:
        self.original_base = preparer.original_base
        self.scratch_base = scratch_base
        self.notes = notes
        self.git_root = git_root
        self.tree = tree

    def link(self, inputs: list[FileRecord]) -> tuple[list[str], dict[str, str]]:
        """Link every input; return the declared inputs' causes and where each is read."""
        causes: list[str] = []
        locations: dict[str, str] = {}
        for record in inputs:
            if record.kind in ("url", "frame"):
                continue
            if os.path.isabs(record.path):
                # Read in place, as the original did: nothing to link.
                locations[record.path] = record.path
                if record.via in (None, "declared"):
                    causes.extend(_stat_cause(record, record.path))
                continue
            relative = _relative_input(record.path)
            if relative is None:
                raise UnsafeRecordError(
                    f"the stored input path {record.path!r} climbs out of the notebook's "
                    "folder: refusing to reproduce"
                )
            target = os.path.join(self.scratch_base, relative)
            source = os.path.join(self.original_base, relative)
            if not inside(self.scratch_base, os.path.dirname(target)) or not inside(
                self.original_base, os.path.dirname(source)
            ):
                raise UnsafeRecordError(
                    f"the stored input path {record.path!r} leads outside its folder: "
                    "refusing to reproduce"
                )
            locations[record.path] = target
            self._place(record, relative, target, source)
            if record.via in (None, "declared"):
                causes.extend(_hash_cause(record, target))
        return causes, locations

    def _place(self, record: FileRecord, relative: str, target: str, source: str) -> None:
        if os.path.lexists(target):
            # The commit holds it: the committed version is what runs.
            self._note_working_copy(record, relative, target, source)
            return
        if not os.path.lexists(source):
            return  # missing: the verdict says so
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(source, target, target_is_directory=os.path.isdir(source))

    def _note_working_copy(
        self, record: FileRecord, relative: str, target: str, source: str
    ) -> None:
        if self.tree is None or not inside(self.tree, target) or not os.path.isfile(source):
            return
        from .capture.inputs import digest_file

        try:
            committed = digest_file(os.path.realpath(target)).sha256
            working = digest_file(source).sha256
        except OSError:
            return
        if committed != working:
            self.notes.append(
                f"{record.path} in the working tree differs from the pinned commit: the "
                "current data may give other results"
            )


def _hash_cause(record: FileRecord, path: str) -> list[str]:
    from .capture.inputs import digest_file
    from .verdict import input_changed

    try:
        digest = digest_file(path)
    except OSError:
        return [f"input {record.path} is missing"]
    if digest.sha256 != record.sha256:
        now = FileRecord(record.path, digest.sha256, digest.size, mtime=digest.mtime)
        return [input_changed(record, now)]
    return []


def _stat_cause(record: FileRecord, path: str) -> list[str]:
    """Compare an absolute input by size and time only: its content is not ours to read."""
    try:
        st = os.stat(path)
    except OSError:
        return [f"input {record.path} is missing"]
    if st.st_size != record.size:
        return [f"input {record.path} changed (size {record.size} → {st.st_size} bytes)"]
    return []


@dataclass
class PinnedNotebook:
    """A run's pinned notebook, written to a folder and ready for papermill.

    Attributes:
        notebook: Path of the notebook (truncated after the tracked cell for saved pins).
        cwd: The folder to start its kernel in, laid out like the original's.
        kernel: The kernel spec name to run it with.
        params: The run's parameters (names checked, values JSON, secrets left out unless
            the environment gives them).
        notes: What the preparation fell back to (a missing commit, a moved notebook, ...).
    """

    notebook: str
    cwd: str
    kernel: str
    params: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def prepare_pinned_notebook(store: RunStore, original: Run, folder: str) -> PinnedNotebook:
    """Write the notebook ``original`` pinned into ``folder``, as a reproduction would run it.

    Used by sweeps and reruns, which run it again with other parameters.

    Raises:
        InvalidArgumentError: If a parameter cannot be injected.
        ConflictError: If the run pinned nothing runnable, its kernel is not installed, or
            a stored record is unsafe (:class:`UnsafeRecordError`).
    """
    params, notes = injectable_params(original)
    pin = runnable_pin(original, "run again")
    kernel = run_kernel(store, original)
    missing = missing_kernel(kernel)
    if missing is not None:
        raise ConflictError(missing)
    preparer = PinPreparer(store, original, kernel)
    if pin.get("kind") == "history":
        prepared = preparer.prepare_history(folder)
    else:
        prepared = preparer.prepare_saved(folder, pin, notes)
    return PinnedNotebook(prepared.notebook, prepared.cwd, kernel, params, notes)
