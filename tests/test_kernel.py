"""``%%track`` in real kernels and real processes: crashes, concurrency, papermill."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from mlops_jupyter.models import RunStatus
from mlops_jupyter.store import get_store

pytestmark = pytest.mark.kernel

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def kernel(tmp_path: Path, isolated_store: Path) -> Iterator[KernelManager]:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path), env={**os.environ, "MLOPS_JUPYTER_LEASE_SECONDS": "60"})
    try:
        yield km
    finally:
        if km.is_alive():
            km.shutdown_kernel(now=True)
        km.cleanup_resources()


def wait_for(predicate: object, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_kernel_run_becomes_crashed_with_metrics_kept(kernel: KernelManager) -> None:
    client = kernel.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("%load_ext mlops_jupyter", timeout=60)
        assert reply["content"]["status"] == "ok"
        client.execute(
            "%%track --name doomed\n"
            "import time, mlops_jupyter\n"
            "mlops_jupyter.log_metric('loss', 0.5)\n"
            "mlops_jupyter.log_metric('loss', 0.25)\n"
            "time.sleep(600)\n"
        )

        def running_with_metrics() -> bool:
            found = get_store().search_runs()
            return bool(found) and found[0].metrics.get("loss") == 0.25

        wait_for(running_with_metrics, what="the run to be stored with its metrics")
        run = get_store().search_runs()[0]
        assert run.status is RunStatus.RUNNING
        pid = kernel.provisioner.process.pid  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not kernel.is_alive(), what="the kernel to die")
    finally:
        client.stop_channels()

    # A reader notices the dead process (same host, pid gone) without waiting for the lease.
    import mlops_jupyter

    frame = mlops_jupyter.runs()
    assert list(frame["status"]) == ["crashed"]
    crashed = get_store().get_run(run.id)
    assert crashed.status is RunStatus.CRASHED
    assert crashed.metrics == {"loss": 0.25}
    assert [p.value for p in get_store().metric_series(run.id, "loss")] == [0.5, 0.25]


WRITER = textwrap.dedent(
    """
    import sys
    from IPython.core.interactiveshell import InteractiveShell
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    worker, count = int(sys.argv[1]), int(sys.argv[2])
    for i in range(count):
        result = ip.run_cell(
            f"%%track --quiet --experiment load --tag worker={worker}\\n"
            f"i = {i}\\n"
            "import mlops_jupyter\\n"
            "for step in range(20):\\n"
            "    mlops_jupyter.log_metric('loss', 1 / (step + 1))\\n",
            store_history=True,
        )
        if result.error_in_exec is not None:
            sys.exit(f"cell failed: {result.error_in_exec!r}")
    """
)


def test_eight_processes_tracking_at_once_lose_nothing(isolated_store: Path) -> None:
    workers, per_worker = 8, 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(w), str(per_worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err and "not captured" not in err, err
        assert "locked" not in out
    store = get_store()
    found = store.search_runs(experiment="load")
    assert len(found) == workers * per_worker
    assert {r.status for r in found} == {RunStatus.FINISHED}
    assert all(r.metrics == {"loss": pytest.approx(1 / 20)} for r in found)
    per_tag = {w: sum(r.tags["worker"] == str(w) for r in found) for w in range(workers)}
    assert set(per_tag.values()) == {per_worker}
    with sqlite3.connect(isolated_store / "runs.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_example_notebooks_run_under_papermill_with_parameters(
    isolated_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papermill = pytest.importorskip("papermill")
    left_behind = EXAMPLES / "model.pkl"
    before = left_behind.stat().st_mtime_ns if left_behind.exists() else None
    # On a copy: the notebook writes model.pkl next to itself.
    workdir = tmp_path / "examples"
    shutil.copytree(EXAMPLES, workdir, ignore=shutil.ignore_patterns("*.pkl", "outputs"))
    notebook = workdir / "wine_gradient_boosting.ipynb"
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook))
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / "out.ipynb"),
        parameters={"learning_rate": 0.3, "n_estimators": 10},
        cwd=str(workdir),
        kernel_name="python3",
        progress_bar=False,
    )
    (run,) = get_store().search_runs()
    assert run.status is RunStatus.FINISHED
    assert run.name == "boosting"
    assert run.params["learning_rate"] == 0.3
    assert run.params["n_estimators"] == 10
    assert run.params["max_depth"] == 2
    assert run.notebook is not None and run.notebook.path == str(notebook)
    assert run.notebook.saved_matches_source is True
    assert [i.path for i in run.inputs] == ["data/wine.csv"]
    assert [a.path for a in run.artifacts] == ["model.pkl"]
    assert (
        get_store().blobs.get_bytes(run.artifacts[0].sha256) == (workdir / "model.pkl").read_bytes()
    )
    after = left_behind.stat().st_mtime_ns if left_behind.exists() else None
    assert after == before, "the test wrote into the repository's examples/"
    assert len(get_store().metric_series(run.id, "val_loss")) == 10
    assert 0.5 < run.metrics["val_accuracy"] <= 1.0
    assert run.seed == 42
    assert run.env["packages"]["scikit-learn"]
