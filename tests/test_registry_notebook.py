"""The registry's whole story in a real kernel: examples/model_registry.ipynb trains and
registers two versions, moves @champion twice and rolls it back; the CLI then tells it."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.cli import main

pytestmark = pytest.mark.kernel

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    capsys.readouterr()
    status = main([*argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_two_versions_champion_moves_rollback_lineage_and_a_tampered_log(
    isolated_store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    papermill = pytest.importorskip("papermill")
    workdir = tmp_path / "examples"
    shutil.copytree(EXAMPLES, workdir, ignore=shutil.ignore_patterns("*.pkl", "outputs"))
    notebook = workdir / "model_registry.ipynb"
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook))
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
    monkeypatch.setenv("MLOPS_JUPYTER_MODEL_CACHE", str(tmp_path / "cache"))
    papermill.execute_notebook(
        str(notebook), str(tmp_path / "out.ipynb"), cwd=str(workdir), kernel_name="python3",
        progress_bar=False,
    )  # fmt: skip
    monkeypatch.chdir(workdir)

    status, history = cli(capsys, "models", "history", "wine", "--alias", "champion")
    assert status == 0
    moves = [(e["from_version"], e["to_version"], e["actor"], e["kind"]) for e in history["events"]]
    assert moves == [
        (None, 1, "alice", "alias_moved"),
        (1, 2, "alice", "alias_moved"),
        (2, 1, "alice", "alias_rollback"),
    ]
    assert all(e["reason"] for e in history["events"])

    status, versions = cli(capsys, "models", "show", "wine")
    first_run = versions["versions"][0]["run_id"]
    status, graph = cli(capsys, "lineage", "wine@champion")
    assert status == 0
    runs = [n for n in graph["nodes"] if n["kind"] == "run"]
    assert [n["id"] for n in runs] == [first_run]
    assert "max_depth=max_depth_small" in runs[0]["detail"]["source"]
    data_sha = hashlib.sha256((workdir / "data" / "wine.csv").read_bytes()).hexdigest()
    assert ("data", data_sha) in {(n["kind"], n["id"]) for n in graph["nodes"]}

    status, used = cli(capsys, "lineage", "--reverse", "data/wine.csv")
    assert sorted(n["id"] for n in used["nodes"] if n["kind"] == "version") == ["wine/1", "wine/2"]

    status, report = cli(capsys, "store", "check")
    assert status == 0 and report["healthy"], report
    with sqlite3.connect(isolated_store / "runs.db") as db:
        db.execute("UPDATE lifecycle_events SET actor = 'mallory' WHERE kind = 'alias_rollback'")
    status, report = cli(capsys, "store", "check")
    assert status == 1
    assert any("alias_rollback wine@champion" in p and "edited" in p for p in report["problems"])
