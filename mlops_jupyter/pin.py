"""Pins: which code a run's reproduction executes, and preparing that notebook to run.

When a run is recorded, :func:`compute_pin` says what a later execution will run (a git
commit, the saved notebook snapshot, or the execution history) and :func:`compute_risks`
notes why it may not reproduce. :class:`PinPreparer` writes the pinned notebook into a
scratch folder laid out like the original's (notebook and working folder at the same
relative places), cut after the tracked cell, with the recorded inputs linked in. Shared by
reproductions, sweeps of a run and reruns.

Plain Python: no Tornado, no IPython.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConflictError, InvalidArgumentError, MlopsError
from .models import FileRecord, Run

if TYPE_CHECKING:
    from .store.base import RunStore

__all__ = [
    "GIT_ARCHIVE_TIMEOUT",
    "PinPreparer",
    "PinnedNotebook",
    "PreparedNotebook",
    "checked_params",
    "compute_pin",
    "compute_risks",
    "missing_kernel",
    "names_random",
    "prepare_pinned_notebook",
    "run_kernel",
    "runnable_pin",
    "tracked_body",
]

#: Seconds allowed for ``git archive`` of the pinned commit.
GIT_ARCHIVE_TIMEOUT = 60.0
#: Calls in a cell's source that usually read a data file.
_READS_FILES_RE = r"read_csv|read_parquet|open\(|np\.load|load\(|read_json|read_excel"
_RANDOM_RE = re.compile(r"\brandom\b")


# --------------------------------------------------------------------------- at capture


def compute_pin(run: Run) -> dict[str, Any] | None:
    """Which code a reproduction of ``run`` executes.

    Returns:
        ``{"kind": "git", "commit", "root", "path"}`` for a clean git tree holding the saved
        notebook, ``{"kind": "snapshot", "sha256"}`` for a saved notebook snapshot,
        ``{"kind": "history"}`` when only the execution history holds the code that ran (the
        cell was not saved, or cells ran out of order), None when nothing can be reproduced.
    """
    notebook = run.notebook
    saved = (
        notebook is not None
        and notebook.snapshot_sha256 is not None
        and notebook.saved_matches_source is True
    )
    in_order = run.history_out_of_order is not True
    if saved and in_order and notebook is not None and notebook.path:
        git = run.git
        if git is not None and git.commit and not git.dirty:
            root = os.path.realpath(git.root)
            path = os.path.realpath(notebook.path)
            if path.startswith(root + os.sep):
                relative = os.path.relpath(path, root).replace(os.sep, "/")
                return {"kind": "git", "commit": git.commit, "root": git.root, "path": relative}
        return {"kind": "snapshot", "sha256": notebook.snapshot_sha256}
    if run.history:
        return {"kind": "history"}
    return None


def names_random(text: str) -> bool:
    """Whether code ``text`` mentions the standard library's ``random``."""
    return _RANDOM_RE.search(text) is not None


def compute_risks(
    run: Run, *, seed: int | None = None, random_named: bool | None = None
) -> list[str]:
    """Plain-words reasons why ``run`` may not reproduce, as far as the kernel can tell.

    Args:
        run: The run (with notebook, history, git, seed and inputs captured).
        seed: The ``--seed`` of the tracked cell (``run.seed`` when None).
        random_named: Whether the session's code named ``random``, when the caller already
            knows (the tracker scans each executed cell once instead of the whole history
            on every run); computed from ``run.history`` otherwise.
    """
    from .capture.seeds import random_libraries_in_use

    risks: list[str] = []
    if run.notebook is not None and run.notebook.saved_matches_source is False:
        risks.append("the executed cell was not saved in the notebook")
    if run.history_out_of_order:
        risks.append("cells ran out of order in this session")
    if (run.seed if seed is None else seed) is None:
        libraries = random_libraries_in_use()
        if "random" in libraries:
            # The standard library's random is imported by every kernel (tempfile uses it):
            # it counts only when the code executed in the session names it.
            if random_named is None:
                sources = [run.source, *(str(h.get("source", "")) for h in run.history)]
                random_named = any(names_random(text) for text in sources)
            if not random_named:
                libraries.remove("random")
        if libraries:
            risks.append("no seed set while random libraries were used: " + ", ".join(libraries))
    if not run.inputs and re.search(_READS_FILES_RE, run.source):
        risks.append("the cell reads files that were not hashed with --input")
    if run.git is not None and run.git.dirty:
        risks.append("git tree was dirty")
    return risks


# --------------------------------------------------------------------------- checks


def runnable_pin(original: Run, what: str) -> dict[str, Any]:
    """The run's pin (recorded, or computed for runs older than pins).

    Args:
        original: The run.
        what: What is refused, for the message ("reproduced", "run again").

    Raises:
        ConflictError: If the run recorded neither a notebook nor a history (409).
    """
    pin = original.extra.get("pin") if "pin" in original.extra else compute_pin(original)
    if pin is None:
        raise ConflictError(
            f"run {original.id} cannot be {what}: it recorded neither a notebook nor an "
            "execution history"
        )
    return dict(pin)


def checked_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters, refused unless every name is an identifier and values JSON.

    Raises:
        InvalidArgumentError: Naming the first bad parameter.
    """
    from .capture.source import validate_param_name

    checked: dict[str, Any] = {}
    for name, value in params.items():
        try:
            validate_param_name(name)
        except ValueError as exc:
            raise InvalidArgumentError(f"refusing to reproduce: {exc}") from None
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"refusing to reproduce: parameter {name!r} is not a JSON value"
            ) from None
        checked[name] = value
    return checked


def missing_kernel(name: str) -> str | None:
    """Why the kernel spec ``name`` cannot be used (it is not installed), or None."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return f"kernel spec {name!r} is not installed"
    return None


def run_kernel(store: RunStore, run: Run) -> str:
    """The kernel spec a run's code runs with: the run's, its snapshot's, else python3."""
    return run.kernel_name or _snapshot_kernel(store, run) or "python3"


def _snapshot_kernel(store: RunStore, run: Run) -> str | None:
    sha = run.notebook.snapshot_sha256 if run.notebook is not None else None
    if sha is None:
        return None
    try:
        document = json.loads(store.blobs.get_bytes(sha))
        name = document["metadata"]["kernelspec"]["name"]
    except (MlopsError, ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


def tracked_body(source: str) -> str:
    """The code of a tracked cell: its source without the ``%%`` magic line."""
    first, _newline, rest = source.partition("\n")
    return rest if first.lstrip().startswith("%%") else source


# --------------------------------------------------------------------------- preparing


@dataclass
class PreparedNotebook:
    """A notebook ready to run in a scratch folder.

    Attributes:
        notebook: Path of the notebook.
        cwd: The folder to start its kernel in.
        cell_id: The tracked cell's id, if known.
        input_causes: Recorded inputs that are missing or changed, in words.
    """

    notebook: str
    cwd: str
    cell_id: str | None
    input_causes: list[str] = field(default_factory=list)


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
        if not isinstance(cwd, str) or not cwd:
            cwd = os.path.dirname(nb_path) if nb_path else os.getcwd()
        self.original_cwd: str = cwd
        self.original_notebook: str | None = nb_path

    def _layout(self, folder: str) -> tuple[str, str]:
        """Where the notebook and the working folder go in ``folder``, mirroring the
        original's relative placement of the two."""
        nb = self.original_notebook
        if not nb:
            return os.path.join(folder, "reproduction.ipynb"), folder
        cwd = os.path.abspath(self.original_cwd)
        nb_dir = os.path.dirname(os.path.abspath(nb))
        try:
            common = os.path.commonpath([cwd, nb_dir])
        except ValueError:
            common = nb_dir
        if common == os.path.sep:  # nothing in common worth mirroring
            return os.path.join(folder, os.path.basename(nb)), folder
        return (
            os.path.join(folder, os.path.relpath(os.path.abspath(nb), common)),
            os.path.normpath(os.path.join(folder, os.path.relpath(cwd, common))),
        )

    def prepare_saved(
        self, folder: str, pin: Mapping[str, Any], notes: list[str]
    ) -> PreparedNotebook:
        """The pinned notebook (a git commit, else the snapshot) truncated after the cell.

        Raises:
            InvalidArgumentError: If the run has no snapshot to fall back to.
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
        document = json.loads(self.store.blobs.get_bytes(sha))
        return self._finish(document, nb_path, cwd)

    def _prepare_git(
        self, folder: str, pin: Mapping[str, Any], notes: list[str]
    ) -> PreparedNotebook | None:
        commit, root, path = pin.get("commit"), pin.get("root"), pin.get("path")
        short = str(commit)[:12]
        if not (isinstance(commit, str) and isinstance(root, str) and isinstance(path, str)):
            notes.append("the git pin is incomplete: reproducing from the snapshot")
            return None
        tree = os.path.join(folder, "repo")
        try:
            git_archive(root, commit, tree)
        except (OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
            notes.append(
                f"commit {short} could not be extracted ({exc}): reproducing from the snapshot"
            )
            shutil.rmtree(tree, ignore_errors=True)
            return None
        nb_path = os.path.join(tree, *path.split("/"))
        if not os.path.isfile(nb_path):
            notes.append(
                f"the notebook {path} is not in commit {short}: reproducing from the snapshot"
            )
            shutil.rmtree(tree, ignore_errors=True)
            return None
        rel_cwd = os.path.relpath(os.path.realpath(self.original_cwd), os.path.realpath(root))
        cwd = tree if rel_cwd.startswith("..") else os.path.join(tree, rel_cwd)
        if not os.path.isdir(cwd):
            cwd = os.path.dirname(nb_path)
        notes.append(f"reproducing {path} at commit {short}")
        with open(nb_path, "rb") as handle:
            document = json.loads(handle.read())
        return self._finish(document, nb_path, cwd)

    def prepare_history(self, folder: str) -> PreparedNotebook:
        """A notebook of the executed cells, in the order the kernel ran them."""
        from .capture.notebook import notebook_from_history
        from .capture.source import parse_papermill_parameters

        # papermill injects the parameters again; an old injected cell would run after them.
        sources = [
            str(entry.get("source", ""))
            for entry in self.original.history
            if isinstance(entry, dict)
            and parse_papermill_parameters(str(entry.get("source", ""))) is None
        ]
        document = notebook_from_history(sources, kernel_name=self.kernel)
        if document["cells"] and self.original.cell_id:
            # The last executed source is the tracked cell: give it its id, so the kernel
            # recognizes it even when parameters changed its text.
            document["cells"][-1]["id"] = self.original.cell_id
        nb_path, cwd = self._layout(folder)
        return self._finish(document, nb_path, cwd, truncate=False)

    def _finish(
        self, document: dict[str, Any], nb_path: str, cwd: str, *, truncate: bool = True
    ) -> PreparedNotebook:
        if truncate:
            document = self._truncate(document)
        kernelspec = document.setdefault("metadata", {}).setdefault("kernelspec", {})
        kernelspec.update(
            {"name": self.kernel, "display_name": kernelspec.get("display_name") or self.kernel}
        )
        kernelspec.setdefault("language", "python")
        os.makedirs(os.path.dirname(nb_path), exist_ok=True)
        os.makedirs(cwd, exist_ok=True)
        with open(nb_path, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        prepared = PreparedNotebook(notebook=nb_path, cwd=cwd, cell_id=self.original.cell_id)
        prepared.input_causes = self._link_inputs(cwd)
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
            index = next((i for i, c in enumerate(cells) if c.get("id") == cell_id), None)
        if index is None:
            wanted = {
                normalize_source(self.original.source),
                normalize_source(tracked_body(self.original.source)),
            }
            for i, cell in enumerate(cells):
                if cell.get("cell_type") != "code":
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
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        return document

    def _link_inputs(self, cwd: str) -> list[str]:
        """Make every recorded input readable at its original relative path; report changes."""
        from .capture.files import hash_file

        causes: list[str] = []
        for record in self.original.inputs:
            target = record.path if os.path.isabs(record.path) else os.path.join(cwd, record.path)
            source = (
                record.path
                if os.path.isabs(record.path)
                else os.path.join(self.original_cwd, record.path)
            )
            if not os.path.lexists(target) and os.path.exists(source):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(os.path.abspath(source), target)
            causes.extend(_input_cause(record, target, hash_file))
        return causes


def _input_cause(record: FileRecord, path: str, hash_file: Callable[..., Any]) -> list[str]:
    try:
        digest = hash_file(path)
    except OSError:
        return [f"input {record.path} is missing"]
    if digest.sha256 != record.sha256:
        return [f"input {record.path} changed (sha256 differs)"]
    return []


@dataclass
class PinnedNotebook:
    """A run's pinned notebook, written to a folder and ready for papermill.

    Attributes:
        notebook: Path of the notebook (truncated after the tracked cell for saved pins).
        cwd: The folder to start its kernel in, laid out like the original's.
        kernel: The kernel spec name to run it with.
        params: The run's parameters (names checked, values JSON).
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
        ConflictError: If the run pinned nothing runnable or its kernel is not installed.
    """
    params = checked_params(original.params)
    pin = runnable_pin(original, "run again")
    kernel = run_kernel(store, original)
    missing = missing_kernel(kernel)
    if missing is not None:
        raise ConflictError(missing)
    preparer = PinPreparer(store, original, kernel)
    notes: list[str] = []
    if pin.get("kind") == "history":
        prepared = preparer.prepare_history(folder)
    else:
        prepared = preparer.prepare_saved(folder, pin, notes)
    return PinnedNotebook(prepared.notebook, prepared.cwd, kernel, params, notes)


def git_archive(root: str, commit: str, destination: str) -> None:
    """Extract the files of ``commit`` into ``destination`` (git hardened as in capture)."""
    from .capture.git import GIT_ENV, HARDENING_OPTIONS

    os.makedirs(destination, exist_ok=True)
    if not all(c in "0123456789abcdef" for c in commit) or len(commit) < 7:
        raise subprocess.SubprocessError(f"not a commit id: {commit!r}")
    with tempfile.TemporaryFile() as archive:
        subprocess.run(  # noqa: S603 - fixed git argv, no shell
            ["git", *HARDENING_OPTIONS, "archive", "--format=tar", commit],  # noqa: S607
            cwd=root,
            stdout=archive,
            stderr=subprocess.PIPE,
            env={**os.environ, **GIT_ENV},
            timeout=GIT_ARCHIVE_TIMEOUT,
            check=True,
        )
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(destination, filter="data")
