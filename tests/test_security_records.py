"""Issue 18, items 2-4: a shared store is not trusted. A tampered snapshot is never executed,
a stored path that climbs out of its folder never becomes a file operation, and a repository's
configured filters never run when a git pin is extracted. Real papermill kernels."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from _notebooks import LOAD, write_notebook

from mlops_jupyter.errors import ConflictError, MlopsError
from mlops_jupyter.models import FileRecord, Run, RunStatus
from mlops_jupyter.reproduce import reproduce
from mlops_jupyter.store import get_store

pytestmark = pytest.mark.kernel

TRACKED = (
    "%%track --quiet --input data.csv\nimport mlops_jupyter\n"
    "rows = len(open('data.csv').read().splitlines()) - 1\n"
    "mlops_jupyter.log_metric('rows', rows)"
)


def original(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    import papermill

    (folder / "data.csv").write_text("x\n1\n2\n")
    notebook = write_notebook(folder / "nb.ipynb", LOAD, TRACKED)
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook))
    papermill.execute_notebook(
        str(notebook), str(folder / "out.ipynb"), cwd=str(folder), kernel_name="python3",
        progress_bar=False,
    )  # fmt: skip
    monkeypatch.delenv("MLOPS_JUPYTER_NOTEBOOK")
    (run,) = get_store().search_runs()
    assert run.status is RunStatus.FINISHED
    return run


def test_a_snapshot_changed_in_the_store_is_never_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = original(tmp_path, monkeypatch)
    assert run.notebook is not None and run.notebook.snapshot_sha256
    (tmp_path / "nb.ipynb").unlink()  # only the snapshot is left to reproduce from
    store = get_store()
    blob = Path(store.blobs.path_for(run.notebook.snapshot_sha256))  # type: ignore[attr-defined]
    marker = tmp_path / "pwned"
    tampered = blob.read_text().replace(
        "import mlops_jupyter", f"import mlops_jupyter; open({str(marker)!r}, 'w').close()"
    )
    blob.chmod(0o600)
    blob.write_text(tampered)
    with pytest.raises(MlopsError, match=r"cannot be trusted|does not match its hash"):
        reproduce(run.id)
    assert not marker.exists()


def test_stored_paths_that_climb_out_never_become_file_operations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    run = original(work, monkeypatch)
    store = get_store()
    outside = tmp_path / "outside-target"
    hostile = Run.from_json(run.to_json())
    hostile.inputs = [FileRecord("../../../../" + str(outside).lstrip("/"), "a" * 64, 1)]
    store.update_run(hostile)
    with pytest.raises(ConflictError, match=r"climbs out|outside"):
        reproduce(run.id)
    assert not os.path.lexists(outside)
    # A git pin whose notebook path climbs out of its repository.
    pinned = Run.from_json(run.to_json())
    pinned.extra["pin"] = {
        "kind": "git",
        "commit": "0" * 40,
        "root": str(work),
        "path": "../../evil.ipynb",
    }
    store.update_run(pinned)
    with pytest.raises(ConflictError, match="climbs out"):
        reproduce(run.id)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_a_repositorys_filters_never_run_when_a_pin_is_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "a@b.c")
    git(repo, "config", "user.name", "a")
    (repo / "data.csv").write_text("x\n1\n2\n")
    notebook = write_notebook(repo / "nb.ipynb", LOAD, TRACKED)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "notebook")
    import papermill

    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook))
    papermill.execute_notebook(
        str(notebook), str(tmp_path / "out.ipynb"), cwd=str(repo), kernel_name="python3",
        progress_bar=False,
    )  # fmt: skip
    monkeypatch.delenv("MLOPS_JUPYTER_NOTEBOOK")
    (run,) = get_store().search_runs()
    assert run.extra["pin"]["kind"] == "git", run.extra.get("pin")
    # Someone with access to the repository configures a filter, required, on every file.
    marker = tmp_path / "filter-ran"
    git(repo, "config", "filter.evil.smudge", f"touch {marker}; cat")
    git(repo, "config", "filter.evil.clean", f"touch {marker}; cat")
    git(repo, "config", "filter.evil.required", "true")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* filter=evil\n")
    verdict = reproduce(run.id)
    assert verdict.status == "reproduced", verdict.to_json()
    assert any("at commit" in note for note in verdict.notes), verdict.notes  # from git
    assert not marker.exists()


def test_a_secret_given_to_papermill_lands_nowhere_and_reproduction_reads_it_from_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_store: Path
) -> None:
    import papermill

    token = "ghp_" + "S" * 36
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        LOAD,
        "%%track --quiet\nimport mlops_jupyter\n"
        "mlops_jupyter.log_metric('token_length', len(gh_token))",
        parameters='gh_token = ""',
    )
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(notebook))
    papermill.execute_notebook(
        str(notebook), str(tmp_path / "out.ipynb"), cwd=str(tmp_path), kernel_name="python3",
        parameters={"gh_token": token}, progress_bar=False,
    )  # fmt: skip
    monkeypatch.delenv("MLOPS_JUPYTER_NOTEBOOK")
    (run,) = get_store().search_runs()
    assert run.metrics["token_length"] == 40 and run.params["gh_token"] != token
    without = reproduce(run.id)
    assert any("MLOPS_JUPYTER_SECRET_GH_TOKEN" in note for note in without.notes)
    monkeypatch.setenv("MLOPS_JUPYTER_SECRET_GH_TOKEN", token)
    verdict = reproduce(run.id)
    assert verdict.status == "reproduced", verdict.to_json()
    spool = Path(os.environ["MLOPS_JUPYTER_SPOOL"])
    for folder in (isolated_store, spool):
        for path in folder.rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), f"the token is in {path}"
