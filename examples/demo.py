"""`make demo`: the main flow, headless.

Runs the example notebooks through papermill (a fresh kernel each, with parameters injected
the way a sweep or a reproduction does), which records runs with `%%track`; then lists them,
compares two runs and reproduces one (`mlops-jupyter reproduce`). Writes to the configured
store (`MLOPS_JUPYTER_STORE`, else the per-user default), so `make lab` shows the runs
afterwards.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXECUTIONS: list[tuple[str, dict[str, object]]] = [
    ("iris_logistic_regression.ipynb", {}),
    ("iris_logistic_regression.ipynb", {"C": 0.05}),
    ("wine_gradient_boosting.ipynb", {}),
    ("wine_gradient_boosting.ipynb", {"learning_rate": 0.3, "n_estimators": 30}),
]


def execute(notebook: str, parameters: dict[str, object], out_dir: Path) -> None:
    import papermill

    source = HERE / notebook
    # The kernel learns which notebook it runs for from this variable (a papermill kernel
    # has no Jupyter session to tell it).
    os.environ["MLOPS_JUPYTER_NOTEBOOK"] = str(source)
    label = ", ".join(f"{k}={v}" for k, v in parameters.items()) or "defaults"
    print(f"▶ {notebook} ({label})", flush=True)
    papermill.execute_notebook(
        str(source),
        str(out_dir / f"{source.stem}-{len(list(out_dir.iterdir()))}.ipynb"),
        parameters=parameters,
        cwd=str(HERE),
        kernel_name="python3",
        progress_bar=False,
    )


def compare(first_id: str, second_id: str) -> None:
    from mlops_jupyter.store import get_store

    store = get_store()
    first, second = store.get_run(first_id), store.get_run(second_id)
    print(f"\nCompare {first.id[:12]} vs {second.id[:12]} ({first.name}):")
    for kind, a, b in (
        ("param", first.params, second.params),
        ("metric", first.metrics, second.metrics),
    ):
        for key in sorted(set(a) | set(b)):
            left, right = a.get(key, "-"), b.get(key, "-")
            marker = "≠" if left != right else "="
            print(f"  {kind:<6} {key:<16} {left!s:>12} {marker} {right!s:<12}")


def main() -> int:
    from mlops_jupyter.cli import main as cli
    from mlops_jupyter.store import get_store
    from mlops_jupyter.store.location import resolve_store_location

    print(f"store: {resolve_store_location().description}")
    before = {run.id for run in get_store().search_runs()}
    with tempfile.TemporaryDirectory(prefix="mlops-demo-") as tmp:
        for notebook, parameters in EXECUTIONS:
            execute(notebook, parameters, Path(tmp))
    new = [run for run in get_store().search_runs() if run.id not in before]
    if len(new) != len(EXECUTIONS):
        print(f"expected {len(EXECUTIONS)} new runs, found {len(new)}", file=sys.stderr)
        return 1
    failed = [run for run in new if run.status.value != "finished"]
    if failed:
        print(f"runs did not finish: {[r.id for r in failed]}", file=sys.stderr)
        return 1

    print("\n$ mlops-jupyter runs list --limit 4")
    cli(["runs", "list", "--limit", "4"])
    iris = [run for run in new if run.name == "logreg"]
    compare(iris[1].id, iris[0].id)
    print(f"\n$ mlops-jupyter runs show {new[0].id[:12]}")
    cli(["runs", "show", new[0].id[:12]])
    # The newest run: the wine notebook with learning_rate=0.3 injected; it is seeded, so it
    # reproduces exactly.
    print(f"\n$ mlops-jupyter reproduce {new[0].id[:12]}")
    return cli(["reproduce", new[0].id[:12]])


if __name__ == "__main__":
    sys.exit(main())
