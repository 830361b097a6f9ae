"""Gates over real evaluations: a notebook that loads a version with load_model and logs its
metrics and predictions; the champion re-evaluated on the candidate's data by papermill."""

from __future__ import annotations

import pickle
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlops_jupyter.registry import Registry
from mlops_jupyter.registry.reevaluate import SweepReevaluator
from mlops_jupyter.store import get_store

pytestmark = pytest.mark.kernel

TRACKED = """%%track --name evaluate
import pandas as pd
model = mlops_jupyter.load_model(model_ref, unpickle=True)
data = pd.read_csv(eval_path)
predicted = model.predict(data[["x"]])
mlops_jupyter.log_metric("accuracy", float((predicted == data["y"]).mean()))
mlops_jupyter.log_predictions(data["y"], predicted)
"""


def write_data(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=300)
    y = (x + rng.normal(scale=0.3, size=300) > 0).astype(int)
    path.write_text("x,y\n" + "".join(f"{a:.6f},{b}\n" for a, b in zip(x, y, strict=True)))


def evaluation_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext mlops_jupyter\nimport mlops_jupyter"),
        nbformat.v4.new_code_cell(
            'model_ref = "churn@champion"\neval_path = "data/feb.csv"',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell(TRACKED),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_gate_reevaluates_the_champion_on_the_candidates_data(
    isolated_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papermill = pytest.importorskip("papermill")
    linear = pytest.importorskip("sklearn.linear_model")
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    write_data(work / "data" / "feb.csv", 1)
    write_data(work / "data" / "march.csv", 2)
    notebook = work / "evaluate.ipynb"
    evaluation_notebook(notebook)
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook))
    monkeypatch.setenv("MLOPS_JUPYTER_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(work)

    registry = Registry(get_store(), actor="alice")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 1))
    import pandas as pd

    for noise in (3.0, 0.1):  # v1 learns from noisy labels, v2 from clean ones
        labels = (x[:, 0] + rng.normal(scale=noise, size=200) > 0).astype(int)
        model = linear.LogisticRegression().fit(pd.DataFrame({"x": x[:, 0]}), labels)
        (work / "model.pkl").write_bytes(pickle.dumps(model))
        registry.register("churn", artifacts=["model.pkl"], base_dir=str(work))
    registry.set_policy("churn", {"aliases": {"champion": {"gate": True, "approvals": 0}}})

    def evaluate(ref: str, data: str) -> None:
        papermill.execute_notebook(
            str(notebook), str(tmp_path / "out.ipynb"), cwd=str(work), kernel_name="python3",
            parameters={"model_ref": ref, "eval_path": data}, progress_bar=False,
        )  # fmt: skip

    evaluate("churn/1", "data/feb.csv")
    first = registry.gate("churn", 1, rules=["accuracy:higher,min=0.5"])
    assert first.passed, first.reasons
    assert first.candidate is not None and first.candidate.source == "evaluation"
    registry.promote("churn", 1, "champion", reason="first")

    evaluate("churn/2", "data/march.csv")
    refused = registry.gate("churn", 2, rules=["accuracy"])
    assert not refused.passed and refused.same_eval_data is False
    assert "data/feb.csv" in refused.reasons[0] and "data/march.csv" in refused.reasons[0]

    result = registry.gate(
        "churn", 2, rules=["accuracy"], reevaluate=SweepReevaluator(registry), bootstrap=300
    )
    assert result.same_eval_data is True, result.reasons
    assert result.champion is not None and result.champion.source == "re-evaluation"
    assert result.champion.run_id != first.candidate.run_id
    assert result.deltas["accuracy"]["delta"] > 0
    assert result.passed, result.reasons
    assert result.bootstrap["accuracy"]["low"] > 0
    # The re-evaluation is itself an evaluation of v1, on march's data.
    again = registry.gate("churn", 2, rules=["accuracy"])
    assert again.same_eval_data is True and again.champion is not None
    assert again.champion.run_id == result.champion.run_id
