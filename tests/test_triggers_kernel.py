"""Continuous training end to end, in real kernels: a metric below its threshold retrains the
pinned notebook exactly once even with two `monitor run --once` started at the same moment;
the result is a registered version with a gate result and an approval request, the champion
unchanged; a failing retrain records its cell and message and the other triggers go on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mlops_jupyter.cli import main
from mlops_jupyter.registry import Registry
from mlops_jupyter.store import get_store

pytestmark = pytest.mark.kernel

TRAIN = """%%track --name train --input data/train.csv --artifact model.pkl
import pickle
rows = open("data/train.csv").read().splitlines()
if quality == "broken":
    raise RuntimeError("the feature store is down")
accuracy = 0.8 if quality == "low" else 0.95
mlops_jupyter.log_metric("accuracy", accuracy)
with open("model.pkl", "wb") as f:
    pickle.dump({"quality": quality, "rows": len(rows)}, f)
"""


def notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext mlops_jupyter\nimport mlops_jupyter"),
        nbformat.v4.new_code_cell('quality = "low"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(TRAIN),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    capsys.readouterr()
    status = main([*argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_a_metric_below_its_threshold_retrains_once_gates_and_asks_for_approval(
    isolated_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    papermill = pytest.importorskip("papermill")
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "data" / "train.csv").write_text("x,y\n1,0\n2,1\n")
    nb = work / "train.ipynb"
    notebook(nb)
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(nb))
    monkeypatch.chdir(work)
    papermill.execute_notebook(
        str(nb), str(tmp_path / "out.ipynb"), cwd=str(work), kernel_name="python3",
        progress_bar=False,
    )  # fmt: skip
    (first,) = get_store().search_runs()
    assert first.metrics["accuracy"] == 0.8
    registry = Registry(get_store(), actor="alice")
    registry.register("churn", run=first.id)
    registry.set_alias("churn", "champion", 1, reason="the first model")

    status, added = cli(
        capsys, "triggers", "add", "low-accuracy", "--when", "metrics.accuracy < 0.9",
        "--experiment", first.experiment, "--retrain", first.id[:8], "--param", "quality=high",
        "--register", "churn", "--rule", "accuracy:higher,min=0.85",
    )  # fmt: skip
    assert status == 0 and added["kind"] == "metric" and added["against"] == "champion"
    status, _ = cli(
        capsys, "triggers", "add", "broken", "--when", "metrics.accuracy < 0.9",
        "--experiment", first.experiment, "--retrain", first.id, "--param", "quality=broken",
    )  # fmt: skip
    assert status == 0

    env = {**os.environ, "MLOPS_JUPYTER_STORE": str(isolated_store)}
    command = [
        sys.executable, "-c", "import sys; from mlops_jupyter.cli import main; sys.exit(main())",
        "monitor", "run", "--once", "--json",
    ]  # fmt: skip
    evaluators = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, cwd=str(work))
        for _ in range(2)
    ]  # fmt: skip
    outputs = []
    for evaluator in evaluators:
        out, err = evaluator.communicate(timeout=600)
        assert evaluator.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    firings = [f for o in outputs for f in o["firings"]]
    by_trigger = {f["trigger"]: f for f in firings}
    assert sorted(f["trigger"] for f in firings) == ["broken", "low-accuracy"]  # once each

    retrained = by_trigger["low-accuracy"]
    assert retrained["outcome"] == "awaiting_approval", retrained
    assert retrained["version"] == "churn/2" and retrained["gate_passed"] is True
    assert retrained["request_id"] and retrained["gate_id"]
    (run_id,) = retrained["run_ids"]
    run = get_store().get_run(run_id)
    assert run.params["quality"] == "high" and run.metrics["accuracy"] == 0.95
    assert run.extra["triggered_by"]["trigger"] == "low-accuracy"
    assert registry.log.aliases("churn") == {"champion": 1}  # never promoted past approval
    request = registry.requests("churn")[0]
    assert request["id"] == retrained["request_id"] and request["status"] == "pending"

    failed = by_trigger["broken"]
    assert failed["outcome"] == "error"
    assert (
        failed["error"]["cell"] == 3 and "the feature store is down" in failed["error"]["message"]
    )

    # Nothing new: a second evaluation fires nothing (the retrain is not a cause).
    status, again = cli(capsys, "monitor", "run", "--once")
    assert status == 0 and again["firings"] == []
    status, shown = cli(capsys, "triggers", "show", "low-accuracy")
    assert [f["outcome"] for f in shown["firings"]] == ["awaiting_approval"]
    status, listing = cli(capsys, "triggers", "list")
    assert {t["name"]: t["last_firing"]["outcome"] for t in listing["triggers"]} == {
        "low-accuracy": "awaiting_approval", "broken": "error",
    }  # fmt: skip
