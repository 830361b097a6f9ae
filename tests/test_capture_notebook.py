"""Tests for mlops_jupyter.capture.notebook (notebooks read with json)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.capture.notebook import (
    NotebookFile,
    NotebookReadError,
    clear_notebook_cache,
    find_cell_index,
    history_out_of_order,
    normalize_source,
    notebook_contains_source,
    notebook_from_history,
    read_notebook,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_notebook_cache()


def code(source: str | list[str], cell_id: str | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def write_nb(path: Path, cells: list[dict[str, Any]], kernel: str | None = "python3") -> Path:
    metadata: dict[str, Any] = {}
    if kernel is not None:
        metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    document = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(document, indent=1))
    return path


CELLS = [
    markdown("# Title"),
    code(["import numpy as np\n", "lr = 0.1"], "c-imports"),
    code("x = load()\r\ny = x * 2   \n\n\n", "c-load"),
    code("%%track\nmodel = fit(x, lr)\n", "c-train"),
    code("evaluate(model)", "c-eval"),
]


@pytest.fixture
def nb(tmp_path: Path) -> NotebookFile:
    return read_notebook(write_nb(tmp_path / "nb.ipynb", CELLS))


def test_read_notebook(tmp_path: Path) -> None:
    path = write_nb(tmp_path / "nb.ipynb", CELLS)
    nb = read_notebook(path)
    raw = path.read_bytes()
    assert nb.path == str(path)
    assert nb.raw == raw
    assert nb.sha256 == hashlib.sha256(raw).hexdigest()
    assert nb.kernel_name == "python3"
    assert nb.mtime_ns == path.stat().st_mtime_ns
    assert [(c.id, c.cell_type) for c in nb.cells] == [
        (None, "markdown"),
        ("c-imports", "code"),
        ("c-load", "code"),
        ("c-train", "code"),
        ("c-eval", "code"),
    ]
    assert nb.cells[1].source == "import numpy as np\nlr = 0.1"
    assert nb.cells[2].source == "x = load()\r\ny = x * 2   \n\n\n"


def test_read_notebook_without_kernelspec_and_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_nb(tmp_path / "k.ipynb", [code("1")], kernel=None)
    nb = read_notebook("k.ipynb")
    assert nb.kernel_name is None
    assert nb.path == str(tmp_path / "k.ipynb")


def test_read_nbformat3_notebook(tmp_path: Path) -> None:
    document = {
        "nbformat": 3,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": ["a = 1\n", "b = 2"], "outputs": []},
                    {"cell_type": "markdown", "source": "text"},
                ]
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(document))
    nb = read_notebook(path)
    assert [(c.cell_type, c.source) for c in nb.cells] == [
        ("code", "a = 1\nb = 2"),
        ("markdown", "text"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"cells": [', "invalid JSON at line 1 column 12"),
        (b"\xff\xfe\x00garbage", "cannot read notebook"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"metadata": {}}', 'no "cells" list'),
        (b'{"cells": [1]}', "cell 0 is not a JSON object"),
    ],
)
def test_invalid_notebooks(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookReadError, match=message) as info:
        read_notebook(path)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)


def test_missing_notebook(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_notebook(tmp_path / "missing.ipynb")


def test_cached_read_of_large_notebook_is_fast(tmp_path: Path) -> None:
    big_output = {"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * 50}
    cells = []
    for i in range(100):
        cell = code(f"step_{i} = {i}", f"c{i}")
        cell["outputs"] = [big_output]
        cells.append(cell)
    path = write_nb(tmp_path / "big.ipynb", cells)
    assert path.stat().st_size > 5_000_000
    first = read_notebook(path)
    start = time.perf_counter()
    for _ in range(100):
        again = read_notebook(path)
    per_read = (time.perf_counter() - start) / 100
    assert again is first
    assert per_read < 0.001, f"cached read took {per_read * 1e3:.3f} ms"


def test_cache_is_invalidated_by_a_rewrite(tmp_path: Path) -> None:
    path = write_nb(tmp_path / "nb.ipynb", [code("a = 1", "c1")])
    first = read_notebook(path)
    assert read_notebook(path) is first
    # In-place rewrite with a different size.
    write_nb(path, [code("a = 1", "c1"), code("b = 2", "c2")])
    second = read_notebook(path)
    assert second is not first
    assert [c.source for c in second.cells] == ["a = 1", "b = 2"]
    # Atomic save of the same size (what Jupyter does): a new inode.
    replacement = tmp_path / "tmp.ipynb"
    write_nb(replacement, [code("a = 1", "c1"), code("b = 3", "c2")])
    assert replacement.stat().st_size == path.stat().st_size
    os.replace(replacement, path)
    third = read_notebook(path)
    assert [c.source for c in third.cells] == ["a = 1", "b = 3"]
    # In-place rewrite of the same size with a new mtime.
    mtime = path.stat().st_mtime_ns
    write_nb(path, [code("a = 1", "c1"), code("b = 4", "c2")])
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    assert [c.source for c in read_notebook(path).cells] == ["a = 1", "b = 4"]


def test_normalize_source() -> None:
    assert normalize_source("a = 1  \r\nb = 2\t\r\n\r\n  \n") == "a = 1\nb = 2"
    assert normalize_source("a\rb") == "a\nb"
    assert normalize_source("  indented\n") == "  indented"
    assert normalize_source("") == ""


def test_notebook_contains_source(nb: NotebookFile) -> None:
    assert notebook_contains_source(nb, "import numpy as np\nlr = 0.1\n")
    assert notebook_contains_source(nb, "x = load()\ny = x * 2")
    assert notebook_contains_source(nb, "evaluate(model)\n\n")
    # A %%track cell matches both with and without its magic line.
    assert notebook_contains_source(nb, "%%track\nmodel = fit(x, lr)")
    assert notebook_contains_source(nb, "model = fit(x, lr)\n")
    assert not notebook_contains_source(nb, "# Title")  # markdown cells are not code
    assert not notebook_contains_source(nb, "import numpy as np")
    assert not notebook_contains_source(nb, "lr = 0.2")


def test_notebook_file_stays_a_plain_dataclass(nb: NotebookFile) -> None:
    assert notebook_contains_source(nb, "evaluate(model)")  # builds the lookup index
    as_dict = dataclasses.asdict(nb)
    assert set(as_dict) == {"path", "raw", "sha256", "cells", "kernel_name", "mtime_ns"}
    copied = copy.deepcopy(nb)
    assert copied == nb
    assert find_cell_index(copied, "evaluate(model)") == 4


def test_find_cell_index(nb: NotebookFile) -> None:
    assert find_cell_index(nb, "evaluate(model)") == 4
    assert find_cell_index(nb, "model = fit(x, lr)") == 3
    assert find_cell_index(nb, "unknown()") is None
    # The cell id wins over the source.
    assert find_cell_index(nb, "evaluate(model)", cell_id="c-load") == 2
    assert find_cell_index(nb, "evaluate(model)", cell_id="no-such-id") == 4


def test_history_out_of_order(nb: NotebookFile) -> None:
    imports, load, train, evaluate = (
        "import numpy as np\nlr = 0.1",
        "x = load()\ny = x * 2",
        "model = fit(x, lr)",
        "evaluate(model)",
    )
    assert history_out_of_order([imports, load, train, evaluate], nb) is False
    assert history_out_of_order([imports, train, load], nb) is True
    assert history_out_of_order([evaluate, imports], nb) is True
    # Re-running a cell, or skipping cells, is fine.
    assert history_out_of_order([imports, load, load, train, train, evaluate], nb) is False
    assert history_out_of_order([imports, evaluate], nb) is False
    # Sources no longer in the notebook are ignored.
    assert history_out_of_order([imports, "deleted()", load, "lr = 5"], nb) is False
    assert history_out_of_order([load, "deleted()", imports], nb) is True
    # Fewer than two mapped sources: unknown.
    assert history_out_of_order([], nb) is None
    assert history_out_of_order([train, "deleted()"], nb) is None


def test_history_with_duplicate_cells(tmp_path: Path) -> None:
    path = write_nb(tmp_path / "dup.ipynb", [code("a()"), code("b()"), code("a()")])
    nb = read_notebook(path)
    # "a" exists before and after "b": running b then a follows the notebook order.
    assert history_out_of_order(["a()", "b()", "a()"], nb) is False
    assert history_out_of_order(["b()", "a()"], nb) is False
    path2 = write_nb(tmp_path / "dup2.ipynb", [code("a()"), code("b()"), code("c()")])
    assert history_out_of_order(["c()", "b()"], read_notebook(path2)) is True


def test_notebook_from_history(tmp_path: Path) -> None:
    history = ["import os\nlr = 0.1\n", "x = 1\r\ny = 2", ""]
    document = notebook_from_history(history, kernel_name="python3")
    assert document["nbformat"] == 4
    assert document["nbformat_minor"] == 5
    assert document["metadata"]["kernelspec"] == {
        "name": "python3",
        "display_name": "python3",
        "language": "python",
    }
    assert document["metadata"]["language_info"] == {"name": "python"}
    ids = [cell["id"] for cell in document["cells"]]
    assert len(set(ids)) == 3
    for cell in document["cells"]:
        assert set(cell) == {"cell_type", "execution_count", "id", "metadata", "outputs", "source"}
        assert cell["cell_type"] == "code"
        assert cell["execution_count"] is None
        assert cell["outputs"] == []
        assert cell["metadata"] == {}
        assert 1 <= len(cell["id"]) <= 64
        assert all(ch.isalnum() or ch in "-_" for ch in cell["id"])
    assert notebook_from_history(history, kernel_name="python3") == document  # deterministic
    # It round-trips through a file and keeps the execution order.
    path = tmp_path / "rebuilt.ipynb"
    path.write_text(json.dumps(document))
    rebuilt = read_notebook(path)
    assert [c.source for c in rebuilt.cells] == ["import os\nlr = 0.1\n", "x = 1\ny = 2", ""]
    assert rebuilt.kernel_name == "python3"
    assert history_out_of_order(history[:2], rebuilt) is False


def test_notebook_from_history_without_kernel() -> None:
    document = notebook_from_history(["1"], kernel_name=None, language="R")
    assert "kernelspec" not in document["metadata"]
    assert document["metadata"]["language_info"] == {"name": "R"}
