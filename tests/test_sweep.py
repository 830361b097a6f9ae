"""Sweeps with real papermill executions in real kernels, in a local process pool."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _notebooks import LOAD, write_notebook

from mlops_jupyter.cli import main
from mlops_jupyter.models import RunStatus
from mlops_jupyter.store import get_store
from mlops_jupyter.sweep import (
    MAX_COMBINATIONS,
    SweepError,
    expand_grid,
    load_combinations,
    load_sweep,
    run_sweep,
)


def counted_notebook(tmp_path: Path) -> tuple[Path, Path]:
    """A tracked notebook that appends a line to a counter file on each execution and fails
    for ``lr=1.0, epochs=3``."""
    counter = tmp_path / "executions.txt"
    tracked = (
        "%%track --quiet\n"
        "import mlops_jupyter\n"
        "lr = 0.1\n"
        "epochs = 1\n"
        f"open({str(counter)!r}, 'a').write(f'{{lr}} {{epochs}}\\n')\n"
        "if (lr, epochs) == (1.0, 3):\n"
        "    raise ValueError('diverged')\n"
        "mlops_jupyter.log_metric('score', lr * epochs)"
    )
    return write_notebook(tmp_path / "work" / "train.ipynb", LOAD, tracked), counter


def executions(counter: Path) -> list[str]:
    return counter.read_text().splitlines() if counter.exists() else []


# --------------------------------------------------------------------------- no kernel


def test_expand_grid_orders_first_parameter_slowest() -> None:
    assert expand_grid({"lr": [0.001, 0.01], "epochs": [5, 10]}) == [
        {"lr": 0.001, "epochs": 5},
        {"lr": 0.001, "epochs": 10},
        {"lr": 0.01, "epochs": 5},
        {"lr": 0.01, "epochs": 10},
    ]


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"x; import os": [1]}, "refusing"),
        ({"__import__('os')": [1]}, "refusing"),
        ({"class": [1]}, "refusing"),
        ({"lr": []}, "non-empty"),
        ({"lr": [float("nan")]}, "JSON"),
        ({"lr": [object()]}, "JSON"),
        ({}, "at least one"),
        ({"a": list(range(17)), "b": list(range(16))}, f"at most {MAX_COMBINATIONS}"),
    ],
)
def test_bad_grids_are_refused(grid: dict[str, Any], message: str) -> None:
    with pytest.raises(SweepError, match=message):
        expand_grid(grid)


def test_load_combinations_yaml_and_errors(tmp_path: Path) -> None:
    listing = tmp_path / "combos.yaml"
    listing.write_text("- {lr: 0.1, name: a}\n- lr: 0.2\n  name: b\n")
    assert load_combinations(str(listing)) == [{"lr": 0.1, "name": "a"}, {"lr": 0.2, "name": "b"}]
    listing.write_text(json.dumps([{"os.system('x')": 1}]))
    with pytest.raises(SweepError, match="refusing"):
        load_combinations(str(listing))
    listing.write_text(json.dumps({"lr": 1}))
    with pytest.raises(SweepError, match="list"):
        load_combinations(str(listing))


def test_cli_usage_errors_run_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook, counter = counted_notebook(tmp_path)
    assert main(["sweep", str(notebook), "-p", "lr;import os=1,2"]) == 2
    assert "refusing" in capsys.readouterr().err
    assert main(["sweep", str(notebook)]) == 2
    assert main(["sweep", "-p", "lr=1"]) == 2
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(notebook), "-p", "lr"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        main(["sweep", str(notebook), "-p", "lr=1", "--workers", "0"])
    assert executions(counter) == []
    assert get_store().search_runs() == []


# --------------------------------------------------------------------------- kernels


@pytest.mark.kernel
def test_grid_sweep_records_runs_contains_a_failure_and_resumes(tmp_path: Path) -> None:
    notebook, counter = counted_notebook(tmp_path)
    seen: list[dict[str, int]] = []
    result = run_sweep(
        str(notebook),
        expand_grid({"lr": [0.1, 1.0], "epochs": [2, 3]}),
        grid={"lr": [0.1, 1.0], "epochs": [2, 3]},
        workers=2,
        progress=lambda counts: seen.append(dict(counts)),
    )
    sweep = result.sweep
    assert result.executed == 4 and not result.ok
    assert [e.status for e in sweep.executions] == ["finished", "finished", "finished", "failed"]
    assert sweep.executions[3].error == "ValueError: diverged"
    assert seen[-1] == {"done": 4, "running": 0, "failed": 1, "total": 4}
    assert max(c["running"] for c in seen) == 2
    runs = {r.id: r for r in get_store().search_runs()}
    assert len(runs) == 4
    assert {r.sweep_id for r in runs.values()} == {sweep.id}
    for execution in sweep.executions:
        (run_id,) = execution.run_ids
        run = runs[run_id]
        assert run.params == execution.params
        assert run.tags["sweep.index"] == str(execution.index)
        assert run.experiment == str(notebook)
        if execution.status == "finished":
            assert run.status is RunStatus.FINISHED
            expected = execution.params["lr"] * execution.params["epochs"]
            assert run.metrics == {"score": pytest.approx(expected)}
        else:
            assert run.status is RunStatus.FAILED
    assert sorted(executions(counter)) == ["0.1 2", "0.1 3", "1.0 2", "1.0 3"]
    # The manifest on disk matches what was returned.
    assert load_sweep(sweep.id).to_json() == sweep.to_json()

    resumed = run_sweep(resume=sweep.id, workers=2)
    assert resumed.executed == 1
    assert sorted(executions(counter)) == ["0.1 2", "0.1 3", "1.0 2", "1.0 3", "1.0 3"]
    assert [e.status for e in resumed.sweep.executions][:3] == ["finished"] * 3
    assert resumed.sweep.executions[3].status == "failed"
    assert len(get_store().search_runs()) == 5


@pytest.mark.kernel
def test_notebook_without_track_sweeps_as_notebook_level_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Shaped like papermill's own test notebooks (simple_execute.ipynb): a tagged
    # parameters cell, then code using the parameters.
    notebook = write_notebook(
        tmp_path / "plain.ipynb",
        "assert alpha in (0.6, 1.2), alpha\nprint(alpha * ratio)",
        "if alpha > 1:\n    raise RuntimeError(f'alpha too large: {alpha}')",
        parameters="alpha = 0.1\nratio = 0.1",
    )
    code = main(["sweep", str(notebook), "-p", "alpha=0.6,1.2", "--workers", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 1  # one combination failed
    out = json.loads(captured.out)
    assert set(out) == {"sweep_id", "executions"}
    assert [(e["index"], e["params"], e["status"]) for e in out["executions"]] == [
        (0, {"alpha": 0.6}, "finished"),
        (1, {"alpha": 1.2}, "failed"),
    ]
    assert out["executions"][1]["error"] == "RuntimeError: alpha too large: 1.2"
    assert "sweep: 2/2 done" in captured.err
    runs = {r.id: r for r in get_store().search_runs()}
    assert len(runs) == 2
    for execution in out["executions"]:
        (run_id,) = execution["run_ids"]
        run = runs[run_id]
        assert run.sweep_id == out["sweep_id"]
        assert run.experiment == str(notebook)
        assert run.params == execution["params"]
        assert run.source == "alpha = 0.1\nratio = 0.1"
        assert run.tags == {"sweep.index": str(execution["index"]), "sweep.level": "notebook"}
    failed = runs[out["executions"][1]["run_ids"][0]]
    assert failed.status is RunStatus.FAILED
    assert failed.error is not None and failed.error.type == "RuntimeError"
    finished = runs[out["executions"][0]["run_ids"][0]]
    assert finished.status is RunStatus.FINISHED

    # A rerun of the finished run is a sweep of its pinned notebook with its parameters.
    assert main(["rerun", finished.id[:8], "--json"]) == 0
    rerun = json.loads(capsys.readouterr().out)
    assert rerun["sweep_id"] != out["sweep_id"]
    (execution,) = rerun["executions"]
    assert (execution["params"], execution["status"]) == ({"alpha": 0.6}, "finished")
    again = get_store().get_run(execution["run_ids"][0])
    assert again.sweep_id == rerun["sweep_id"] and again.params == {"alpha": 0.6}


@pytest.mark.kernel
def test_cancel_interrupts_running_and_skips_queued(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "slow.ipynb", "import time\ntime.sleep(60)", parameters="n = 0"
    )
    cancel = threading.Event()
    started = time.monotonic()

    def progress(counts: Any) -> None:
        if counts["running"]:
            threading.Timer(4.0, cancel.set).start()

    result = run_sweep(
        str(notebook), [{"n": 1}, {"n": 2}, {"n": 3}], workers=1, progress=progress, cancel=cancel
    )
    assert time.monotonic() - started < 40
    assert [e.status for e in result.sweep.executions] == ["interrupted"] * 3
    assert result.executed == 1
    (run,) = get_store().search_runs()
    assert run.status is RunStatus.INTERRUPTED and run.params == {"n": 1}
