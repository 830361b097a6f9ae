"""The job layer: one job per run at a time, cancellation, bounded memory (real kernels)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _notebooks import LOAD, write_notebook
from test_reproduce import run_original

from mlops_jupyter.jobs import Job, JobManager, JobNotFoundError
from mlops_jupyter.models import Run, RunStatus
from mlops_jupyter.store import get_store

pytestmark = pytest.mark.kernel

SLEEPY = (
    "%%track --quiet\nimport time, mlops_jupyter\ndelay = 0.0\ntime.sleep(delay)\n"
    "mlops_jupyter.log_metric('x', 1)"
)


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def sleeping_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """A run recorded quickly whose reproduction sleeps a minute in its tracked cell."""
    original = run_original(write_notebook(tmp_path / "nb.ipynb", LOAD, SLEEPY), monkeypatch)
    original.params["delay"] = 60.0
    get_store().update_run(original)
    return original


def test_same_run_twice_is_one_job_and_cancel_interrupts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sleeping_run(tmp_path, monkeypatch)
    manager = JobManager(2)
    try:
        job, created = manager.submit_reproduce(original.id)
        again, created_again = manager.submit_reproduce(original.id, twice=True)
        assert created and not created_again
        assert again is job
        assert [j.id for j in manager.list(run_id=original.id)] == [job.id]
        # The tracked cell (the notebook's second, after %load_ext) is sleeping.
        wait_until(lambda: job.state == "running" and job.cell == 2, 60, "the tracked cell")
        time.sleep(0.5)
        started = time.monotonic()
        assert manager.cancel(job.id) is job
        manager.wait(job.id, timeout=30)
        assert job.state == "cancelled"
        assert time.monotonic() - started < 20
        data = job.to_json()
        assert data["state"] == "cancelled" and data["verdict"] is None
        assert data["progress"] == {"cell": 2, "total": 2}
        assert "cell 2 of 2" in data["log_tail"] and "cancelled" in data["log_tail"]
        assert data["ended_at"] is not None
        # Once ended, the run can be reproduced again: a new job.
        fresh, created = manager.submit_reproduce(original.id)
        assert created and fresh.id != job.id
        manager.cancel(fresh.id)
        manager.wait(fresh.id, timeout=30)
        assert fresh.state == "cancelled"
    finally:
        manager.shutdown()


def test_queued_job_cancelled_never_starts_and_errors_fail_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sleeping_run(tmp_path, monkeypatch)
    unknown = "f" * 32
    manager = JobManager(1)
    try:
        busy, _ = manager.submit_reproduce(original.id)
        queued, _ = manager.submit_reproduce(unknown)
        assert queued.state == "queued"
        manager.cancel(queued.id)
        assert queued.state == "cancelled" and queued.started_at is None
        manager.cancel(busy.id)
        manager.wait(busy.id, timeout=60)
        assert busy.state == "cancelled"
        failing, _ = manager.submit_reproduce(unknown)
        manager.wait(failing.id, timeout=30)
        assert failing.state == "failed"
        assert failing.error == f"run {unknown!r} not found"
        assert queued.started_at is None  # still never started
    finally:
        manager.shutdown()
    with pytest.raises(JobNotFoundError):
        manager.get("0" * 32)


def test_finished_jobs_are_forgotten_beyond_the_bound(tmp_path: Path) -> None:
    store = get_store()
    run = Run.new(
        "e",
        source="%%track\nx = 1",
        history=[{"execution_count": 1, "source": "%%track\nx = 1"}],
        kernel_name="no-such-kernel-xyz",  # fails fast: no kernel is started
        status=RunStatus.FINISHED,
    )
    store.create_run(run)
    manager = JobManager(1, max_finished=3)
    try:
        jobs: list[Job] = []
        for _ in range(6):
            job, created = manager.submit_reproduce(run.id)
            assert created
            manager.wait(job.id, timeout=30)
            assert job.state == "succeeded"
            assert job.verdict is not None and job.verdict["status"] == "failed"
            jobs.append(job)
        kept = [j.id for j in manager.list()]
        assert len(kept) <= 4 and kept[0] == jobs[-1].id
        with pytest.raises(JobNotFoundError):
            manager.get(jobs[0].id)
    finally:
        manager.shutdown()
