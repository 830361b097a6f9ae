"""`make demo`: the main flow, headless.

Runs the example notebooks through papermill (a fresh kernel each, with parameters injected
the way a sweep or a reproduction does), which records runs with `%%track`; then lists them,
compares two runs and reproduces one (`mlops-jupyter reproduce`). Then the model lifecycle:
both wine runs are registered as versions of `wine`, each is gated against `@champion`, an
approval is asked for by one person and given by another, the version is promoted, and a
shifted batch of the wine data is checked for drift against `wine@champion`. Writes to the
configured store (`MLOPS_JUPYTER_STORE`, else the per-user default), so `make lab` shows the
runs and models afterwards.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

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
    status = cli(["reproduce", new[0].id[:12]])
    if status != 0:
        return status
    wine = sorted((r for r in new if r.name == "boosting"), key=lambda r: r.started_at)
    return lifecycle(cli, [r.id for r in wine])


def step(cli: Any, argv: list[str], *, ok: tuple[int, ...] = (0,), user: str | None = None) -> int:
    """Run one command as ``user``, showing it; fail the demo on an unexpected exit status."""
    if user is not None:
        os.environ["MLOPS_JUPYTER_USER"] = user
    shown = " ".join(a if " " not in a else repr(a) for a in argv)
    print(f"\n$ {'MLOPS_JUPYTER_USER=' + user + ' ' if user else ''}mlops-jupyter {shown}")
    status: int = cli(argv)
    if status not in ok:
        raise SystemExit(f"demo: `mlops-jupyter {shown}` exited {status}")
    return status


def lifecycle(cli: Any, wine_runs: list[str]) -> int:
    """Register, gate, approve, promote, check for drift."""
    import json

    from mlops_jupyter.registry import Registry
    from mlops_jupyter.store import get_store

    registry = Registry(get_store(), actor="ana")
    versions = []
    for run_id in wine_runs:
        step(cli, ["models", "register", "wine", "--run", run_id[:12]], user="ana")
        versions.append(registry.log.list_versions("wine")[-1].version)
    rule = "val_accuracy:higher,min=0.5"
    for version in versions:
        gated = step(cli, ["models", "gate", "wine", str(version), "--against", "champion",
                           "--rule", rule], ok=(0, 1), user="ana")  # fmt: skip
        if gated != 0:
            print(f"(version {version} did not pass: it stays out of @champion)")
            continue
        os.environ["MLOPS_JUPYTER_USER"] = "ana"
        request = registry.request_approval("wine", version, "champion", comment="demo")
        print(f"\nana asked for approval: request {request['id']}")
        step(cli, ["models", "approve", request["id"], "--comment", "checked"], user="raj")
        step(cli, ["models", "promote", "wine", str(version), "--alias", "champion",
                   "--reason", "passed its gate, approved by raj"], user="ana")  # fmt: skip
    step(cli, ["models", "history", "wine", "--alias", "champion"])
    step(cli, ["lineage", "wine@champion"])
    batch = Path(tempfile.mkdtemp(prefix="mlops-demo-")) / "wine-shifted.csv"
    lines = (HERE / "data" / "wine.csv").read_text().splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    shifted = [[f"{float(v) * 1.5:.4f}" if i < 3 else v for i, v in enumerate(r)] for r in rows]
    batch.write_text("\n".join([lines[0], *(",".join(r) for r in shifted)]) + "\n")
    print(f"\n(a batch with the first three of {len(header)} columns scaled by 1.5)")
    step(cli, ["drift", "check", str(batch), "--against", "wine@champion", "--critical",
               "alcohol"], ok=(0, 1, 3))  # fmt: skip
    print("\n" + json.dumps({"demo": "done"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
