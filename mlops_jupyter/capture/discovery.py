"""Which notebook a kernel runs for, and the experiment its runs belong to by default.

A kernel is not told its notebook. JupyterLab's sessions pass ``JPY_SESSION_NAME``
(ipykernel also exposes it as ``__session__``), a path relative to the server root while the
kernel runs in the notebook's folder; our papermill runs set ``MLOPS_JUPYTER_NOTEBOOK``. The
session name is fixed when the kernel starts, so after a rename (``Untitled.ipynb`` →
``train.ipynb``) it points at nothing. A kernel started by ``papermill in.ipynb out.ipynb``,
``jupyter nbconvert --execute copy.ipynb`` or ``jupyter execute`` runs under that command:
the notebooks its command line names (relative to its own working folder) are candidates
too, the first one holding the tracked cell wins. Last, the notebook in the kernel's folder
whose saved cells contain the cell is taken, or, in a Jupyter session, the only one there.

Stdlib only (notebooks are read with :mod:`mlops_jupyter.capture.notebook`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = [
    "MAX_NOTEBOOKS_SEARCHED",
    "experiment_for_notebook",
    "find_notebook",
    "launcher_notebooks",
]

#: A folder with more notebooks than this is not searched for the tracked cell.
MAX_NOTEBOOKS_SEARCHED = 20

_listing_cache: dict[str, tuple[int, list[str]]] = {}


def find_notebook(
    cwd: str,
    raw_cell: str = "",
    *,
    session_name: object = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The notebook a kernel runs for, if it can be known.

    Args:
        cwd: The kernel's working folder.
        raw_cell: The tracked cell's source, to recognize its notebook by content.
        session_name: The kernel's ``__session__`` (ipykernel), if any.
        environ: The environment (default ``os.environ``).

    Returns:
        The notebook's absolute path, or None.
    """
    env = os.environ if environ is None else environ
    candidates = [env.get("MLOPS_JUPYTER_NOTEBOOK"), session_name, env.get("JPY_SESSION_NAME")]
    in_session = False
    for value in candidates:
        if not isinstance(value, str) or not value.endswith(".ipynb"):
            continue
        in_session = True
        options = [value] if os.path.isabs(value) else []
        options += [os.path.join(cwd, os.path.basename(value)), os.path.join(cwd, value)]
        for option in options:
            if os.path.isfile(option):
                return os.path.abspath(option)
    if raw_cell:
        for path in launcher_notebooks():
            if _holds(path, raw_cell):
                return path
    return _search_notebook(cwd, raw_cell, in_session)


_launchers: list[str] | None = None
#: How many ancestors of the kernel process are looked at (papermill, nbconvert, a shell).
_ANCESTORS = 4


def launcher_notebooks() -> list[str]:
    """The notebooks named on the command lines of the processes that started this kernel
    (absolute paths of existing files, the nearest process first). Read once per kernel."""
    global _launchers
    if _launchers is None:
        _launchers = _read_launchers()
    return _launchers


def _read_launchers() -> list[str]:
    try:
        import psutil
    except ImportError:  # pragma: no cover - a dependency
        return []
    found: list[str] = []
    try:
        process = psutil.Process().parent()
        for _ in range(_ANCESTORS):
            if process is None:
                break
            try:
                args, folder = process.cmdline(), process.cwd()
            except (psutil.Error, OSError):
                args, folder = [], None
            for arg in args[1:]:
                if not arg.endswith(".ipynb") or folder is None:
                    continue
                path = os.path.abspath(os.path.join(folder, os.path.expanduser(arg)))
                if os.path.isfile(path) and path not in found:
                    found.append(path)
            process = process.parent()
    except (psutil.Error, OSError):
        pass
    return found


def _holds(path: str, raw_cell: str) -> bool:
    from .notebook import NotebookReadError, notebook_contains_source, read_notebook

    try:
        return notebook_contains_source(read_notebook(path), raw_cell)
    except (OSError, NotebookReadError):
        return False


def _notebooks_in(folder: str) -> list[str]:
    """The ``.ipynb`` names in ``folder``, listed again only when the folder changed."""
    mtime = os.stat(folder).st_mtime_ns
    cached = _listing_cache.get(folder)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    names = sorted(n for n in os.listdir(folder) if n.endswith(".ipynb"))
    _listing_cache[folder] = (mtime, names)
    return names


def _search_notebook(folder: str, raw_cell: str, in_session: bool) -> str | None:
    try:
        names = _notebooks_in(folder)
    except OSError:
        return None
    if not names or len(names) > MAX_NOTEBOOKS_SEARCHED:
        return None
    paths = [os.path.join(folder, n) for n in names]
    if raw_cell:
        from .notebook import NotebookReadError, notebook_contains_source, read_notebook

        matches = []
        for path in paths:
            try:
                if notebook_contains_source(read_notebook(path), raw_cell):
                    matches.append(path)
            except (OSError, NotebookReadError):
                continue
        if len(matches) == 1:
            return matches[0]
    if in_session and len(paths) == 1:
        return paths[0]
    return None


def experiment_for_notebook(path: str | None) -> str:
    """The default experiment of runs recorded in the notebook at ``path``: its path, with
    the home folder shown as ``~`` (``"default"`` when the notebook is unknown)."""
    if path:
        home = os.path.expanduser("~")
        if path.startswith(home + os.sep):
            return "~" + path[len(home) :]
        return path
    return "default"
