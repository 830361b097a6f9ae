"""The determinism check: real papermill executions in real kernels, the CLI, the REST job,
and the comparison and framework rules on their own."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from _api_helpers import fetch, stored_run

from mlops_jupyter.capture.environment import EnvironmentCapture, framework_settings
from mlops_jupyter.cli import main
from mlops_jupyter.determinism import check_determinism, compare_executions, framework_causes
from mlops_jupyter.errors import ConflictError, InvalidArgumentError
from mlops_jupyter.models import Run, RunStatus
from mlops_jupyter.store import get_store

# The metric depends on the iteration order of a set of strings, i.e. on PYTHONHASHSEED (the
# set is built by code, not a literal: a literal would be a parameter, injected as a list).
HASH_ORDER = """%%track --quiet
import mlops_jupyter
words = set("alpha beta gamma delta epsilon zeta eta theta".split())
acc = 0.0
for i, w in enumerate(words):
    acc = acc * 0.5 + len(w) * (i + 1)
    mlops_jupyter.log_metric("score", acc, step=i)"""

SEEDED = """%%track --quiet --seed 0
import random
import mlops_jupyter
for step in range(4):
    mlops_jupyter.log_metric("loss", random.random(), step=step)"""

UNSEEDED = """%%track --quiet
import random
import mlops_jupyter
for step in range(3):
    mlops_jupyter.log_metric("loss", random.random(), step=step)"""


# -- real executions -----------------------------------------------------------------------


@pytest.mark.kernel
def test_strict_finds_hash_order_dependence_and_names_pythonhashseed(tmp_path: Path) -> None:
    run = stored_run(tmp_path, HASH_ORDER)
    report = check_determinism(run.id, strict=True)
    data = report.to_json()
    assert data["verdict"] == "nondeterministic", data
    # The two executions with the same settings agree: the difference comes from the seed.
    first = data["first_difference"]
    assert first["kind"] == "metric" and first["metric"] == "score"
    assert isinstance(first["step"], int)
    assert first["varied"] == ["PYTHONHASHSEED"]
    assert first["executions"][0] == 1
    assert data["causes"][0].startswith("hash-order dependence: only PYTHONHASHSEED differed")
    assert "PYTHONHASHSEED" in data["varied"] and "working directory" in data["varied"]
    assert {"OMP_NUM_THREADS", "MKL_NUM_THREADS"} <= set(data["varied"])
    assert len(data["executions"]) == 5  # 2 repeats + one per varied setting
    by_variant = {e["varied"]: e for e in data["executions"]}
    assert by_variant["PYTHONHASHSEED"]["env"]["PYTHONHASHSEED"] != "0"
    assert by_variant["threads"]["env"]["OMP_NUM_THREADS"] in ("1", "2")
    # Every execution is recorded as a reproduction of the run.
    for execution in data["executions"]:
        assert get_store().get_run(execution["run_id"]).reproduction_of == run.id
    assert json.dumps(data, allow_nan=False)


@pytest.mark.kernel
def test_seeded_notebook_is_deterministic_with_three_repeats_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = stored_run(tmp_path, SEEDED)
    status = main(["determinism", run.id[:8], "--repeats", "3", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0, data
    assert data["verdict"] == "deterministic"
    assert data["first_difference"] is None and data["causes"] == [] and data["varied"] == []
    assert [e["status"] for e in data["executions"]] == ["finished"] * 3
    assert {e["env"]["PYTHONHASHSEED"] for e in data["executions"]} == {"0"}


@pytest.mark.kernel
def test_unseeded_draws_are_nondeterministic_and_name_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = stored_run(tmp_path, UNSEEDED)
    status = main(["determinism", run.id])
    out = capsys.readouterr().out
    assert status == 1
    assert "verdict: nondeterministic" in out
    assert "first difference: loss at step 0:" in out
    assert "random numbers drawn without a seed: random" in out


@pytest.mark.kernel
def test_a_raising_notebook_fails_naming_the_cell(tmp_path: Path) -> None:
    run = stored_run(tmp_path, "%%track --quiet\nraise ValueError('boom')")
    report = check_determinism(run.id)
    assert report.verdict == "failed"
    assert any("ValueError: boom" in cause for cause in report.causes), report.causes


# -- refusals and usage errors -------------------------------------------------------------


def test_unknown_run_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    get_store()
    assert main(["determinism", "0123456789abcdef0123456789abcdef", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["status"] == 2


def test_bad_repeats_and_tolerance_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["--repeats", "1"],
        ["--repeats", "11"],
        ["--tolerance", "-1"],
        ["--workers", "0"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(["determinism", "abcd", *args])
        assert exc.value.code == 2
    capsys.readouterr()
    with pytest.raises(InvalidArgumentError):
        check_determinism("x" * 32, repeats=1)
    with pytest.raises(InvalidArgumentError):
        check_determinism("x" * 32, tolerance=math.nan)


def test_a_run_that_pinned_nothing_is_refused_with_the_reason() -> None:
    run = Run.new("imported", status=RunStatus.FINISHED, extra={"pin": None})
    get_store().create_run(run)
    with pytest.raises(ConflictError, match="cannot be checked for determinism"):
        check_determinism(run.id)


# -- the REST job --------------------------------------------------------------------------


async def test_rest_validates_and_reports_a_refused_run_as_a_failed_job(jp_fetch: Any) -> None:
    run = Run.new("imported", status=RunStatus.FINISHED, extra={"pin": None})
    get_store().create_run(run)
    for body, message in (
        ({"repeats": 1}, "repeats"),
        ({"strict": "yes"}, "strict"),
        ({"tolerance": -1}, "tolerance"),
        ({"twice": True}, "unknown field"),
    ):
        code, answer = await fetch(
            jp_fetch, "runs", run.id, "determinism", method="POST", body=json.dumps(body)
        )
        assert code == 400 and message in answer["message"], answer
    code, answer = await fetch(
        jp_fetch, "runs", "f" * 32, "determinism", method="POST", body=json.dumps({})
    )
    assert code == 404
    code, answer = await fetch(
        jp_fetch, "runs", run.id, "determinism", method="POST", body=json.dumps({"strict": True})
    )
    assert code == 202
    job = answer["job"]
    assert job["kind"] == "determinism" and job["progress"]["total"] == 5
    for _ in range(100):
        code, answer = await fetch(jp_fetch, "jobs", job["id"])
        if answer["job"]["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.05)
    assert answer["job"]["state"] == "failed"
    assert "cannot be checked for determinism" in answer["job"]["error"]


# -- the rules on their own ----------------------------------------------------------------


def test_comparison_names_the_first_step_and_treats_nan_as_equal() -> None:
    a = {
        "params": {"lr": 0.1},
        "series": {"loss": [(0, 1.0), (1, math.nan), (2, 0.5)], "acc": [(0, 0.1), (5, 0.9)]},
        "artifacts": {"model.pkl": "a" * 64},
    }
    b = json.loads(json.dumps(a))
    b["series"] = {"loss": [(0, 1.0), (1, math.nan), (2, 0.5)], "acc": [(0, 0.1), (5, 0.9)]}
    assert compare_executions(a, b) == []
    b["series"]["loss"][2] = (2, 0.5000001)
    b["series"]["acc"][1] = (5, 0.95)
    found = compare_executions(a, b)
    assert [(d["metric"], d["step"]) for d in found] == [("loss", 2), ("acc", 5)]
    assert compare_executions(a, b, tolerance=1e-3)[0]["metric"] == "acc"
    b["series"]["loss"] = [(0, 1.0)]
    assert compare_executions(a, b)[0] == {
        "kind": "steps",
        "metric": "loss",
        "step": 1,
        "values": [3, 1],
    }
    b["params"], b["artifacts"] = {"lr": 0.2}, {"model.pkl": "b" * 64}
    kinds = [d["kind"] for d in compare_executions(a, b)]
    assert kinds[-2:] == ["param", "artifact"]


def test_framework_switches_become_causes() -> None:
    env = {
        "frameworks": {
            "torch": {
                "deterministic_algorithms": False,
                "cudnn_benchmark": True,
                "cudnn_deterministic": False,
                "cuda_available": True,
                "cublas_workspace_config": None,
            },
            "tensorflow": {"op_determinism": False},
        }
    }
    causes = framework_causes(env)
    assert len(causes) == 5
    assert "use_deterministic_algorithms(True)" in causes[0]
    assert any("CUBLAS_WORKSPACE_CONFIG" in c for c in causes)
    assert any("enable_op_determinism" in c for c in causes)
    assert framework_causes({}) == []


def test_framework_settings_read_only_imported_frameworks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    assert framework_settings({}) == {}
    assert "frameworks" not in EnvironmentCapture({}).snapshot()
    torch = types.ModuleType("torch")
    torch.are_deterministic_algorithms_enabled = lambda: False  # type: ignore[attr-defined]
    torch.backends = types.SimpleNamespace(  # type: ignore[attr-defined]
        cudnn=types.SimpleNamespace(benchmark=True, deterministic=False)
    )

    def no_cuda() -> bool:
        raise RuntimeError("no driver")

    torch.cuda = types.SimpleNamespace(is_initialized=no_cuda, is_available=no_cuda)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    settings = framework_settings({"CUBLAS_WORKSPACE_CONFIG": ":4096:8"})
    assert settings == {
        "torch": {
            "deterministic_algorithms": False,
            "cudnn_benchmark": True,
            "cudnn_deterministic": False,
            "cublas_workspace_config": ":4096:8",
        }
    }
    snapshot = EnvironmentCapture({}).snapshot()
    assert snapshot["frameworks"]["torch"]["deterministic_algorithms"] is False
