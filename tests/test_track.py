"""``%%track`` in a real IPython shell: every captured field, bad input, failures."""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from mlops_jupyter.models import Run, RunStatus
from mlops_jupyter.store import get_store
from mlops_jupyter.tracking import get_tracker


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "mlops_jupyter")


@pytest.fixture
def notebook_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a notebook the kernel 'runs for'."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return tmp_path


def write_notebook(path: Path, sources: list[str], tags: list[list[str]] | None = None) -> Path:
    cells = []
    for i, source in enumerate(sources):
        cells.append(
            {
                "cell_type": "code",
                "id": f"cell-{i}",
                "metadata": {"tags": tags[i] if tags else []},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
        )
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))
    return path


def run(shell: InteractiveShell, source: str) -> Any:
    return shell.run_cell(source, store_history=True)


def last_run() -> Run:
    get_tracker().drain()
    runs = get_store().search_runs(limit=1)
    assert runs, "no run was recorded"
    return get_store().get_run(runs[0].id)


def test_bare_track_records_a_useful_run(shell: InteractiveShell, notebook_dir: Path) -> None:
    result = run(shell, "%%track\nlr = 0.01\nlayers = [64, 32]\nprint('trained')\nlr * 2")
    assert result.error_in_exec is None
    assert result.result == pytest.approx(0.02)
    recorded = last_run()
    assert recorded.status is RunStatus.FINISHED
    assert recorded.source == "%%track\nlr = 0.01\nlayers = [64, 32]\nprint('trained')\nlr * 2"
    assert recorded.params == {"lr": 0.01, "layers": [64, 32]}
    assert recorded.experiment == "default"
    assert recorded.execution_count == recorded.history[-1]["execution_count"]
    assert recorded.stdout_tail == "trained\n"
    assert recorded.ended_at is not None and recorded.duration is not None
    assert recorded.env["python"]["version"].count(".") == 2
    assert "ipython" in recorded.env["packages"]
    assert recorded.env["platform"]["system"]
    assert recorded.env["cpu"]["count"] >= 1
    assert recorded.host and recorded.pid == os.getpid()
    assert recorded.history[-1]["source"] == recorded.source


def test_arguments_params_tags_metrics_inputs_artifacts(
    shell: InteractiveShell, notebook_dir: Path
) -> None:
    (notebook_dir / "data.csv").write_text("a,b\n1,2\n")
    result = run(
        shell,
        "%%track --name exp1 --experiment mnist --param opt=adam --param depth=3 "
        "--tag team=vision --metric acc --input data.csv --artifact out.txt --seed 7 --quiet\n"
        "import random\n"
        "import mlops_jupyter\n"
        "for step in range(3):\n"
        "    mlops_jupyter.log_metric('loss', 1.0 / (step + 1))\n"
        "mlops_jupyter.log_metrics({'f1': 0.5, 'auc': 0.7}, step=10)\n"
        "acc = 0.93\n"
        "draw = random.random()\n"
        "with open('out.txt', 'w') as f:\n"
        "    f.write('model')\n",
    )
    assert result.error_in_exec is None
    recorded = last_run()
    assert recorded.name == "exp1"
    assert recorded.experiment == "mnist"
    assert recorded.params == {"opt": "adam", "depth": 3}
    assert recorded.tags == {"team": "vision"}
    assert recorded.metrics == {"loss": pytest.approx(1 / 3), "f1": 0.5, "auc": 0.7, "acc": 0.93}
    series = get_store().metric_series(recorded.id, "loss")
    assert [(p.step, p.value) for p in series] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert recorded.seed == 7
    import random

    random.seed(7)
    assert shell.user_ns["draw"] == random.random()
    assert [(i.path, i.size) for i in recorded.inputs] == [("data.csv", 8)]
    assert recorded.inputs[0].sha256 == __import__("hashlib").sha256(b"a,b\n1,2\n").hexdigest()
    assert [(a.path, a.size) for a in recorded.artifacts] == [("out.txt", 5)]
    assert get_store().blobs.get_bytes(recorded.artifacts[0].sha256) == b"model"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--param 'x=1;import os'", "--param"),
        ("--param noequals", "--param"),
        ("--tag 1bad=x", "--tag"),
        ("--metric 'a b'", "--metric"),
        ("--input missing.csv", "no such file"),
        ("--seed notanint", "seed"),
        ("--bogus", "unrecognized"),
    ],
)
def test_bad_arguments_are_usage_errors_and_do_not_run(
    shell: InteractiveShell, notebook_dir: Path, line: str, message: str, capsys: Any
) -> None:
    before = get_store().count_runs()
    shell.user_ns.pop("ran", None)
    run(shell, f"%%track {line}\nran = True")
    assert "ran" not in shell.user_ns, "the cell must not run after a usage error"
    assert get_store().count_runs() == before
    assert message in capsys.readouterr().err


def test_failing_cell_is_recorded_and_exception_reaches_user(
    shell: InteractiveShell, notebook_dir: Path
) -> None:
    result = run(
        shell, "%%track --quiet\nimport mlops_jupyter\nmlops_jupyter.log_metric('m', 1)\n1/0"
    )
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    recorded = last_run()
    assert recorded.status is RunStatus.FAILED
    assert recorded.error is not None
    assert recorded.error.type == "ZeroDivisionError"
    assert recorded.error.message == "division by zero"
    assert "1/0" in recorded.error.traceback
    assert "mlops_jupyter" not in recorded.error.traceback.split("\n", 2)[1]
    assert recorded.metrics == {"m": 1.0}


def test_keyboard_interrupt_is_recorded_as_interrupted(
    shell: InteractiveShell, notebook_dir: Path
) -> None:
    result = run(shell, "%%track --quiet\nraise KeyboardInterrupt")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert last_run().status is RunStatus.INTERRUPTED


def test_notebook_snapshot_and_unsaved_flag(
    shell: InteractiveShell, notebook_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cell = "%%track --quiet\nalpha = 0.5"
    nb = write_notebook(notebook_dir / "train.ipynb", ["import os", cell])
    monkeypatch.setenv("JPY_SESSION_NAME", "sub/dir/train.ipynb")  # server-relative path
    run(shell, cell)
    saved = last_run()
    assert saved.notebook is not None
    assert saved.notebook.path == str(nb)
    assert saved.notebook.saved_matches_source is True
    assert saved.experiment.endswith("train.ipynb")
    assert saved.kernel_name == "python3"
    assert get_store().blobs.get_bytes(saved.notebook.snapshot_sha256) == nb.read_bytes()

    run(shell, "%%track --quiet\nalpha = 0.9  # edited, not saved")
    unsaved = last_run()
    assert unsaved.notebook is not None
    assert unsaved.notebook.saved_matches_source is False
    assert unsaved.notebook.snapshot_sha256 == saved.notebook.snapshot_sha256


def test_out_of_order_execution_is_flagged(
    shell: InteractiveShell, notebook_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = "a_val = 1", "%%track --quiet\nb_val = a_val + 1"
    write_notebook(notebook_dir / "order.ipynb", [first, second])
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook_dir / "order.ipynb"))
    run(shell, first)
    run(shell, second)
    assert last_run().history_out_of_order is False
    run(shell, first)  # cell 2 then cell 1 again: top-to-bottom order broken
    run(shell, second)
    assert last_run().history_out_of_order is True


def test_papermill_parameters_override_the_cell_assignments(
    shell: InteractiveShell, notebook_dir: Path
) -> None:
    run(shell, "# Parameters\nlr = 0.5\nbatch = 64\n")
    result = run(shell, "%%track --quiet\nlr = 0.01\nepochs = 3\nused = lr")
    assert result.error_in_exec is None
    assert shell.user_ns["used"] == 0.5
    recorded = last_run()
    assert recorded.params == {"lr": 0.5, "batch": 64, "epochs": 3}
    assert "lr = 0.5" in recorded.source
    assert recorded.extra["overrides_applied"] == ["lr"]
    run(shell, "del lr, batch")


def test_non_json_parameter_values(shell: InteractiveShell, notebook_dir: Path) -> None:
    np = pytest.importorskip("numpy")
    shell.user_ns["np"] = np
    huge = "x" * 10000
    run(
        shell,
        f"%%track --quiet --param big={huge} --param when=2024-01-01\nratio = float('nan')\ny = 1",
    )
    recorded = last_run()
    assert recorded.params["big"].startswith("x" * 4096)
    assert "truncated" in recorded.params["big"]
    payload = json.dumps(recorded.to_json(), allow_nan=False)  # strict JSON
    assert "NaN" not in payload or '"NaN"' in payload

    run(shell, "%%track --quiet --metric score\nscore = np.float32(0.25)\nbad = 1")
    assert last_run().metrics == {"score": 0.25}


def test_metric_nan_and_bad_values_warn_but_do_not_fail(
    shell: InteractiveShell, notebook_dir: Path, capsys: Any
) -> None:
    result = run(
        shell,
        "%%track --quiet\nimport mlops_jupyter\n"
        "mlops_jupyter.log_metric('loss', float('nan'))\n"
        "mlops_jupyter.log_metric('text', 'high')\n"
        "mlops_jupyter.log_metric('ok', 1)\n",
    )
    assert result.error_in_exec is None
    recorded = last_run()
    assert math.isnan(recorded.metrics["loss"]) and recorded.metrics["ok"] == 1.0
    assert "text" not in recorded.metrics
    assert "metric 'text'" in capsys.readouterr().err


def test_capture_failure_never_breaks_the_cell(
    shell: InteractiveShell, notebook_dir: Path, capsys: Any
) -> None:
    (notebook_dir / "broken.ipynb").write_text("{ not json")
    os.environ["MLOPS_JUPYTER_NOTEBOOK"] = str(notebook_dir / "broken.ipynb")
    try:
        result = run(shell, "%%track --quiet\nvalue = 42")
    finally:
        del os.environ["MLOPS_JUPYTER_NOTEBOOK"]
    assert result.error_in_exec is None and shell.user_ns["value"] == 42
    assert "not captured: notebook snapshot" in capsys.readouterr().err
    assert last_run().status is RunStatus.FINISHED


def test_unusable_store_still_runs_the_cell(
    shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    bad = tmp_path / "store"
    bad.mkdir()
    (bad / "runs.db").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(bad))
    result = run(shell, "%%track\nsurvived = True")
    assert result.error_in_exec is None and shell.user_ns["survived"] is True
    err = capsys.readouterr().err
    assert "run not recorded" in err and str(bad / "runs.db") in err
    assert (bad / "runs.db").read_bytes() == b"this is not a database" * 100


def test_git_state_with_credentials_stripped(shell: InteractiveShell, notebook_dir: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=notebook_dir, check=True, capture_output=True)

    git("init", "-b", "main")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "T")
    (notebook_dir / "train.py").write_text("lr = 1\n")
    git("add", "train.py")
    git("commit", "-m", "init")
    git(
        "remote",
        "add",
        "origin",
        "https://alice:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git",
    )
    (notebook_dir / "train.py").write_text("lr = 2\n")
    run(shell, "%%track --quiet\nz = 1")
    recorded = last_run()
    assert recorded.git is not None
    assert recorded.git.branch == "main"
    assert recorded.git.dirty is True
    assert recorded.git.commit and len(recorded.git.commit) == 40
    assert recorded.git.remote == "https://github.com/o/r.git"
    diff = get_store().blobs.get_bytes(recorded.git.diff_sha256 or "").decode()
    assert "+lr = 2" in diff


def test_secrets_never_reach_the_store(
    shell: InteractiveShell,
    notebook_dir: Path,
    isolated_store: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "ghp_S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3t"
    monkeypatch.setenv("MY_API_TOKEN", secret)
    monkeypatch.setenv("DB_PASSWORD", "hunter2-very-secret")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    result = run(
        shell,
        "%%track --quiet\nimport os\n"
        "print('token is', os.environ['MY_API_TOKEN'])\n"
        "raise RuntimeError('auth failed for ' + os.environ['MY_API_TOKEN'])",
    )
    assert isinstance(result.error_in_exec, RuntimeError)
    recorded = last_run()
    assert recorded.env["env_vars"].get("OMP_NUM_THREADS") == "1"
    for path in isolated_store.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data, f"secret found in {path}"
            assert b"hunter2-very-secret" not in data, f"password found in {path}"


def test_log_metric_outside_a_tracked_cell_warns_once(shell: InteractiveShell, capsys: Any) -> None:
    import mlops_jupyter.tracking.context as context

    context._warned_outside = False
    run(
        shell,
        "import mlops_jupyter\nmlops_jupyter.log_metric('x', 1)\nmlops_jupyter.log_metric('x', 2)",
    )
    assert capsys.readouterr().err.count("outside a %%track cell") == 1


def test_runs_returns_a_dataframe(shell: InteractiveShell, notebook_dir: Path) -> None:
    pytest.importorskip("pandas")
    import mlops_jupyter

    run(
        shell,
        "%%track --quiet --experiment frame-test\n"
        "k = 3\nimport mlops_jupyter\nmlops_jupyter.log_metric('acc', 0.5)",
    )
    frame = mlops_jupyter.runs("frame-test")
    assert list(frame["params.k"]) == [3]
    assert list(frame["metrics.acc"]) == [0.5]
    assert list(frame["status"]) == ["finished"]


def test_a_failed_background_write_is_reported_under_the_next_cell(
    shell: InteractiveShell, notebook_dir: Path, isolated_store: Path, capsys: Any
) -> None:
    run(shell, "%%track --quiet\nwarm = 1")  # the store exists and is open
    get_tracker().drain()
    shell.user_ns["DB"] = str(isolated_store / "runs.db")
    # The cell breaks the real database under the writer: its metric write must fail.
    result = run(
        shell,
        "%%track --quiet\nimport sqlite3, mlops_jupyter\n"
        "mlops_jupyter.log_metric('x', 1.0)\n"
        "con = sqlite3.connect(DB)\ncon.execute('DROP TABLE metric_steps')\ncon.commit()\n"
        "con.close()\n",
    )
    assert result.error_in_exec is None
    get_tracker().drain()
    capsys.readouterr()
    result = run(shell, "%%track --quiet\nnext_cell = 1")
    assert result.error_in_exec is None and shell.user_ns["next_cell"] == 1
    assert "an earlier run was not fully recorded" in capsys.readouterr().err


def test_renamed_notebook_is_found_in_the_kernel_folder(
    shell: InteractiveShell, notebook_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # JupyterLab fixes JPY_SESSION_NAME when the kernel starts: after "Untitled.ipynb" was
    # renamed, it names a file that no longer exists.
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook_dir / "Untitled.ipynb"))
    cell = "%%track --quiet\nrenamed = 1"
    write_notebook(notebook_dir / "other.ipynb", ["print('unrelated')"])
    write_notebook(notebook_dir / "train.ipynb", ["import os", cell])
    run(shell, cell)
    found = last_run()
    assert found.notebook is not None
    assert found.notebook.path == str(notebook_dir / "train.ipynb")
    assert found.notebook.saved_matches_source is True

    (notebook_dir / "other.ipynb").unlink()
    run(shell, "%%track --quiet\nrenamed = 2  # typed after the last save")
    unsaved = last_run()
    assert unsaved.notebook is not None
    assert unsaved.notebook.path == str(notebook_dir / "train.ipynb")
    assert unsaved.notebook.saved_matches_source is False


def test_outside_a_session_an_unrelated_notebook_is_not_claimed(
    shell: InteractiveShell, notebook_dir: Path
) -> None:
    write_notebook(notebook_dir / "unrelated.ipynb", ["print('hello')"])
    run(shell, "%%track --quiet\nplain = 1")
    assert last_run().notebook is None
