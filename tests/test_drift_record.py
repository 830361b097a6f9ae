"""Drift checks against runs and model versions, recorded as lifecycle events with lineage;
the CLI, REST and the %%track one-line summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _api_helpers import fetch
from IPython.core.interactiveshell import InteractiveShell

import mlops_jupyter
from mlops_jupyter.cli import main
from mlops_jupyter.drift import get_check, list_checks, profile_frame
from mlops_jupyter.drift.record import check
from mlops_jupyter.errors import InvalidArgumentError, NotFoundError
from mlops_jupyter.models import FileRecord, Run, RunStatus
from mlops_jupyter.registry import Registry, lineage
from mlops_jupyter.store import get_store
from mlops_jupyter.store.base import RunStore
from mlops_jupyter.store.maintenance import check_store


def frame(n: int, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(40 + shift * 10, 10, n),
            "income": rng.lognormal(10, 0.5, n),
            "plan": rng.choice(["basic", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
        }
    )


def training_run(store: RunStore, *frames: tuple[str, pd.DataFrame]) -> Run:
    """A finished run that logged these frames with log_input, and wrote a model."""
    run = Run.new("train", status=RunStatus.FINISHED, metrics={"auc": 0.9})
    for name, data in frames:
        profile = profile_frame(data, name=name)
        blob = store.blobs.put_bytes(profile.dumps().encode())
        run.inputs.append(
            FileRecord(name, profile.digest.removeprefix("sha256:"), profile.rows, kind="frame",
                       via="log_input", profile_sha256=blob)
        )  # fmt: skip
    model = store.blobs.put_bytes(b"model")
    run.artifacts = [FileRecord("model.pkl", model, 5)]
    store.create_run(run)
    return run


@pytest.fixture
def store(isolated_store: Path) -> RunStore:
    return get_store()


@pytest.fixture
def champion(store: RunStore) -> Run:
    run = training_run(store, ("train", frame(20_000)))
    registry = Registry(store, actor="alice")
    registry.register("churn", run=run.id)
    registry.set_alias("churn", "champion", 1, reason="first")
    return run


def test_check_against_a_model_version_is_recorded_with_its_lineage(
    store: RunStore, champion: Run
) -> None:
    ok = check(frame(5_000, seed=1), "churn@champion", batch_name="april.csv")
    assert ok.verdict == "ok" and ok.check_id is not None
    drifted = mlops_jupyter.drift(
        frame(5_000, shift=2.0, seed=2), against="churn@champion", critical=["age"]
    )
    assert drifted.verdict == "drift" and "age" in drifted.drifted_columns
    checks = list_checks(store)
    assert [c["check_id"] for c in checks] == [drifted.check_id, ok.check_id]
    first = checks[1]
    assert first["model"] == "churn" and first["version"] == 1 and first["verdict"] == "ok"
    assert first["reference"]["run_id"] == champion.id
    assert first["reference"]["version"] == "churn/1" and first["batch"]["name"] == "april.csv"
    assert set(first["columns"]) == {"age", "income", "plan"}
    full = get_check(store, drifted.check_id)
    assert full["report"]["columns"]["age"]["distribution"]
    registry = Registry(store)
    event = registry.history("churn")[-1]
    assert event.kind == "drift_check" and event.seq == drifted.check_id
    # Lineage: forward from the batch's data, and from the version.
    batch_digest = drifted.batch_digest.removeprefix("sha256:")
    forward = lineage(registry, batch_digest, reverse=True)
    assert [n.id for n in forward.of_kind("drift")] == [str(drifted.check_id)]
    assert "drift" in forward.of_kind("drift")[0].label
    from_version = lineage(registry, "churn/1", reverse=True)
    assert {n.id for n in from_version.of_kind("drift")} == {
        str(ok.check_id),
        str(drifted.check_id),
    }
    # The reports are referenced blobs: never pruned.
    report = check_store(store, prune_orphans_older_than=0)  # type: ignore[arg-type]
    assert report.healthy and report.pruned == 0
    assert get_check(store, drifted.check_id)["report"] is not None


def test_references_by_run_and_frame(store: RunStore) -> None:
    run = training_run(store, ("train", frame(3_000)), ("holdout", frame(1_000, seed=3)))
    assert check(frame(2_000, seed=4), run.id, record=False).verdict == "ok"  # "train" wins
    assert check(frame(2_000, seed=4), f"{run.id[:8]}#holdout", record=False).n_reference == 1000
    two = training_run(store, ("a", frame(500)), ("b", frame(500)))
    with pytest.raises(InvalidArgumentError, match="several frames"):
        check(frame(200), two.id, record=False)
    with pytest.raises(NotFoundError, match="no frame named 'nope'"):
        check(frame(200), f"{two.id}#nope", record=False)
    with pytest.raises(NotFoundError):
        check(frame(200), "nomodel@champion", record=False)


def test_an_unchanged_training_file_is_a_reference(store: RunStore, tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    frame(2_000).to_csv(data, index=False)
    from mlops_jupyter.capture.inputs import digest_file

    run = Run.new("train", status=RunStatus.FINISHED)
    run.extra["cwd"] = str(tmp_path)
    digest = digest_file(str(data))
    run.inputs = [FileRecord("train.csv", digest.sha256, digest.size)]
    store.create_run(run)
    assert check(frame(1_000, seed=9), run.id, record=False).verdict == "ok"
    data.write_text("age,income,plan\n1,2,basic\n")
    with pytest.raises(NotFoundError, match="no data profile"):
        check(frame(1_000), run.id, record=False)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    capsys.readouterr()
    status = main([*argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_cli_checks_against_a_model_and_lists_checks(
    champion: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "may.csv"
    frame(3_000, shift=2.0, seed=5).to_csv(batch, index=False)
    status, report = cli(
        capsys, "drift", "check", str(batch), "--against", "churn@champion", "--critical", "age"
    )
    assert status == 1 and report["verdict"] == "drift" and report["reference"] == "churn@champion"
    assert isinstance(report["check_id"], int)
    status, report = cli(
        capsys, "drift", "check", str(batch), "--against", "churn/1", "--no-record"
    )
    assert "check_id" not in report
    status, listing = cli(capsys, "drift", "checks", "--model", "churn")
    assert [c["verdict"] for c in listing["checks"]] == ["drift"]
    assert listing["checks"][0]["batch"]["name"] == str(batch)
    small = tmp_path / "tiny.csv"
    frame(50, seed=6).to_csv(small, index=False)
    status, report = cli(capsys, "drift", "check", str(small), "--against", "churn@champion")
    assert status == 3 and report["verdict"] == "insufficient_data"


async def test_rest_checks_a_file_under_the_root(
    jp_fetch: Any, champion: Run, jp_root_dir: Path, tmp_path: Path
) -> None:
    frame(3_000, seed=7).to_csv(jp_root_dir / "june.csv", index=False)
    code, made = await fetch(
        jp_fetch, "drift", "checks", method="POST",
        body=json.dumps({"file": "june.csv", "against": "churn@champion"}),
    )  # fmt: skip
    assert code == 201 and made["verdict"] == "ok" and made["report"]["verdict"] == "ok"
    code, one = await fetch(jp_fetch, "drift", "checks", str(made["check_id"]))
    assert code == 200 and one["batch"]["name"] == "june.csv"
    code, listing = await fetch(jp_fetch, "drift", "checks", params={"model": "churn"})
    assert [c["check_id"] for c in listing["checks"]] == [made["check_id"]]
    outside = tmp_path / "secret.csv"
    frame(200).to_csv(outside, index=False)
    for body, status in (
        ({"file": str(outside), "against": "churn@champion"}, 400),
        ({"file": "../secret.csv", "against": "churn@champion"}, 400),
        ({"file": "june.csv", "against": "/etc/passwd"}, 400),
        ({"file": "june.csv", "against": "nope@champion"}, 404),
    ):
        code, answer = await fetch(
            jp_fetch, "drift", "checks", method="POST", body=json.dumps(body)
        )
        assert code == status, (body, answer)
    assert (await fetch(jp_fetch, "drift", "checks", "999"))[0] == 404
    assert (await fetch(jp_fetch, "drift", "checks", "x"))[0] == 400


@pytest.fixture
def shell(
    isolated_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InteractiveShell]:
    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    yield ip
    ip.run_line_magic("unload_ext", "mlops_jupyter")


def test_track_prints_a_one_line_drift_summary(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.user_ns["frame"] = frame
    cell = (
        "%%track --experiment drifty\n"
        "mlops_jupyter.log_input(frame(3000, {shift}, {seed}), 'train')\n"
    )
    shell.run_cell(cell.format(shift=0.0, seed=1))
    first = capsys.readouterr().out
    assert "drift" not in first  # nothing to compare with yet
    shell.run_cell(cell.format(shift=0.0, seed=2))
    second = capsys.readouterr().out
    assert "mlops-jupyter drift: train vs the last run's" in second and "no drift" in second
    shell.run_cell(cell.format(shift=3.0, seed=3))
    third = capsys.readouterr().out
    assert "drift in age" in third, third
