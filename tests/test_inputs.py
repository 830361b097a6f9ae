"""Data-aware runs: what a session reads becomes the run's inputs, without --input.

A real IPython shell with the extension loaded; files, folders, URLs and frames read the
ways notebooks read them.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
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
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shell: InteractiveShell) -> Path:
    """A fresh working folder; the session forgets what earlier tests read."""
    from mlops_jupyter.session import get_session

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    session = get_session(shell)
    assert session is not None
    session.inputs.reset()
    session.set_capture_inputs(True)
    return tmp_path


def run(shell: InteractiveShell, source: str) -> Any:
    result = shell.run_cell(source, store_history=True)
    return result


def last_run() -> Run:
    get_tracker().drain()
    runs = get_store().search_runs(limit=1)
    assert runs, "no run was recorded"
    return get_store().get_run(runs[0].id)


def data(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written by another process: files the session writes itself are not its inputs.
    subprocess.run([sys.executable, "-c", f"open({str(path)!r}, 'w').write({text!r})"], check=True)
    return path


def test_files_read_in_earlier_and_tracked_cells_are_inputs(
    shell: InteractiveShell, folder: Path
) -> None:
    data(folder, "data/train.csv", "a,b\n1,2\n3,4\n")
    data(folder, "data/other.txt", "hello")
    run(shell, "import pandas as pd\ndf = pd.read_csv('data/train.csv')")
    run(shell, "import json, numpy")  # the interpreter's own files are not inputs
    result = run(
        shell,
        "%%track --quiet\nwith open('data/other.txt') as handle:\n    text = handle.read()\n"
        "n = len(df)",
    )
    assert result.success
    inputs = {i.path: i for i in last_run().inputs}
    assert set(inputs) == {"data/train.csv", "data/other.txt"}
    train = inputs["data/train.csv"]
    assert train.size == 12 and len(train.sha256) == 64 and train.via == "open"
    assert train.cell is not None and inputs["data/other.txt"].cell == train.cell + 2
    assert train.mtime == pytest.approx((folder / "data/train.csv").stat().st_mtime)


def test_what_the_session_wrote_and_the_store_are_not_inputs(
    shell: InteractiveShell, folder: Path
) -> None:
    run(
        shell,
        "from pathlib import Path\nPath('made.txt').write_text('x')\nPath('made.txt').read_text()",
    )
    run(shell, "%%track --quiet\nimport mlops_jupyter\nmlops_jupyter.runs()\nx = 1")
    assert last_run().inputs == []


def test_no_inputs_turns_capture_off_for_a_cell(shell: InteractiveShell, folder: Path) -> None:
    data(folder, "a.txt", "a")
    run(
        shell,
        "%%track --quiet --no-inputs\nfrom pathlib import Path\ntext = Path('a.txt').read_text()",
    )
    run_ = last_run()
    assert run_.inputs == [] and run_.extra["inputs_captured"] is False


def test_setting_turns_capture_off_for_a_kernel(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'mlops_jupyter')\n"
        'ip.run_cell("%%track --quiet\\nimport pathlib\\n'
        "text = pathlib.Path('a.txt').read_text()\",\n"
        "            store_history=True)\n"
        "from mlops_jupyter.tracking import get_tracker\nget_tracker().drain()\n"
        "from mlops_jupyter.store import get_store\n"
        "print(len(get_store().search_runs()[0].inputs))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MLOPS_JUPYTER_CAPTURE_INPUTS": "0"},
        timeout=120,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "0"


def test_many_files_under_one_folder_are_one_input(
    shell: InteractiveShell, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_FOLDER_THRESHOLD", "5")
    for i in range(8):
        data(folder, f"images/cat/{i}.txt", f"pixel {i}")
    data(folder, "labels.txt", "cat")
    run(
        shell,
        "import glob, pathlib\nfor p in sorted(glob.glob('images/cat/*.txt')):\n"
        "    pathlib.Path(p).read_text()\nlabels = pathlib.Path('labels.txt').read_text()",
    )
    run(shell, "%%track --quiet\nx = 1")
    inputs = {i.path: i for i in last_run().inputs}
    assert set(inputs) == {"images/cat", "labels.txt"}
    folder_input = inputs["images/cat"]
    assert folder_input.kind == "folder" and folder_input.files == 8
    assert folder_input.manifest_sha256 is not None
    manifest = get_store().get_json_blob(folder_input.manifest_sha256)
    assert [e["path"] for e in manifest] == [f"{i}.txt" for i in range(8)]


def test_large_files_get_a_sampled_hash_marked_as_such(
    shell: InteractiveShell, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_JUPYTER_MAX_HASH_BYTES", "1000")
    data(folder, "big.bin", "x" * 5000)
    run(shell, "%%track --quiet\nimport pathlib\nblob = pathlib.Path('big.bin').read_bytes()")
    (record,) = last_run().inputs
    assert record.hashing == "sampled" and record.size == 5000


def test_remote_reads_are_recorded_by_url_without_credentials(
    shell: InteractiveShell, folder: Path
) -> None:
    pytest.importorskip("fsspec")
    (folder / "remote.csv").write_text("a\n1\n")
    handler = type(
        "Quiet",
        (http.server.SimpleHTTPRequestHandler,),
        {"log_message": lambda *args: None},
    )
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        run(
            shell,
            "import fsspec\nwith fsspec.open('memory://bucket/m.csv', 'w') as f:\n"
            "    f.write('a\\n1\\n')",
        )
        result = run(
            shell,
            "%%track --quiet\nimport pandas as pd\n"
            "mem = pd.read_csv('memory://bucket/m.csv')\n"
            f"web = pd.read_csv('http://127.0.0.1:{port}/remote.csv?token=s3cret')",
        )
        assert result.success, result.error_in_exec
    finally:
        server.shutdown()
        server.server_close()
    urls = {i.path: i for i in last_run().inputs if i.kind == "url"}
    assert any(u.startswith("memory://") and u.endswith("bucket/m.csv") for u in urls)
    web = next(u for u in urls if u.startswith("http://"))
    assert "s3cret" not in web and web.endswith("/remote.csv")
    assert all(u.hashing == "none" and u.sha256 == "" for u in urls.values())


def test_files_named_but_not_opened_are_inputs(shell: InteractiveShell, folder: Path) -> None:
    data(folder, "check.txt", "present")
    run(shell, "import os\nassert os.path.isfile('check.txt')")
    run(shell, "%%track --quiet\nx = 1")
    (record,) = last_run().inputs
    assert record.path == "check.txt" and record.via == "source"


def test_history_marks_cells_that_raised(shell: InteractiveShell, folder: Path) -> None:
    run(shell, "1/0")
    run(shell, "%%track --quiet\nx = 2")
    history = last_run().history
    failed = [h for h in history if h.get("failed")]
    assert failed and failed[-1]["source"] == "1/0"


def test_a_metric_the_failed_cell_did_not_assign_is_not_recorded(
    shell: InteractiveShell, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "accuracy = 0.9")
    run(shell, "%%track --quiet --metric accuracy\nraise ValueError('before the metric')")
    failed = last_run()
    assert failed.status is RunStatus.FAILED and "accuracy" not in failed.metrics
    assert "did not assign it" in capsys.readouterr().err
    run(shell, "%%track --quiet --metric accuracy\naccuracy = 1")  # same small int object
    assert last_run().metrics == {"accuracy": 1.0}


def test_unseeded_draws_are_measured_not_guessed(shell: InteractiveShell, folder: Path) -> None:
    run(shell, "import numpy as np")
    run(shell, "%%track --quiet\nx = 1")  # numpy imported, nothing drawn: no risk
    assert not any("random" in r for r in last_run().extra["risks"])
    run(shell, "sample = np.random.rand(3)")
    run(shell, "%%track --quiet --seed 0\ny = np.random.rand()")
    tracked = last_run()
    assert "numpy" in tracked.extra["randomness"]["unseeded"]
    assert any(
        r.startswith("random numbers were drawn without a seed: numpy")
        for r in tracked.extra["risks"]
    )


def test_secrets_in_cells_never_reach_the_store(
    shell: InteractiveShell, folder: Path, isolated_store: Path
) -> None:
    token = "ghp_" + "Q" * 36
    key = "AKIA" + "Z" * 16
    result = run(
        shell,
        f'%%track --quiet\napi_token = "{token}"\naws_access_key_id = "{key}"\n'
        'db_url = "postgresql://me:hunter2pass@db/x"\npassword = "plainpass123"\nlr = 0.1',
    )
    assert result.success
    recorded = last_run()
    assert recorded.params["lr"] == 0.1
    assert sorted(recorded.extra["masked_params"]) == [
        "api_token",
        "aws_access_key_id",
        "db_url",
        "password",
    ]
    assert set(recorded.params.values()) == {0.1, "***REDACTED***"}
    for path in isolated_store.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in (token, key, "hunter2pass", "plainpass123"):
                assert secret.encode() not in content, f"{secret} found in {path}"


def test_log_input_records_a_frame_digest_and_profile(
    shell: InteractiveShell, folder: Path
) -> None:
    pytest.importorskip("pandas")
    run(
        shell,
        "import pandas as pd, mlops_jupyter\n"
        "frame = pd.DataFrame({'x': range(200), 'c': ['a', 'b'] * 100})\n"
        "logged = mlops_jupyter.log_input(frame, name='train')",
    )
    run(shell, "%%track --quiet\nz = 1")
    (record,) = [i for i in last_run().inputs if i.kind == "frame"]
    logged = shell.user_ns["logged"]
    assert record.path == "train" and record.size == 200 and record.via == "log_input"
    assert logged["digest"] == "sha256:" + record.sha256
    profile = get_store().get_json_blob(record.profile_sha256)
    assert profile["rows"] == 200 and set(profile["schema"]) == {"x", "c"}
    run(shell, "frame.loc[0, 'x'] = -1\nagain = mlops_jupyter.log_input(frame, name='train')")
    assert shell.user_ns["again"]["digest"] != logged["digest"]  # every row counts
