"""``%%track`` in real kernels under papermill (crashes and load: test_faults, test_load)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops_jupyter.models import RunStatus
from mlops_jupyter.store import get_store

pytestmark = pytest.mark.kernel

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
