"""Notebooks for the tests that execute them (papermill, reproductions, sweeps)."""

from __future__ import annotations

from pathlib import Path

import nbformat

LOAD = "%load_ext mlops_jupyter"


def new_notebook(*sources: str, parameters: str | None = None) -> nbformat.NotebookNode:
    """A Python 3 notebook of code cells; ``parameters`` becomes a papermill ``parameters``
    cell first."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    return nb


def write_notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    """Write :func:`new_notebook` to ``path`` (creating its folder); return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(*sources, parameters=parameters), str(path))
    return path
