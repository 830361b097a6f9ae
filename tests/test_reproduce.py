"""Verified reproduction with real papermill runs in real kernels.

Each test writes a small notebook with one tracked cell, executes it (papermill or a
jupyter_client kernel, as a user would) to record the original run, then reproduces it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _notebooks import LOAD, write_notebook
from jupyter_client.manager import KernelManager

from mlops_jupyter.errors import ConflictError, InvalidArgumentError
from mlops_jupyter.models import NotebookInfo, Run, RunStatus
from mlops_jupyter.pin import compute_pin
from mlops_jupyter.reproduce import reproduce
from mlops_jupyter.store import get_store
from mlops_jupyter.verdict import compare_metrics

pytestmark = pytest.mark.kernel


def run_original(
    notebook: Path, monkeypatch: pytest.MonkeyPatch, parameters: dict[str, Any] | None = None
) -> Run:
    """Execute ``notebook`` with papermill, as `make demo` does, and return its run."""
    import papermill

    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook))
    papermill.execute_notebook(
        str(notebook),
        str(notebook.with_suffix(".out.ipynb")),
        parameters=parameters or {},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    monkeypatch.delenv("MLOPS_JUPYTER_NOTEBOOK")
    (run,) = [r for r in get_store().search_runs() if r.reproduction_of is None]
    assert run.status is RunStatus.FINISHED, run.error
    return run


class KernelSession:
    """A kernel in a folder, told its notebook is nb.ipynb there, driven like a frontend."""

    def __init__(self, folder: Path) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(
            cwd=str(folder), env={**os.environ, "MLOPS_JUPYTER_NOTEBOOK": str(folder / "nb.ipynb")}
        )
        self.client = self.km.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def execute(self, source: str) -> None:
        reply = self.client.execute_interactive(source, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]

    def close(self) -> None:
        """Shut the kernel down gracefully: it drains its queued store writes first."""
        self.client.stop_channels()
        if self.km.is_alive():
            self.km.shutdown_kernel(now=False)
        self.km.cleanup_resources()


@pytest.fixture
def kernel_session(tmp_path: Path) -> Iterator[KernelSession]:
    session = KernelSession(tmp_path)
    try:
        yield session
    finally:
        session.close()


TRACKED = "%%track --quiet\nimport mlops_jupyter\nlr = 0.1\nmlops_jupyter.log_metric('acc', lr * 9)"


def test_deterministic_notebook_reproduces_twice_with_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(
        tmp_path / "work" / "nb.ipynb", LOAD, TRACKED, "raise RuntimeError('after the cell')"
    )
    with pytest.raises(Exception, match="after the cell"):
        run_original(notebook, monkeypatch)
    original = get_store().search_runs()[0]
    assert original.extra["pin"] == {
        "kind": "snapshot",
        "sha256": original.notebook.snapshot_sha256,
    }
    assert original.extra["cwd"] == str(notebook.parent)
    seen: list[tuple[int, int]] = []
    verdict = reproduce(original.id, twice=True, progress=lambda i, n: seen.append((i, n)))
    # The cell after the tracked one was cut off: the reproduction does not raise.
    assert verdict.status == "reproduced", verdict
    assert verdict.causes == []
    assert verdict.nondeterministic is False
    assert verdict.metrics == {"acc": {"original": 0.9, "reproduced": 0.9, "equal": True}}
    # Two executions, each: %load_ext, the tracked cell, numbered as the notebook's cells
    # (papermill's injected parameters cell is not one of them).
    assert seen == [(1, 2), (2, 2)] * 2
    repro = get_store().get_run(verdict.reproduction_run_id)
    assert repro.reproduction_of == original.id
    assert repro.experiment == original.experiment
    assert repro.params == {"lr": 0.1}
    assert json.dumps(verdict.to_json(), allow_nan=False)


def test_changed_input_diverges_with_the_input_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x\n1\n2\n")
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        LOAD,
        "%%track --quiet --input data.csv\nimport mlops_jupyter\n"
        "rows = len(open('data.csv').read().splitlines()) - 1\n"
        "mlops_jupyter.log_metric('rows', rows)",
    )
    original = run_original(notebook, monkeypatch)
    assert original.metrics == {"rows": 2}
    data.write_text("x\n1\n2\n3\n")
    verdict = reproduce(original.id)
    assert verdict.status == "diverged"
    assert verdict.causes[0].startswith("input data.csv changed (sha256 differs: ")
    assert "6 B" in verdict.causes[0] and "8 B" in verdict.causes[0]  # old and new size
    assert verdict.metrics["rows"] == {"original": 2, "reproduced": 3, "equal": False}


def test_unseeded_random_metric_diverges_with_the_seed_cause_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        LOAD,
        "%%track --quiet\nimport random, mlops_jupyter\n"
        "mlops_jupyter.log_metric('acc', random.random())",
    )
    original = run_original(notebook, monkeypatch)
    risk = "random numbers were drawn without a seed: random (cell ["
    assert any(r.startswith(risk) for r in original.extra["risks"]), original.extra["risks"]
    verdict = reproduce(original.id)
    assert verdict.status == "diverged"
    assert verdict.causes[0].startswith(risk)
    assert verdict.metrics["acc"]["equal"] is False


def test_recorded_parameter_not_matching_the_code_is_the_first_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parameter cause needs a run whose recorded parameters differ from what the
    reproduction runs with. A reproduction injects the recorded values, so the test alters
    the stored run (lr 0.1 → 0.2) as a mis-recorded run would be: the code that produced the
    metric assigned 0.1, the reproduction runs with 0.2."""
    notebook = write_notebook(tmp_path / "nb.ipynb", LOAD, TRACKED)
    original = run_original(notebook, monkeypatch)
    original.params["lr"] = 0.2
    get_store().update_run(original)
    verdict = reproduce(original.id)
    assert verdict.status == "diverged"
    assert verdict.causes[0] == "parameter lr: 0.1 → 0.2"
    # The code is the same, the parameter value aside.
    assert not any("source" in cause for cause in verdict.causes)
    assert verdict.metrics["acc"]["reproduced"] == pytest.approx(1.8)


def test_out_of_order_session_diverges_and_reports_the_history_replay(
    tmp_path: Path, kernel_session: KernelSession
) -> None:
    tracked = "%%track --quiet\nimport mlops_jupyter\nmlops_jupyter.log_metric('acc', 0.45 * scale)"
    write_notebook(tmp_path / "nb.ipynb", LOAD, "scale = 1", tracked, "scale = 2")
    for source in (LOAD, "scale = 1", "scale = 2", tracked):  # the last cell before the third
        kernel_session.execute(source)
    kernel_session.close()
    original = get_store().search_runs()[0]
    assert original.history_out_of_order is True
    assert original.extra["pin"] == {"kind": "history"}
    assert "cells ran out of order in the original session" in original.extra["risks"]
    verdict = reproduce(original.id)
    assert verdict.status == "diverged"
    assert verdict.causes[0] == (
        "cells ran out of order in the original session: the saved notebook run top to "
        "bottom gives acc=0.45 instead of 0.9"
    )
    assert "replaying the execution history reproduces the metrics" in verdict.notes
    assert verdict.metrics["acc"] == {"original": 0.9, "reproduced": 0.45, "equal": False}


def test_unsaved_cell_diverges_with_the_unsaved_cause_first(
    tmp_path: Path, kernel_session: KernelSession
) -> None:
    saved = "%%track --quiet\nimport mlops_jupyter\nmlops_jupyter.log_metric('acc', 0.5)"
    edited = "%%track --quiet\nimport mlops_jupyter\nmlops_jupyter.log_metric('acc', 0.75)"
    write_notebook(tmp_path / "nb.ipynb", LOAD, saved)
    kernel_session.execute(LOAD)
    kernel_session.execute(edited)  # typed into the cell, run, never saved
    kernel_session.close()
    original = get_store().search_runs()[0]
    assert original.notebook is not None and original.notebook.saved_matches_source is False
    assert original.extra["pin"] == {"kind": "history"}
    verdict = reproduce(original.id)
    assert verdict.status == "diverged"
    assert verdict.causes[0] == "the executed cell was not saved in the notebook"
    assert "replaying the execution history reproduces the metrics" in verdict.notes
    assert verdict.metrics["acc"]["reproduced"] == 0.75  # the history replay's run


def test_raising_notebook_fails_with_cell_number_and_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.txt").write_text("3")
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        LOAD,
        "n = int(open('config.txt').read())",  # not declared: captured all the same
        "%%track --quiet\nimport mlops_jupyter\nmlops_jupyter.log_metric('n', n)",
    )
    original = run_original(notebook, monkeypatch)
    assert [i.path for i in original.inputs] == ["config.txt"]
    (tmp_path / "config.txt").unlink()  # the input is gone: the reproduction cannot read it
    verdict = reproduce(original.id)
    assert verdict.status == "failed"
    assert verdict.failure is not None
    # Numbered as a person counts the notebook's cells: the second one.
    assert verdict.failure["cell"] == 2 and verdict.failure["cell_index"] == 1
    assert verdict.failure["ename"] == "FileNotFoundError"
    assert "config.txt" in verdict.failure["evalue"]
    assert verdict.causes[0].startswith("input config.txt is missing (was read in cell [")
    assert verdict.causes[1].startswith("cell 2 raised FileNotFoundError")


def test_deleted_notebook_reproduces_from_its_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(tmp_path / "gone" / "nb.ipynb", LOAD, TRACKED)
    original = run_original(notebook, monkeypatch)
    shutil.rmtree(notebook.parent)
    verdict = reproduce(original.id, workdir=str(tmp_path))
    assert verdict.status == "reproduced", verdict
    assert any("moved or deleted" in note for note in verdict.notes)
    assert not notebook.exists()


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_git_pin_runs_the_committed_notebook_not_the_working_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    notebook = write_notebook(repo / "notebooks" / "nb.ipynb", LOAD, TRACKED)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    original = run_original(notebook, monkeypatch)
    pin = original.extra["pin"]
    assert pin["kind"] == "git" and pin["path"] == "notebooks/nb.ipynb"
    # Edited afterwards in the working copy: the commit is what the run pinned.
    write_notebook(notebook, LOAD, "raise SystemExit('edited')", TRACKED)
    verdict = reproduce(original.id)
    assert verdict.status == "reproduced", verdict
    assert any("at commit" in note for note in verdict.notes)


def test_injected_parameter_name_is_refused_before_anything_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    store = get_store()
    run = Run.new(
        "exp",
        source="%%track\nx = 1",
        history=[{"execution_count": 1, "source": "%%track\nx = 1"}],
        params={f"x=1;import os;os.system('touch {marker}')#": 1},
        status=RunStatus.FINISHED,
    )
    store.create_run(run)
    with pytest.raises(InvalidArgumentError, match="invalid parameter name") as info:
        reproduce(run.id, workdir=str(tmp_path))
    assert info.value.code == 400
    assert not marker.exists()
    assert [r.id for r in store.search_runs()] == [run.id]  # no reproduction recorded


def test_missing_kernel_spec_fails_naming_it(tmp_path: Path) -> None:
    store = get_store()
    run = Run.new(
        "exp",
        source="%%track\nx = 1",
        history=[{"execution_count": 1, "source": "%%track\nx = 1"}],
        kernel_name="no-such-kernel-xyz",
        status=RunStatus.FINISHED,
    )
    store.create_run(run)
    verdict = reproduce(run.id, workdir=str(tmp_path))
    assert verdict.status == "failed"
    assert verdict.causes == ["kernel spec 'no-such-kernel-xyz' is not installed"]


def test_bad_tolerance_is_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        reproduce("0" * 32, tolerance=0)


def test_metric_comparison_rules() -> None:
    table = compare_metrics(
        {"n": 3.0, "f": 1.0 + 1e-12, "nan": float("nan"), "gone": 1.0, "x": 0.5},
        {"n": 3.0, "f": 1.0, "nan": float("nan"), "new": 2.0, "x": 0.5000001},
        1e-9,
    )
    assert {k: row["equal"] for k, row in table.items()} == {
        "f": True, "gone": False, "n": True, "nan": True, "new": False, "x": False,
    }  # fmt: skip
    assert compare_metrics({"x": 0.5}, {"x": 0.5000001}, 1e-3)["x"]["equal"] is True
    assert compare_metrics({"i": 3.0}, {"i": 4.0}, 0.5)["i"]["equal"] is False  # ints: exact


def test_pin_kinds() -> None:
    from mlops_jupyter.models import GitInfo

    run = Run.new(
        "e",
        notebook=NotebookInfo(
            path="/r/nb/a.ipynb", snapshot_sha256="a" * 64, saved_matches_source=True
        ),
        history=[{"execution_count": 1, "source": "x"}],
        history_out_of_order=False,
        git=GitInfo(root="/r", commit="c" * 40, dirty=False),
    )
    assert compute_pin(run) == {
        "kind": "git",
        "commit": "c" * 40,
        "root": "/r",
        "path": "nb/a.ipynb",
    }
    run.git = GitInfo(root="/r", commit="c" * 40, dirty=True)
    assert compute_pin(run) == {"kind": "snapshot", "sha256": "a" * 64}
    run.history_out_of_order = True
    assert compute_pin(run) == {"kind": "history"}
    run.history_out_of_order, run.notebook.saved_matches_source = False, False
    assert compute_pin(run) == {"kind": "history"}
    run.notebook, run.history = None, []
    assert compute_pin(run) is None


def test_cli_reproduce_json_and_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = write_notebook(tmp_path / "nb.ipynb", LOAD, TRACKED)
    original = run_original(notebook, monkeypatch)
    exe = Path(sys.executable).with_name("mlops-jupyter")
    done = subprocess.run(
        [str(exe), "reproduce", original.id[:8], "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["status"] == "reproduced"
    assert "cell 2 of 2" in done.stderr
    bad = subprocess.run(
        [str(exe), "reproduce", original.id, "--tolerance", "-1"], capture_output=True, timeout=60
    )
    assert bad.returncode == 2
    unknown = subprocess.run([str(exe), "reproduce", "f" * 32], capture_output=True, timeout=60)
    assert unknown.returncode == 2


def test_run_without_notebook_or_history_cannot_be_reproduced(tmp_path: Path) -> None:
    run = Run.new("exp", source="%%track\nx = 1", status=RunStatus.FINISHED)
    get_store().create_run(run)
    with pytest.raises(ConflictError, match="neither a notebook nor an execution history") as info:
        reproduce(run.id, workdir=str(tmp_path))
    assert info.value.code == 409
