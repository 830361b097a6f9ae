"""Reading notebook files and relating them to what the kernel really executed.

Notebooks are read with :mod:`json` (nbformat takes seconds to import). Reads are cached per
path and keyed by the file's stat, so checking an unchanged notebook before every tracked
cell costs one ``stat``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "NotebookCell",
    "NotebookFile",
    "NotebookReadError",
    "clear_notebook_cache",
    "find_cell_index",
    "history_out_of_order",
    "mask_notebook",
    "normalize_source",
    "notebook_contains_source",
    "notebook_from_history",
    "read_notebook",
    "source_sha256",
]

_CACHE_SIZE = 8  # notebooks kept in memory (a kernel usually serves one)
_cache: OrderedDict[str, tuple[tuple[int, int, int, int], NotebookFile]] = OrderedDict()
_cache_lock = threading.Lock()

_NEWLINES_RE = re.compile(r"\r\n?")


class NotebookReadError(ValueError):
    """A notebook file is not valid JSON or not a notebook."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot read notebook '{path}': {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class NotebookCell:
    """One cell of a notebook file.

    Attributes:
        id: The cell id (nbformat >= 4.5), else None.
        cell_type: ``"code"``, ``"markdown"`` or ``"raw"``.
        source: The source as one string.
        tags: ``metadata.tags`` (papermill marks its parameters cell with ``parameters``).
    """

    id: str | None
    cell_type: str
    source: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotebookFile:
    """A notebook file as read from disk.

    Attributes:
        path: The absolute path.
        raw: The file's bytes.
        sha256: The hex digest of ``raw``.
        cells: The cells, in order.
        kernel_name: ``metadata.kernelspec.name``, if any.
        mtime_ns: The modification time the file had when read.
    """

    path: str
    raw: bytes = field(repr=False)
    sha256: str
    cells: tuple[NotebookCell, ...] = field(repr=False)
    kernel_name: str | None
    mtime_ns: int

    def code_cell_indices(self, source: str) -> list[int]:
        """The indices in ``cells`` of the code cells whose source matches ``source``.

        Sources match when equal after :func:`normalize_source`; a cell starting with a
        ``%%magic`` line (``%%track``) also matches the body below that line, which is
        what the magic executes.

        Args:
            source: An executed source.

        Returns:
            Matching cell indices, ascending.
        """
        # The index (normalized source -> indices) is built on first use and kept as a plain
        # attribute, not a field, so dataclasses.asdict() leaves it out. Two threads
        # building it at once build the same thing, so no lock is needed.
        index: dict[str, list[int]] | None = self.__dict__.get("_match_index")
        if index is None:
            index = {}
            for i, cell in enumerate(self.cells):
                if cell.cell_type != "code":
                    continue
                for key in _match_keys(cell.source):
                    indices = index.setdefault(key, [])
                    if not indices or indices[-1] != i:
                        indices.append(i)
            object.__setattr__(self, "_match_index", index)
        return list(index.get(normalize_source(source), ()))


def read_notebook(path: str | os.PathLike[str]) -> NotebookFile:
    """Read a notebook file (nbformat 4, or 3 for the cells), cached while unchanged.

    The cache is keyed by the file's mtime, size, inode and ctime: saving a notebook (even
    with an atomic rename) invalidates it. A rewrite keeping all four, which only an
    in-place write of the same size within the file system's timestamp granularity can do,
    is not noticed.

    Args:
        path: The ``.ipynb`` file.

    Returns:
        The notebook. The same object is returned while the file is unchanged.

    Raises:
        FileNotFoundError: If the file does not exist.
        NotebookReadError: If the file is not valid JSON or not a notebook.
    """
    absolute = os.path.abspath(os.fspath(path))
    info = os.stat(absolute)
    key = (info.st_mtime_ns, info.st_size, info.st_ino, info.st_ctime_ns)
    with _cache_lock:
        hit = _cache.get(absolute)
        if hit is not None and hit[0] == key:
            _cache.move_to_end(absolute)
            return hit[1]
    with open(absolute, "rb") as handle:
        raw = handle.read()
        info = os.fstat(handle.fileno())
    key = (info.st_mtime_ns, info.st_size, info.st_ino, info.st_ctime_ns)
    notebook = _parse(absolute, raw, info.st_mtime_ns)
    with _cache_lock:
        _cache[absolute] = (key, notebook)
        _cache.move_to_end(absolute)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return notebook


def clear_notebook_cache() -> None:
    """Forget every cached notebook."""
    with _cache_lock:
        _cache.clear()


def normalize_source(source: str) -> str:
    """Normalize a cell source for comparisons.

    Line endings become ``\\n``, trailing whitespace is removed from every line and
    trailing blank lines are dropped.

    Args:
        source: A cell source.

    Returns:
        The normalized source.
    """
    lines = _NEWLINES_RE.sub("\n", source).split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


def notebook_contains_source(nb: NotebookFile, source: str) -> bool:
    """Tell whether a code cell of the notebook has the executed source.

    Args:
        nb: The notebook.
        source: The source the kernel executed.

    Returns:
        True if a code cell matches (see :meth:`NotebookFile.code_cell_indices`).
    """
    return bool(nb.code_cell_indices(source))


def find_cell_index(nb: NotebookFile, source: str, cell_id: str | None = None) -> int | None:
    """Locate the cell that was executed.

    Args:
        nb: The notebook.
        source: The executed source.
        cell_id: The executed cell's id, when the frontend sent it.

    Returns:
        The index in ``nb.cells`` of the cell with ``cell_id`` if there is one, else of the
        first code cell matching ``source``, else None.
    """
    if cell_id is not None:
        for i, cell in enumerate(nb.cells):
            if cell.id == cell_id:
                return i
    indices = nb.code_cell_indices(source)
    return indices[0] if indices else None


def history_out_of_order(history: Sequence[str], nb: NotebookFile) -> bool | None:
    """Tell whether cells were executed in another order than they appear in the notebook.

    Each executed source is mapped to the index of the code cell with that source (sources
    no longer in the notebook are skipped); the history is out of order when that sequence
    ever decreases, e.g. cell 3 then cell 2. Re-running a cell is not out of order. When
    several cells have the same source, the mapping that keeps the order is chosen.

    Args:
        history: The sources executed by the kernel, oldest first.
        nb: The notebook.

    Returns:
        True if out of order, False if in order, None if fewer than two sources map to
        cells.
    """
    previous: int | None = None
    mapped = 0
    for source in history:
        indices = nb.code_cell_indices(source)
        if not indices:
            continue
        mapped += 1
        if previous is None:
            previous = indices[0]
            continue
        following = [i for i in indices if i >= previous]
        if not following:
            return True
        previous = following[0]
    return False if mapped >= 2 else None


def notebook_from_history(
    history: Sequence[str], *, kernel_name: str | None, language: str = "python"
) -> dict[str, Any]:
    """Build a notebook (nbformat 4.5) with one code cell per executed source.

    Args:
        history: The executed sources, in execution order.
        kernel_name: The kernel spec name for ``metadata.kernelspec`` (omitted when None).
        language: The kernel's language.

    Returns:
        A JSON-serializable notebook dict; cells have deterministic ids ``cell-1``, ...,
        empty ``metadata`` and ``outputs`` and a null ``execution_count``.
    """
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{number}",
            "metadata": {},
            "outputs": [],
            "source": _NEWLINES_RE.sub("\n", source).splitlines(keepends=True),
        }
        for number, source in enumerate(history, start=1)
    ]
    metadata: dict[str, Any] = {"language_info": {"name": language}}
    if kernel_name is not None:
        metadata["kernelspec"] = {
            "name": kernel_name,
            "display_name": kernel_name,
            "language": language,
        }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


# --------------------------------------------------------------------------- internals


def _match_keys(source: str) -> list[str]:
    normalized = normalize_source(source)
    keys = [normalized]
    first, newline, body = normalized.partition("\n")
    if first.lstrip().startswith("%%"):
        keys.append(normalize_source(body) if newline else "")
    return keys


def _parse(path: str, raw: bytes, mtime_ns: int) -> NotebookFile:
    try:
        document = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise NotebookReadError(path, f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise NotebookReadError(
            path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise NotebookReadError(path, "JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise NotebookReadError(path, "the top level is not a JSON object")
    raw_cells: Any = document.get("cells")
    source_key = "source"
    if raw_cells is None and isinstance(document.get("worksheets"), list):
        # nbformat 3: cells live in worksheets, code cells keep their source in "input".
        raw_cells = [
            cell
            for sheet in document["worksheets"]
            if isinstance(sheet, dict)
            for cell in sheet.get("cells", [])
        ]
        source_key = "input"
    if not isinstance(raw_cells, list):
        raise NotebookReadError(path, 'no "cells" list')
    cells: list[NotebookCell] = []
    for position, item in enumerate(raw_cells):
        if not isinstance(item, dict):
            raise NotebookReadError(path, f"cell {position} is not a JSON object")
        cell_type = str(item.get("cell_type", ""))
        value = item.get(source_key if cell_type == "code" else "source", item.get("source"))
        cell_id = item.get("id")
        cell_meta = item.get("metadata")
        tags = cell_meta.get("tags") if isinstance(cell_meta, dict) else None
        cells.append(
            NotebookCell(
                id=cell_id if isinstance(cell_id, str) else None,
                cell_type=cell_type,
                source=_join_source(value),
                tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
            )
        )
    metadata = document.get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    kernel_name = kernelspec.get("name") if isinstance(kernelspec, dict) else None
    return NotebookFile(
        path=path,
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        cells=tuple(cells),
        kernel_name=kernel_name if isinstance(kernel_name, str) else None,
        mtime_ns=mtime_ns,
    )


def _join_source(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return ""


def source_sha256(source: str) -> str:
    """The sha256 of a cell source, normalized (see :func:`normalize_source`)."""
    return hashlib.sha256(normalize_source(source).encode("utf-8")).hexdigest()


_masked_cache: dict[str, bytes | None] = {}
_SECRET_HINT_RE = re.compile(
    rb"token|secret|passw|passphrase|credential|_key|Key|gh[pousr]_|github_pat_|sk-|AKIA|ASIA|"
    rb"AIza|xox[abeprs]-|PRIVATE KEY|[Bb]earer|://[^\s\"'/@]*:[^\s\"'/@]+@"
)


def mask_notebook(raw: bytes) -> bytes | None:
    """The notebook with its credentials masked, or None when it holds none.

    Code cells get :func:`~mlops_jupyter.capture.source.mask_code` (token formats, and the
    literal values of secret-looking assignments); text outputs get the token formats
    masked. Cached by content: a notebook version is examined once.
    """
    key = hashlib.sha256(raw).hexdigest()
    if key in _masked_cache:
        return _masked_cache[key]
    result = _mask_notebook(raw) if _SECRET_HINT_RE.search(raw) else None
    if len(_masked_cache) > 64:
        _masked_cache.clear()
    _masked_cache[key] = result
    return result


def _mask_notebook(raw: bytes) -> bytes | None:
    from ..redaction import redact_text, secret_params
    from .source import extract_literal_params, mask_code

    try:
        document = json.loads(raw)
    except ValueError:
        return None
    changed = False
    for cell in document.get("cells") or []:
        if not isinstance(cell, dict):
            continue
        source = _join_source(cell.get("source", ""))
        if cell.get("cell_type") == "code":
            masked = mask_code(source, secret_params(extract_literal_params(source)))
        else:
            masked = redact_text(source)
        if masked != source:
            cell["source"], changed = masked, True
        for output in cell.get("outputs") or []:
            changed = _mask_output(output) or changed
    if not changed:
        return None
    return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8")


def _mask_output(output: Any) -> bool:
    from ..redaction import redact_text

    if not isinstance(output, dict):
        return False
    changed = False
    if "text" in output:
        text = _join_source(output["text"])
        if redact_text(text) != text:
            output["text"], changed = redact_text(text), True
    data = output.get("data")
    if isinstance(data, dict):
        for mime in ("text/plain", "text/html", "text/markdown"):
            if mime in data:
                text = _join_source(data[mime])
                if redact_text(text) != text:
                    data[mime], changed = redact_text(text), True
    return changed
